"""The liquidation tape's model: the latest liquidation events across venues, and their clusters by price.

``LiqTape`` keeps the last ``capacity`` events the source handed on (a ring buffer, from app start, so
the tape screen shows what came before it was opened) and, per symbol, the last ``per_symbol`` events,
so the drill-down's clusters of a quiet coin are not pushed out by a busy one. ``price_bins`` folds the
events of a window into price bins, longs and shorts apart: observed events only, no modelled levels.

No Textual here: the tape screen (``tui.screens.liquidations``) and the clusters widget
(``tui.widgets.liq_clusters``) draw what these return.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from feeds.records import Liquidation
from feeds.source import LiquidationListener
from tui.model.liq_events import SymbolEvents

TAPE_CAPACITY = 2_000
PER_SYMBOL_CAPACITY = 5_000  # the clusters' events of one symbol: a day of BTC in the demo (175 KB when full)
LARGE_LIQUIDATION_USD = 100_000.0
"""Default ``[display] large_liquidation_usd``: an order of this size moves a mid-cap's book and is rare
enough on BTC to read as news (Binance's BTC tape sees a few per hour on a quiet day)."""

NOTES: dict[str, str] = {
    "live": (
        "observed events: Binance sends at most one per symbol per second (a sample); "
        "OKX's feed is not complete; Hyperliquid publishes none"
    ),
    "demo": "simulated events: each bar's liquidation total split into a few orders",
    "replay": "no liquidation events in a replay (only bar totals are stored)",
}
"""What the tape's header says it shows, by the app's mode."""

_NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


class LiqTape:
    """The latest liquidation events, newest kept; fed by ``source.listen_liquidations``.

    Args:
        capacity: events the tape keeps across all symbols.
        per_symbol: events kept per symbol for the drill-down's clusters.
        large_usd: an event of at least this many USD is marked as large.
        mode: the app's mode (``live``, ``demo``, ``replay``), for ``note`` and ``unavailable``.

    Attributes:
        version: moves with every batch that added an event (screens redraw only when it moved).
        received: events taken since the start (more than are kept once the ring is full).
    """

    def __init__(
        self,
        capacity: int = TAPE_CAPACITY,
        per_symbol: int = PER_SYMBOL_CAPACITY,
        large_usd: float = LARGE_LIQUIDATION_USD,
        mode: str = "live",
    ) -> None:
        self.capacity = capacity
        self.per_symbol = per_symbol
        self.large_usd = large_usd
        self.mode = mode
        self._events: deque[Liquidation] = deque(maxlen=capacity)
        self._by_symbol: dict[str, SymbolEvents] = {}
        self.version = 0
        self.received = 0

    @property
    def note(self) -> str:
        """The tape's header line: what its events are (observed, simulated, or none in a replay)."""
        return NOTES.get(self.mode, NOTES["live"])

    @property
    def unavailable(self) -> str:
        """Why no events can arrive at all ("" when they can)."""
        return NOTES["replay"] if self.mode == "replay" else ""

    def add(self, events: Iterable[Liquidation]) -> None:
        """Keep a batch of events (the source's listener; called on the event loop)."""
        n = 0
        by_symbol: dict[str, list[Liquidation]] = {}
        for e in events:
            if not (e.usd > 0.0 and e.price > 0.0):  # nan or a zero fill says nothing about a level
                continue
            self._events.append(e)
            by_symbol.setdefault(e.base, []).append(e)
            n += 1
        for base, batch in by_symbol.items():  # each symbol's in one go: the demo's day comes at once
            held = self._by_symbol.get(base)
            if held is None:
                held = self._by_symbol[base] = SymbolEvents(self.per_symbol)
            held.extend(batch)
        if n:
            self.received += n
            self.version += 1

    def listener(self, also: LiquidationListener | None = None) -> LiquidationListener:
        """A listener that keeps each batch here and hands it on to ``also`` (the history recorder):
        a source has one listener, and both want every event."""
        if also is None:
            return self.add
        then = also

        def both(events: Sequence[Liquidation]) -> None:
            self.add(events)
            then(events)

        return both

    def __len__(self) -> int:
        return len(self._events)

    def latest(self, symbol_text: str = "", limit: int | None = None) -> list[Liquidation]:
        """The kept events whose symbol contains ``symbol_text`` (any case), newest first."""
        needle = symbol_text.strip().upper()
        out = [e for e in self._events if needle in e.base.upper()] if needle else list(self._events)
        # Venues' streams arrive with their own delays: order by the event's time, not arrival.
        out.sort(key=lambda e: e.time, reverse=True)
        return out if limit is None else out[:limit]

    def is_large(self, event: Liquidation) -> bool:
        """Whether ``event`` is at least ``large_usd``."""
        return event.usd >= self.large_usd

    def window(self, symbol: str, start_ms: int, end_ms: int) -> list[Liquidation]:
        """The kept events of ``symbol`` with ``start_ms <= time < end_ms``, oldest first."""
        held = self._by_symbol.get(symbol)
        return [] if held is None else held.window(start_ms, end_ms)

    def held_since(self, symbol: str) -> int | None:
        """The time of the oldest event of ``symbol`` still held when its buffer is full (older ones were
        dropped), else None: the clusters say so rather than pass a part of the window for all of it."""
        held = self._by_symbol.get(symbol)
        if held is None or len(held) < self.per_symbol:
            return None
        return held.oldest_time()


@dataclass(frozen=True)
class PriceBins:
    """Liquidated USD by price level, longs and shorts apart.

    Attributes:
        edges: the bins' lower edges, ascending; bin ``i`` is ``[edges[i], edges[i] + step)``.
        step: the bins' width (a round number: 1, 2, 2.5 or 5 times a power of ten).
        longs: USD of long positions liquidated per bin.
        shorts: USD of short positions liquidated per bin.
        current: the bin that holds the current price (None: no price known).
        events: how many events went into the bins.
    """

    edges: np.ndarray
    step: float
    longs: np.ndarray
    shorts: np.ndarray
    current: int | None
    events: int


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is at least ``raw`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(raw))
    for m in _NICE_STEPS:
        if m * power >= raw * (1 - 1e-12):
            return m * power
    return 10.0 * power  # not reached: 10 x power >= raw always


def price_bins(events: Sequence[Liquidation], max_bins: int, current_price: float) -> PriceBins | None:
    """Fold ``events`` into at most ``max_bins`` price bins of a round width, covering the events' prices
    and ``current_price`` (nan: none), so the current level shows among the flushed ones.

    Returns:
        None when there is no event (or ``max_bins`` < 1).
    """
    if not events or max_bins < 1:
        return None
    prices = np.array([e.price for e in events], dtype=float)
    usd = np.array([e.usd for e in events], dtype=float)
    is_long = np.array([e.side == "long" for e in events], dtype=bool)
    has_current = math.isfinite(current_price) and current_price > 0
    span = np.append(prices, current_price) if has_current else prices
    lo, hi = float(span.min()), float(span.max())
    step = nice_step((hi - lo) / max_bins if hi > lo else max(abs(lo), 1e-12) * 1e-3)
    while True:  # a round step with a rounded-down start can need one bin more than asked: widen it
        first = math.floor(lo / step + 1e-9) * step
        count = math.floor((hi - first) / step + 1e-9) + 1
        if count <= max_bins:
            break
        step = nice_step(step * 1.000001)
    # A small epsilon: 0.3 / 0.1 is 2.999..., and a price on an edge belongs to the bin above it.
    index = np.clip(np.floor((prices - first) / step + 1e-9).astype(int), 0, count - 1)
    longs = np.bincount(index[is_long], weights=usd[is_long], minlength=count)
    shorts = np.bincount(index[~is_long], weights=usd[~is_long], minlength=count)
    current = None
    if has_current:
        current = min(count - 1, max(0, math.floor((current_price - first) / step + 1e-9)))
    edges = first + step * np.arange(count)
    return PriceBins(edges, step, longs, shorts, current, len(events))
