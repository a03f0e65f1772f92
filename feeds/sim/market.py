"""``SimulatedMarket``: the data source of ``perptop --demo``, and the loop that drives it.

It generates closed 5-minute bars up to the bar before ``start_ms`` (enough that every signal window is
full at once) when they are first asked for (``history``, ``history_groups``) or the clock first moves;
then ``tick_blocks`` advances a simulated clock and reports the current bar of every symbol x venue as
``BarBlock`` arrays (``tick``: the same as ``BarUpdate``s). Each bar's close is drawn when the bar opens;
ticks inside the bar follow a Brownian bridge to that close and accumulate its flows, so the closed bars
are the same whatever the tick sizes, and flows only grow within a bar.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import fields

import numpy as np

from feeds.messages import BarBlock, BarUpdate, History
from feeds.sim.dynamics import (
    ADVANCE_KEYS,
    N_EXTRA,
    N_NORMALS,
    N_UNIFORMS,
    NV,
    U_BURST,
    BarState,
    SimState,
    advance,
    closes,
    regime_params,
    step_bar,
)
from feeds.sim.streams import BLOCK_BARS, LIVE_BLOCK_BARS, RandomBlocks, RegimeClock
from feeds.sim.symbols import FUNDING_INTERVAL_H, VENUES, profile_for, stable_seed, venue_traits
from signals.columns import COLUMNS, Col
from signals.params import SignalParams, bars_needed

# price, oi, funding, interval, ls, premium, top traders' ratio: interpolated within a bar
_LEVELS = np.array([int(c) for c in (Col.PRICE, Col.OI, Col.FUNDING, Col.FUNDING_INTERVAL_H, Col.LS_RATIO)])
_LEVELS = np.concatenate([_LEVELS, [int(Col.PREMIUM), int(Col.LS_TOP)]])
# Flows of the bar that grow with its volume (the taker splits of the two volumes).
_TAKER = np.array([int(c) for c in (Col.TAKER_BUY, Col.TAKER_SELL, Col.SPOT_TAKER_BUY, Col.SPOT_TAKER_SELL)])
_BURST_WIDTH = 0.2  # a liquidation burst takes a fifth of the bar
# The columns a tick moves, as plain ints: numpy indexes with an int faster than with the Col enum.
_TICK_COLUMNS = tuple(int(c) for c in (Col.PRICE, Col.SPOT_VOL, Col.FUT_VOL, Col.LIQ_LONG, Col.LIQ_SHORT))
# Symbols generated at a time by ``history_groups``: a week of 16 symbols is 19 MB of bars beside the store
# (64 made the demo's peak 169 MB at 50 symbols, 16 makes it 129); each group costs a history pass (its
# per-bar overhead: 0.60 -> 0.72-0.78 s of CPU for the 50 symbols' week in four groups, not one).
HISTORY_GROUP = 16
IN_PLACE_GROUP = 64
"""The group when the bars are written into the store's own rows (``into``): no week beside the store, so
the fewest passes (the snapshot's)."""
_CHUNK_BARS = 64  # bars of history closed in one pass (``_Run.history``): 64 or 128 cost the same time


HistoryDestination = Callable[[Sequence[str], int, int], "np.ndarray | None"]
"""Where ``history_groups`` writes a group: given its symbols, the number of bars and the open time of
the last, an array (bars, symbols, venues in ``VENUES`` order, columns), or None for a new one."""


def history_bars_for(params: SignalParams, step_ms: int) -> int:
    """Bars of history that make every window of ``params`` full at the latest bar (``bars_needed``)."""
    return bars_needed(params, step_ms)


class _Run:
    """A simulation of some symbols: state, random streams, regime clock (one unit for add/remove)."""

    def __init__(self, symbols: list[str], seed: int, step_ms: int, block_bars: int = BLOCK_BARS) -> None:
        self.step_h = step_ms / 3_600_000.0
        profiles = [profile_for(s, seed) for s in symbols]
        traits = [venue_traits(s, seed) for s in symbols]
        starts = [np.random.default_rng(stable_seed("start", s.upper(), seed)) for s in symbols]
        self.state = SimState.initial(profiles, traits, starts)
        # The history ends within 1 % of the reference price, so levels look like the real market's.
        self.end_price = np.array(
            [p.price * (1.0 + g.uniform(-0.01, 0.01)) for p, g in zip(profiles, starts, strict=True)]
        )
        self.blocks = RandomBlocks(symbols, seed, bars=block_bars)
        self.extra = RandomBlocks(symbols, seed, "added", N_EXTRA, 0, block_bars)  # the added columns' own
        self.clock = RegimeClock(symbols, seed, self.step_h)
        self.clock.start(self.state)
        self.rp = regime_params(self.state, self.step_h)
        self.bar = 0

    def step(self, t_ms: int, out: np.ndarray) -> np.ndarray:
        """Advance one bar opening at ``t_ms``; closes go to ``out`` (S, V, C). Returns the bar's uniforms."""
        if self.clock.advance(self.state, self.bar):
            self.rp = regime_params(self.state, self.step_h)
        z, u = self.blocks.next()
        x, _ = self.extra.next()
        step_bar(self.state, self.rp, z, u, t_ms, self.step_h, out, x)
        self.state.bars_left -= 1
        self.bar += 1
        return u

    def history(self, n: int, first_ms: int, step_ms: int, out: np.ndarray | None = None) -> np.ndarray:
        """``n`` closed bars from ``first_ms``: (n, S, V, C), prices ending at the reference levels,
        written into ``out`` when given (a bar store's own rows: no second copy of the week).

        The same bars as ``step`` bar by bar, made faster: the state's recurrences run bar by bar, but the
        closes (functions of each bar's state and draws) and the regime parameters are worked out
        ``_CHUNK_BARS`` bars at a time. 50 symbols: 0.28-0.30 s against 0.45-0.47 s (``bench/bench_sim.py``).
        """
        s = len(self.end_price)
        if out is None:
            out = np.empty((n, s, NV, len(COLUMNS)))
        elif out.shape != (n, s, NV, len(COLUMNS)):
            raise ValueError(f"history of shape {(n, s, NV, len(COLUMNS))} asked into {out.shape}")
        for start in range(0, n, _CHUNK_BARS):
            m = min(_CHUNK_BARS, n - start)
            z, u, x = np.empty((m, s, N_NORMALS)), np.empty((m, s, N_UNIFORMS)), np.empty((m, s, N_EXTRA))
            regime, severity = np.empty((m, s), dtype=np.int64), np.empty((m, s))
            path = {
                f.name: np.empty((m, *np.shape(getattr(self.state, f.name)))) for f in fields(BarState)[1:]
            }
            path["r"] = np.empty((m, s))
            # The regimes do not depend on the prices: the chunk's are drawn first, and their parameters
            # gathered once for all its bars (regathered at every change, they cost a fifth of the time).
            for i in range(m):
                self.clock.advance(self.state, self.bar + i)
                regime[i], severity[i] = self.state.regime, self.state.severity
                self.state.bars_left -= 1
            rp = regime_params(self.state, self.step_h, regime, severity)
            for i in range(m):
                z[i], u[i] = self.blocks.next()
                x[i] = self.extra.next()[0]
                path["r"][i] = advance(
                    self.state, {k: rp[k][i] for k in ADVANCE_KEYS}, z[i], x[i], self.step_h
                )
                for name, held in path.items():
                    if name != "r":
                        held[i] = getattr(self.state, name)
            self.bar += m
            t = first_ms + step_ms * np.arange(start, start + m, dtype=np.float64)
            closes(self.state, BarState(**path), rp, z, u, x, t[:, None], self.step_h, out[start : start + m])
        self.rp = regime_params(self.state, self.step_h)
        shift = np.log(self.end_price) - self.state.logp
        self.state.logp += shift
        # Both prices move to the reference levels together: the spot price is the perp's less the premium.
        out[..., [Col.PRICE, Col.SPOT_PRICE]] *= np.exp(shift)[None, :, None, None]
        return out

    def take(self, keep: np.ndarray) -> None:
        self.state = self.state.take(keep)
        self.blocks.take(keep)
        self.extra.take(keep)
        self.clock.take(keep)
        self.rp = regime_params(self.state, self.step_h)

    def extend(self, other: _Run) -> None:
        self.state = self.state.concat(other.state)
        self.blocks.extend(other.blocks)
        self.extra.extend(other.extra)
        self.clock.extend(other.clock)
        self.rp = regime_params(self.state, self.step_h)


class SimulatedMarket:
    """A deterministic market of ``symbols`` on four fictitious venues with 8h, 8h, 4h and 1h funding.

    Attributes:
        venues: venue names.
        funding_interval_h: each venue's funding interval; its funding is quoted per that interval.
        now_ms: the simulated clock (epoch ms).
        symbols: the symbols simulated, in slot order.
    """

    def __init__(
        self,
        symbols: Sequence[str],
        seed: int = 0,
        step_ms: int = 300_000,
        history_bars: int | None = None,
        start_ms: int | None = None,
    ) -> None:
        """A market of ``symbols`` whose history is generated (and current bar opened) when first needed.

        Args:
            symbols: watchlist names; unknown names get made-up but plausible figures.
            seed: the same seed gives the same history and the same ticks.
            step_ms: bar length.
            history_bars: closed bars to generate; by default enough for every default signal window.
            start_ms: the simulated "now" (default: the wall clock), floored to the step; history ends
                at the bar before it.
        """
        self.venues: tuple[str, ...] = VENUES
        self.funding_interval_h: dict[str, float] = dict(FUNDING_INTERVAL_H)
        self.seed = seed
        self.step_ms = step_ms
        self.history_bars = (
            history_bars if history_bars is not None else history_bars_for(SignalParams(), step_ms)
        )
        start = int(time.time() * 1000) if start_ms is None else int(start_ms)
        self._bar_t = start - start % step_ms
        self._now = float(self._bar_t)
        self.now_ms = self._bar_t
        self._symbols: list[str] = []
        # The live run, which each symbol joins after its history: it draws a few bars at a time.
        self._run = _Run([], seed, step_ms, LIVE_BLOCK_BARS)
        self._ends: dict[str, int] = {}  # open time of each symbol's last history bar
        self._handover: list[History] | None = None
        self._open = np.empty((0, NV, len(COLUMNS)))
        self._close = np.empty((0, NV, len(COLUMNS)))
        self._burst = np.empty((0, NV, 2))
        self._bridge = np.empty(0)  # log-price deviation of the current tick from the open-close line
        self._frac = 0.0
        self._interval_ms = [int(FUNDING_INTERVAL_H[v] * 3_600_000) for v in VENUES]
        # Within-bar noise has its own stream: bar closes never depend on how often the clock ticks.
        self._tick_rng = np.random.default_rng(stable_seed("ticks", seed))
        # Generated when first asked for (``history_groups`` or any other call): the history of a
        # whole watchlist at once is as large as the store it goes into (290 MB at 200 symbols).
        self._pending: list[str] = list(dict.fromkeys(symbols))

    # ---- symbols -------------------------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        """The symbols simulated, in slot order (those whose history is not generated yet last)."""
        return self._symbols + self._pending

    @property
    def history_pending(self) -> bool:
        """Whether some symbols' history is still to be generated (by ``history_groups`` or ``history``)."""
        return bool(self._pending)

    def _settle(self) -> None:
        """Generate the history of the symbols still pending, kept for the first ``history()`` call."""
        if self._pending:
            pending, self._pending = self._pending, []
            self._handover = self._join(pending)

    def history_groups(
        self, size: int = HISTORY_GROUP, into: HistoryDestination | None = None
    ) -> Iterator[list[History]]:
        """``history()`` in groups of ``size`` symbols, each generated when the caller asks for it.

        Load each group before taking the next: then only one group's bars exist beside the store
        (the symbols' series do not depend on which others are simulated, so the bars are the same).
        With ``into``, each group is written where it says (when it gives an array) and its histories
        are views of that array.
        """
        if not self._pending:
            yield self.history()
        while self._pending:
            group, self._pending = self._pending[:size], self._pending[size:]
            end = self._bar_t - self.step_ms
            yield self._join(group, into(group, self.history_bars, end) if into is not None else None)

    def history(self) -> list[History]:
        """Closed bars per symbol x venue, oldest first, ending at the bar before the start.

        A symbol added at run time ends at the bar before it was added. Every call returns the same
        bars; the first is free, later ones regenerate them (about as long as construction took).
        """
        self._settle()
        if self._handover is not None:
            out, self._handover = self._handover, None
            return out
        by_end: dict[int, list[str]] = {}
        for sym in self._symbols:
            by_end.setdefault(self._ends[sym], []).append(sym)
        made = {
            (h.symbol, h.venue): h for end, group in by_end.items() for h in self._generate(group, end)[0]
        }
        return [made[(s, v)] for s in self._symbols for v in VENUES]

    def add_symbol(self, symbol: str) -> list[History]:
        """Start simulating ``symbol`` (no-op if present); returns its history up to the current bar."""
        self._settle()
        if symbol in self._symbols:
            return []
        return self._join([symbol])

    def remove_symbol(self, symbol: str) -> None:
        """Stop simulating ``symbol`` (no-op if absent)."""
        self._settle()
        if symbol not in self._symbols:
            return
        keep = np.array([i for i, s in enumerate(self._symbols) if s != symbol], dtype=np.int64)
        self._symbols = [self._symbols[i] for i in keep]
        self._run.take(keep)
        self._open, self._close = self._open[keep], self._close[keep]
        self._burst, self._bridge = self._burst[keep], self._bridge[keep]
        del self._ends[symbol]
        if self._handover is not None:
            self._handover = [h for h in self._handover if h.symbol != symbol]

    def _join(self, symbols: list[str], out: np.ndarray | None = None) -> list[History]:
        """Generate the history of new ``symbols`` (into ``out`` if given), open their current bar and
        append them."""
        if not symbols:
            return []
        end = self._bar_t - self.step_ms
        added, run = self._generate(symbols, end, out)
        close = np.empty((len(symbols), NV, len(COLUMNS)))
        u = run.step(self._bar_t, close)
        self._run.extend(run)
        self._ends.update(dict.fromkeys(symbols, end))
        last = np.stack([h.bars[-1] for h in added]).reshape(len(symbols), NV, len(COLUMNS))
        self._symbols.extend(symbols)
        self._open = np.concatenate([self._open, last])
        self._close = np.concatenate([self._close, close])
        self._burst = np.concatenate([self._burst, _burst_starts(u)])
        self._bridge = np.concatenate([self._bridge, np.zeros(len(symbols))])
        if self._handover is not None:
            self._handover.extend(added)
        return added

    def _generate(
        self, symbols: list[str], end_ms: int, out: np.ndarray | None = None
    ) -> tuple[list[History], _Run]:
        """The history of ``symbols`` ending with the bar that opens at ``end_ms`` (written into ``out``
        if given), and the run after it."""
        run = _Run(symbols, self.seed, self.step_ms)
        n = self.history_bars
        run.clock.script_endings(symbols, n)
        bars = run.history(n, end_ms - (n - 1) * self.step_ms, self.step_ms, out)
        made = [
            History(v, s, _frozen(bars[:, i, j])) for i, s in enumerate(symbols) for j, v in enumerate(VENUES)
        ]
        return made, run

    # ---- clock ---------------------------------------------------------------------------------

    def tick(self, seconds: float) -> list[BarUpdate]:
        """Advance the simulated clock by ``seconds``; ``tick_blocks`` as one BarUpdate per series."""
        return [u for block in self.tick_blocks(seconds) for u in block.updates()]

    def tick_blocks(self, seconds: float) -> list[BarBlock]:
        """Advance the simulated clock by ``seconds``.

        Returns:
            For every bar boundary crossed, the final state of the bar that closed; then the current
            bar of every symbol x venue. Oldest first, so applying them in order closes every bar.
        """
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        self._settle()
        target = self._now + seconds * 1000.0
        blocks: list[BarBlock] = []
        while target >= self._bar_t + self.step_ms:
            blocks.append(self._block(self._close, self._bar_t + self.step_ms - 1))
            self._open_next_bar()
        frac = (target - self._bar_t) / self.step_ms
        blocks.append(self._block(self._within(frac), int(target)))
        self._now = target
        self.now_ms = int(target)
        return blocks

    def _open_next_bar(self) -> None:
        self._open, self._close = self._close, np.empty_like(self._close)
        self._bar_t += self.step_ms
        u = self._run.step(self._bar_t, self._close)
        self._burst = _burst_starts(u)
        self._bridge[:] = 0.0
        self._frac = 0.0

    def _within(self, frac: float) -> np.ndarray:
        """The current bar as it stands at fraction ``frac`` of its length."""
        f0 = self._frac
        if frac > f0:
            # Brownian bridge from (f0, bridge) to (1, 0): the tick path ends exactly at the bar's close.
            sd = self._run.rp["vol_bar"]
            spread = math.sqrt((frac - f0) * (1.0 - frac) / (1.0 - f0))
            self._bridge *= (1.0 - frac) / (1.0 - f0)
            self._bridge += spread * sd * self._tick_rng.standard_normal(len(self._bridge))
            self._frac = frac
        cur: np.ndarray = self._open.copy()
        o, c = self._open, self._close
        cur[..., _LEVELS] = o[..., _LEVELS] + self._frac * (c[..., _LEVELS] - o[..., _LEVELS])
        price, spot, fut, liq_long, liq_short = _TICK_COLUMNS
        cur[..., price] = o[..., price] * np.exp(
            self._frac * np.log(c[..., price] / o[..., price]) + self._bridge[:, None]
        )
        cur[..., spot] = c[..., spot] * self._frac
        cur[..., _TAKER] = c[..., _TAKER] * self._frac
        cur[..., Col.SPOT_PRICE] = cur[..., price] * (1.0 - cur[..., Col.PREMIUM])
        cur[..., fut] = c[..., fut] * self._frac
        done = np.clip((self._frac - self._burst) / _BURST_WIDTH, 0.0, 1.0)
        cur[..., liq_long] = c[..., liq_long] * done[..., 0]
        cur[..., liq_short] = c[..., liq_short] * done[..., 1]
        return cur

    def _block(self, bars: np.ndarray, at_ms: int) -> BarBlock:
        """The (S, V, C) values of the current bar as of ``at_ms`` as one message."""
        next_funding = tuple((at_ms // ms + 1) * ms for ms in self._interval_ms)
        values = bars.copy()  # the market keeps working on its own arrays
        values.flags.writeable = False
        return BarBlock(self._bar_t, tuple(self._symbols), VENUES, values, next_funding)


def _frozen(a: np.ndarray) -> np.ndarray:
    """A read-only view: histories are shared with whoever loads them.

    A view, not a copy: contiguous copies of all 200 series of a 50-symbol watchlist were another
    32 MB at start-up, on top of the block they came from and the store they go into.
    """
    out: np.ndarray = a.view()
    out.flags.writeable = False
    return out


def _burst_starts(u: np.ndarray) -> np.ndarray:
    """When in the bar each venue's long and short liquidation bursts begin: (S, V, 2) fractions."""
    starts: np.ndarray = u[:, U_BURST].reshape(len(u), 2, NV).transpose(0, 2, 1) * (1.0 - _BURST_WIDTH)
    return starts


async def run_simulation(
    market: SimulatedMarket,
    publish: Callable[[list[BarBlock]], None],
    speed: float = 1.0,
    rng_seed: int = 0,
    sleep: Callable[[float], Awaitable[object]] | None = None,
) -> None:
    """Tick ``market`` forever, publishing each tick's updates.

    Each round sleeps a seeded random 1-2 s of wall time, then advances the simulated clock by that
    time x ``speed``. The requested delay, not a measured one, is used so a run (and a test with a fake
    ``sleep``) is reproducible.

    Args:
        market: the simulated market.
        publish: receives each tick's blocks (the app's source writes them into its store).
        speed: simulated seconds per wall second.
        rng_seed: seed of the tick delays.
        sleep: awaitable sleep, injectable for tests (None: ``asyncio.sleep``).
    """
    if sleep is None:
        import asyncio  # here: ``perptop snapshot --demo`` uses the market without an event loop

        sleep = asyncio.sleep
    delays = random.Random(rng_seed)
    while True:
        delay = delays.uniform(1.0, 2.0)
        await sleep(delay)
        publish(market.tick_blocks(delay * speed))
