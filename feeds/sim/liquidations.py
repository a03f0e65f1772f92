"""Liquidation events of the simulated market, split from its bars' liquidation totals.

The simulation draws liquidations as bar totals (``liq_long`` / ``liq_short`` per symbol x venue x bar);
a tape needs orders. Both functions here cut those totals into a few orders whose USD adds up to the
bar's total exactly, so the tape, the drill-down's clusters and the bars tell one story:

- ``history_events``: each bar of the recent history with a total is split into 1-3 orders at random
  times within the bar, at prices near the bar's close (longs are liquidated a little below it, shorts a
  little above, within ``PRICE_SPREAD``).
- ``TickSplitter``: while the current bar runs, a total grows tick by tick during its burst; the growth
  is handed on as one order once ``ORDER_GAP_MS`` of simulated time has gathered it, when the burst
  stops growing, and (the rest) when the bar closes. A burst of a fifth of a 5-minute bar thus arrives
  as a few orders at the prices the simulated market was trading at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from feeds.messages import BarBlock, History
from feeds.records import Liquidation
from signals.columns import Col

PRICE_SPREAD = 0.002  # log-sd of an order's distance from the bar's price
ORDER_GAP_MS = 15_000  # simulated time one live order gathers before it is handed on
HISTORY_EVENTS_H = 24.0  # hours of history split into orders at start (the drill-down's default window)
_LIQ = (int(Col.LIQ_LONG), int(Col.LIQ_SHORT))
# The columns ``history_events`` reads, in the order a ``RecentBars`` keeps them.
_SPLIT = [int(Col.TIME), int(Col.PRICE), *_LIQ]
_TIME, _PRICE, _SIDES = 0, 1, (2, 3)


def _order(venue: str, symbol: str, t: int, side: int, price: float, usd: float) -> Liquidation:
    name: Literal["long", "short"] = "long" if side == 0 else "short"
    return Liquidation(venue, symbol, symbol, int(t), name, price, usd / price, usd)


def _away(rng: np.random.Generator, side: int, n: int) -> np.ndarray:
    """Log distances of ``n`` fills from the bar's price: below it for longs (forced sells), above for
    shorts (forced buys)."""
    away = np.abs(rng.normal(0.0, PRICE_SPREAD, n))
    out: np.ndarray = -away if side == 0 else away
    return out


def split_totals(
    rng: np.random.Generator, totals: np.ndarray, starts: np.ndarray, step_ms: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bar totals as 1-3 orders each, at random times within their bars.

    Args:
        rng: the random stream.
        totals: each bar's total (> 0).
        starts: each bar's open time (ms).
        step_ms: the bar length.

    Returns:
        Per order: the bar it belongs to (index into ``totals``), its time and its USD; a bar's orders
        sum to its total.
    """
    counts = rng.integers(1, 4, len(totals))
    bar = np.repeat(np.arange(len(totals)), counts)
    shares = rng.random(len(bar)) + 0.25  # no order is a crumb of the others
    first = np.cumsum(counts) - counts
    usd = totals[bar] * shares / np.add.reduceat(shares, first)[bar]
    last = first + counts - 1  # the last order takes what rounding left, so the sum is exact
    usd[last] = totals - (np.add.reduceat(usd, first) - usd[last])
    times = starts[bar] + rng.integers(0, step_ms, len(bar))
    return bar, times, usd


@dataclass(frozen=True)
class RecentBars:
    """What ``history_events`` splits of one series' history: its last hours, in the four columns it reads.

    Attributes:
        venue: the venue.
        symbol: the symbol.
        bars: (n, 4) float64: bar time (ms), price, long and short liquidations (USD), oldest first.
    """

    venue: str
    symbol: str
    bars: np.ndarray


def recent_history(h: History, step_ms: int, hours: float = HISTORY_EVENTS_H) -> RecentBars:
    """A copy of what ``history_events`` reads of ``h``: its last ``hours`` of bars, four columns of them.

    The demo keeps one per series until its whole week is loaded: every column of the last day was
    32 MB at 200 symbols, held at the start's peak and left in the heap after it.
    """
    keep = int(hours * 3_600_000 // step_ms) + 1
    return RecentBars(h.venue, h.symbol, h.bars[-keep:, _SPLIT])


def _last_hours(h: History | RecentBars, hours: float) -> np.ndarray:
    """The bars of ``h`` within ``hours`` of its last one, as ``RecentBars.bars`` (four columns)."""
    bars: np.ndarray = h.bars
    if isinstance(h, History):
        whole: np.ndarray = bars[bars[:, Col.TIME] > bars[-1, Col.TIME] - hours * 3_600_000][:, _SPLIT]
        return whole
    recent: np.ndarray = bars[bars[:, _TIME] > bars[-1, _TIME] - hours * 3_600_000]
    return recent


def history_events(
    histories: Sequence[History | RecentBars], step_ms: int, seed: int, hours: float = HISTORY_EVENTS_H
) -> list[Liquidation]:
    """The orders of the last ``hours`` of ``histories``' bars, oldest first (the same for the same seed,
    whether a series comes whole or as ``recent_history`` kept it)."""
    rng = np.random.default_rng([seed, 0x11C])
    out: list[Liquidation] = []
    for h in histories:
        if len(h.bars) == 0:
            continue
        recent = _last_hours(h, hours)
        for side, col in enumerate(_SIDES):
            keep = (recent[:, col] > 0) & (recent[:, _PRICE] > 0)
            if not keep.any():
                continue
            rows = recent[keep]
            bar, times, usd = split_totals(rng, rows[:, col], rows[:, _TIME].astype(np.int64), step_ms)
            prices = rows[bar, _PRICE] * np.exp(_away(rng, side, len(bar)))
            out += [
                _order(h.venue, h.symbol, t, side, p, u)
                for t, p, u in zip(times.tolist(), prices.tolist(), usd.tolist(), strict=True)
            ]
    out.sort(key=lambda e: e.time)
    return out


class TickSplitter:
    """Turns the growth of the current bars' liquidation totals into orders, tick by tick.

    Args:
        step_ms: the bar length.
        seed: seed of the fill prices.
    """

    def __init__(self, step_ms: int, seed: int = 0) -> None:
        self.step_ms = step_ms
        self._rng = np.random.default_rng([seed, 0x7AC])
        self._bar: int | None = None
        self._symbols: tuple[str, ...] = ()
        self._venues: tuple[str, ...] = ()
        self._seen = np.zeros((0, 0, 2))  # the totals as last seen
        self._sent = np.zeros((0, 0, 2))  # the part of them handed on as orders
        self._since = np.zeros((0, 0, 2))  # when the part not yet handed on began to gather (ms)
        self._price = np.zeros((0, 0))

    def observe(self, blocks: Sequence[BarBlock], now_ms: int) -> list[Liquidation]:
        """The orders that ``blocks`` (one tick's, oldest first) complete, as of the simulated ``now_ms``."""
        out: list[Liquidation] = []
        for block in blocks:
            if block.time != self._bar:
                if self._bar is not None:  # the previous bar closed: the rest of its totals goes now
                    out += self._hand_on(self._seen > self._sent, self._bar + self.step_ms - 1)
                self._start(block)
            elif block.symbols != self._symbols or block.venues != self._venues:
                self._remap(block)
            totals = np.nan_to_num(np.asarray(block.values)[:, :, _LIQ], nan=0.0)
            grew = totals > self._seen
            fresh = grew & (self._seen <= self._sent)  # nothing was gathering: it starts now
            self._since[fresh] = now_ms
            self._seen = np.maximum(self._seen, totals)
            self._price = np.asarray(block.values)[:, :, int(Col.PRICE)]
            pending = self._seen > self._sent
            due = pending & (~grew | (now_ms - self._since >= ORDER_GAP_MS))
            if due.any():
                out += self._hand_on(due, min(now_ms, block.time + self.step_ms - 1))
        return out

    def _start(self, block: BarBlock) -> None:
        shape = (len(block.symbols), len(block.venues), 2)
        self._bar, self._symbols, self._venues = block.time, block.symbols, block.venues
        self._seen, self._sent, self._since = np.zeros(shape), np.zeros(shape), np.zeros(shape)

    def _remap(self, block: BarBlock) -> None:
        """Symbols were added or removed within the bar: keep what was seen of those that stay."""
        old = {s: i for i, s in enumerate(self._symbols)}
        seen, sent, since = self._seen, self._sent, self._since
        self._start(block)
        if block.venues != tuple(self._venues) or seen.shape[1] != len(block.venues):
            return
        for i, s in enumerate(block.symbols):
            j = old.get(s)
            if j is not None:
                self._seen[i], self._sent[i], self._since[i] = seen[j], sent[j], since[j]

    def _hand_on(self, due: np.ndarray, at_ms: int) -> list[Liquidation]:
        out: list[Liquidation] = []
        for s, v, side in np.argwhere(due).tolist():
            usd = float(self._seen[s, v, side] - self._sent[s, v, side])
            price = float(self._price[s, v]) if s < len(self._price) else float("nan")
            self._sent[s, v, side] = self._seen[s, v, side]
            if not price > 0:
                continue
            fill = price * float(np.exp(_away(self._rng, side, 1)[0]))
            out.append(_order(self._venues[v], self._symbols[s], at_ms, side, fill, usd))
        return out
