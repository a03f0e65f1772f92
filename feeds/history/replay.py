"""A bar history replayed as a live feed: ``ReplaySource`` (the keys and the banner are ``tui.replay_app``).

The source lays every symbol's bars on one time grid of the file's step, loads the first bars as history
(as many as the signal windows need, so the flags are right from the first bar on screen, while leaving
a day of bars, or half a shorter history, to play), then feeds the
rest one bar at a time into the ``BarStore`` through the same ``apply_block`` path the demo uses. The app
then evaluates flags exactly as it does live: the same ``evaluate_latest`` over the same bars that
``signals.evaluate`` scores in the backtest.

Time: ``speed`` is replayed time per wall time (1x to 1000x): at 100x an hourly bar lasts 36 s.
Space pauses and resumes, ``.`` pauses and steps exactly one bar, ``+``/``-`` double or halve the speed.
A grid time where a symbol has no bar is written as a missing bar (NaN), never as a copy of the last one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from feeds.aio import wait_event
from feeds.messages import BarBlock, History, VenueStatus
from feeds.source import BarSink, LiquidationListener, SourceHealth
from signals.columns import COLUMNS, Col
from signals.evaluate import needed_bars
from signals.params import SignalParams, n_bars
from signals.times import Clock, utc_text, wall_ms

REPLAY_VENUE = "replay"
MIN_SPEED = 1.0
MAX_SPEED = 1000.0
# The loop wakes at least this often so a late worker start or a slow paint never delays a bar by more.
_MAX_SLEEP_S = 1.0


def clamp_speed(speed: float) -> float:
    """``speed`` kept within 1x..1000x."""
    return float(min(MAX_SPEED, max(MIN_SPEED, speed)))


class ReplaySource:
    """Bars from a history replayed as a live feed.

    Args:
        series: symbol -> bars (T, len(COLUMNS)), oldest first, as ``read_history_csv`` returns them, played
            as one venue, ``replay``; or (symbol, venue) -> bars, played as those venues (``from_histories``).
        step_ms: the bar step of the history.
        params: signal params; they decide how many bars are loaded before the first replayed one.
        speed: replayed time per wall time, 1 to 1000.
        name: what is replayed (the file name), for the banner.
        live: run the timed loop; False for tests, which call ``advance`` and ``step_bar``.
        clock: epoch-ms clock for data ages.
        timer: monotonic seconds, for the loop's pacing.
    """

    mode = "replay"
    group = "feed:replay"

    def __init__(
        self,
        series: Mapping[str, np.ndarray] | Mapping[tuple[str, str], np.ndarray],
        step_ms: int,
        params: SignalParams = SignalParams(),  # noqa: B008  (frozen: one shared default is safe)
        speed: float = 1.0,
        *,
        name: str = "",
        live: bool = True,
        clock: Clock = wall_ms,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        keyed = {(k, REPLAY_VENUE) if isinstance(k, str) else k: b for k, b in series.items()}
        self._init(keyed, step_ms, params, speed)
        self.live = live
        self.name = name
        self.clock = clock
        self.timer = timer

    @classmethod
    def from_histories(
        cls,
        histories: Sequence[History],
        step_ms: int,
        params: SignalParams = SignalParams(),  # noqa: B008
        speed: float = 1.0,
        **kwargs: Any,
    ) -> ReplaySource:
        """A replay of per-venue series (``HistoryStore.load``): the store aggregates venues as it does live."""
        return cls({(h.symbol, h.venue): h.bars for h in histories}, step_ms, params, speed, **kwargs)

    def _init(
        self, keyed: Mapping[tuple[str, str], np.ndarray], step_ms: int, params: SignalParams, speed: float
    ) -> None:
        if step_ms <= 0:
            raise ValueError(f"the bar step must be positive, got {step_ms} ms")
        self.step_ms = int(step_ms)
        self.speed = clamp_speed(speed)
        self.paused = False
        self._bars: dict[tuple[str, str], np.ndarray] = {}
        for key, bars in keyed.items():
            bars = np.asarray(bars, dtype=np.float64)
            if bars.ndim == 2 and bars.shape[1] == len(COLUMNS) and len(bars):
                self._bars[key] = bars[np.argsort(bars[:, Col.TIME], kind="stable")]
        if not self._bars:
            raise ValueError("nothing to replay: no series has a bar")
        self.symbols: list[str] = list(dict.fromkeys(s for s, _ in self._bars))
        self.venues: list[str] = list(dict.fromkeys(v for _, v in self._bars))
        t = {k: b[:, Col.TIME].astype(np.int64) for k, b in self._bars.items()}
        self.start_ms = min(int(x[0] - x[0] % self.step_ms) for x in t.values())
        end_ms = max(int(x[-1] - x[-1] % self.step_ms) for x in t.values())
        self.total = (end_ms - self.start_ms) // self.step_ms + 1
        # Grid index of each bar, per series.
        self._slots = {k: (x - x % self.step_ms - self.start_ms) // self.step_ms for k, x in t.items()}
        self._cursor = dict.fromkeys(self._bars, 0)
        # Bars before the first replayed one: every window full there, as long as a day of bars (or half
        # a shorter history) is left to play; a store a week deep at a 7-day lookback would otherwise
        # replay its last bar only. Flags whose windows are not full yet show as unavailable, as the
        # backtest has them at those bars.
        to_play = max(1, min(self.total // 2, n_bars(24.0, self.step_ms)))
        self.preload = max(1, min(needed_bars(params, self.step_ms), self.total - to_play))
        self.position = self.preload - 1  # grid index of the bar on screen
        self._credit = 0.0  # fraction of a bar of replayed time already elapsed
        self._store: BarSink | None = None
        self._active: list[str] = list(self.symbols)
        self._wake = asyncio.Event()
        self._error = ""
        self._last_ms = 0

    # ---- what is on screen --------------------------------------------------------------------

    @property
    def current_ms(self) -> int:
        """Open time (ms) of the replayed bar on screen."""
        return self.start_ms + self.position * self.step_ms

    @property
    def finished(self) -> bool:
        """Every bar of the file has been replayed."""
        return self.position >= self.total - 1

    def banner(self) -> str:
        """The header line: REPLAY, the replayed time, progress, speed and state."""
        state = "END" if self.finished else "PAUSED" if self.paused else "playing"
        what = f" {self.name} ·" if self.name else ""
        return (
            f"REPLAY ·{what} {utc_text(self.current_ms)} · bar {self.position + 1:,}/{self.total:,}"
            f" · {self.speed:g}x · {state} — space pause, . step, +/- speed"
        )

    # ---- Source protocol ------------------------------------------------------------------------

    prepared = True  # nothing slow before attach

    def attach_steps(self, store: BarSink) -> Iterator[Callable[[], None]]:
        """One step, ``attach`` itself: it is quick."""
        yield lambda: self.attach(store)

    def attach(self, store: BarSink) -> None:
        """Load the bars up to the first replayed one into ``store`` as history."""
        self._store = store
        self._load(self._active, self.position)

    def _load(self, symbols: list[str], last: int) -> None:
        """Write ``symbols``' bars at grid indices ``<= last`` into the store as history."""
        assert self._store is not None
        histories = []
        for (s, v), slots in self._slots.items():
            if s in symbols:
                n = int(np.searchsorted(slots, last, side="right"))
                self._cursor[(s, v)] = n
                if n:
                    histories.append(History(v, s, self._bars[(s, v)][:n]))
        self._store.load_history(histories)
        self._last_ms = self.clock()

    def add_symbol(self, symbol: str) -> None:
        """Replay ``symbol`` again if the file has it (its bars up to the replayed time load first)."""
        if symbol in self.symbols and symbol not in self._active:
            self._active.append(symbol)
            if self._store is not None:
                self._load([symbol], self.position)

    def remove_symbol(self, symbol: str) -> None:
        """Stop replaying ``symbol``."""
        if symbol in self._active:
            self._active.remove(symbol)

    def resumed(self) -> None:
        """Nothing to do: a replay is the history, it never reads the store a second time."""

    def listen_liquidations(self, listener: LiquidationListener) -> None:
        """Nothing to hand on: a replayed history holds liquidations as bar totals, not events."""

    def retry_stopped(self) -> list[str]:
        """A replayed venue is never stopped: nothing to retry."""
        return []

    def health(self, now_ms: int) -> SourceHealth:
        """Every replayed venue: ``error`` after a failure of the loop, else ``ok``."""
        if self._error:
            return SourceHealth(
                tuple(VenueStatus(v, "error", self._error, self._last_ms) for v in self.venues)
            )
        # No data age: a paused replay is not a stale feed.
        return SourceHealth(
            tuple(VenueStatus(v, "ok" if self._store is not None else "starting") for v in self.venues)
        )

    # ---- feeding bars ---------------------------------------------------------------------------

    def _block(self, k: int) -> BarBlock:
        """The bars of every active series at grid index ``k`` (NaN for a series without one)."""
        values = np.full((len(self._active), len(self.venues), len(COLUMNS)), np.nan)
        row = {s: i for i, s in enumerate(self._active)}
        for j, v in enumerate(self.venues):
            for s, i in row.items():
                key = (s, v)
                slots = self._slots.get(key)
                if slots is None:
                    continue
                c = self._cursor[key]
                while c < len(slots) and slots[c] <= k:  # several bars in one step: the last one wins
                    values[i, j] = self._bars[key][c]
                    c += 1
                self._cursor[key] = c
        return BarBlock(self.start_ms + k * self.step_ms, tuple(self._active), tuple(self.venues), values)

    def _feed(self, n: int) -> int:
        """Write the next ``n`` bars (fewer at the end of the file); returns how many were written."""
        if self._store is None:
            return 0
        done = 0
        while done < n and not self.finished:
            self.position += 1
            if self._active:
                self._store.apply_block(self._block(self.position))
            done += 1
        if done:
            self._last_ms = self.clock()
        return done

    def advance(self, wall_s: float) -> int:
        """Let ``wall_s`` seconds of wall time pass at the current speed; returns the bars written."""
        if self.paused or self.finished or wall_s <= 0:
            return 0
        self._credit += wall_s * self.speed * 1000.0 / self.step_ms
        n = int(self._credit)
        self._credit -= n
        return self._feed(n)

    def step_bar(self) -> bool:
        """Pause and write exactly one bar; False at the end of the file."""
        self.set_paused(True)
        return self._feed(1) == 1

    def set_paused(self, paused: bool) -> None:
        """Pause or resume; time spent paused never turns into a burst of bars."""
        self.paused = paused
        self._credit = 0.0
        self._wake.set()

    def toggle_pause(self) -> None:
        """Space: pause a playing replay, resume a paused one."""
        self.set_paused(not self.paused)

    def set_speed(self, speed: float) -> None:
        """Change the speed (clamped to 1x..1000x); the next bar is due at the new pace."""
        self.speed = clamp_speed(speed)
        self._wake.set()

    def _sleep_s(self) -> float:
        """Wall seconds until the next bar is due."""
        bar_s = self.step_ms / 1000.0 / self.speed
        return min(_MAX_SLEEP_S, max(0.0, (1.0 - self._credit) * bar_s))

    async def run(self) -> None:
        """Feed bars at the current speed until cancelled; paused or at the end, it sleeps until woken."""
        last = self.timer()
        while True:
            try:
                self._wake.clear()
                if self.paused or self.finished:
                    await self._wake.wait()
                    last = self.timer()
                    continue
                await wait_event(self._wake, self._sleep_s())
                now = self.timer()
                self.advance(now - last)
                last = now
                self._error = ""
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._error = f"{type(exc).__name__}: {exc}"
                self.set_paused(True)
