"""The cross-venue funding spread: which symbols pay most differently across venues, ranked.

For each symbol, every venue's current funding is normalised to 8 h (Hyperliquid's hourly rate x 8,
a 4 h rate x 2); the spread is the highest venue's minus the lowest venue's, per 8 h and as APR. A
trader long on the low venue and short on the high one collects it (fees and basis aside). Symbols
with funding on fewer than two venues have no spread: they are listed after the ranked ones. No
Textual here: ``tui.screens.funding`` draws what ``funding_spreads`` returns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from signals.columns import Col
from signals.features import funding8h
from tui.model.bars import BarStore
from tui.model.settlement import apr, roll_forward


@dataclass(frozen=True, slots=True)
class VenueFunding:
    """One venue's funding for a symbol: 8 h rate (fraction), OI in USD (NaN unknown), next settlement
    (ms, 0 unknown)."""

    venue: str
    funding_8h: float
    oi_usd: float = math.nan
    next_funding_ms: int = 0


@dataclass(frozen=True, slots=True)
class FundingSpread:
    """A symbol's spread between its highest- and lowest-funding venues.

    ``high`` and ``low`` are None when no venue has funding; with one venue both are that venue and
    ``spread_8h`` is NaN.
    """

    symbol: str
    high: VenueFunding | None
    low: VenueFunding | None
    venues: int

    @property
    def spread_8h(self) -> float:
        """Highest minus lowest 8 h funding (a fraction); NaN with fewer than two venues."""
        if self.venues < 2 or self.high is None or self.low is None:
            return math.nan
        return self.high.funding_8h - self.low.funding_8h

    @property
    def spread_apr(self) -> float:
        """The spread a year: x 3 x 365."""
        return apr(self.spread_8h)


def spread_of(symbol: str, venues: Sequence[VenueFunding]) -> FundingSpread:
    """The spread of one symbol over the venues that have funding (NaN rates are left out).

    Ties keep the venues' order: the first venue with the highest rate is ``high``, the first with the
    lowest is ``low``.
    """
    known = [v for v in venues if math.isfinite(v.funding_8h)]
    if not known:
        return FundingSpread(symbol, None, None, 0)
    high = max(known, key=lambda v: v.funding_8h)
    low = min(known, key=lambda v: v.funding_8h)
    return FundingSpread(symbol, high, low, len(known))


def rank(spreads: Sequence[FundingSpread]) -> list[FundingSpread]:
    """Widest spread first; symbols on fewer than two venues after, in their given order."""
    ranked = [s for s in spreads if s.venues >= 2]
    ranked.sort(key=lambda s: s.spread_8h, reverse=True)  # sort is stable: equal spreads keep their order
    return ranked + [s for s in spreads if s.venues < 2]


def funding_spreads(
    store: BarStore, symbols: Sequence[str], now_ms: int | None = None
) -> list[FundingSpread]:
    """The ranked spreads of ``symbols`` (watchlist order breaks ties) from the store's current bars.

    ``now_ms``: settlement times already past roll forward to the next one on the venue's schedule.
    """
    idx = [i for s in symbols if (i := store.symbol_index(s)) is not None]
    if not idx or store.count == 0:
        return rank([spread_of(s, ()) for s in symbols if store.symbol_index(s) is not None])
    nv = len(store.venues)
    latest = store.latest()[idx, :nv]  # (k, V, C)
    interval = latest[..., Col.FUNDING_INTERVAL_H]
    with np.errstate(invalid="ignore"):
        f8 = funding8h(latest[..., Col.FUNDING], interval).tolist()
        oi_usd = (latest[..., Col.OI] * latest[..., Col.PRICE]).tolist()
    times = store.next_funding_ms[idx][:, :nv]
    if now_ms is not None:
        times = roll_forward(times, interval, now_ms)
    next_ms = times.tolist()
    spreads = [
        spread_of(
            store.symbols[s],
            [VenueFunding(v, f8[k][j], oi_usd[k][j], next_ms[k][j]) for j, v in enumerate(store.venues)],
        )
        for k, s in enumerate(idx)
    ]
    return rank(spreads)
