"""The flags of SIGNALS.md: names, directions, short codes for the watchlist, and the ``Flag`` record."""

from __future__ import annotations

from dataclasses import dataclass

FLAG_NAMES: tuple[str, ...] = (
    "weak_rally",
    "bull_momentum",
    "bear_momentum",
    "weak_selloff",
    "short_squeeze_risk",
    "long_squeeze_risk",
    "cascade_risk",
    "leverage_driven",
    "funding_extreme",
    "funding_flip",
    "premium_extreme",
    "flow_divergence",
    "top_trader_divergence",
    "funding_dispersion",
)

DIRECTION: dict[str, int] = {
    "weak_rally": -1,
    "bull_momentum": 1,
    "bear_momentum": -1,
    "weak_selloff": 1,
    "short_squeeze_risk": 1,
    "long_squeeze_risk": -1,
    "cascade_risk": -1,
    "leverage_driven": 0,
    "funding_extreme": 0,  # -sign(funding8h) at the bar: see Flag.direction
    "funding_flip": 0,
    "premium_extreme": 0,  # -sign(premium) at the bar
    "flow_divergence": 0,  # sign(flow(spot, W)) at the bar: spot is taken to lead
    "top_trader_divergence": 0,  # sign(ls_top_position - 1) at the bar: follow the largest traders
    "funding_dispersion": 0,
}
"""Fixed direction of each flag (+1 rise ahead, -1 fall, 0 context); 0 too for those of ``PER_BAR``, whose
direction is set at each bar."""

PER_BAR: dict[str, str] = {
    "funding_extreme": "-sign(funding8h)",
    "premium_extreme": "-sign(premium)",
    "flow_divergence": "sign(spot flow)",
    "top_trader_divergence": "sign(ls_top_position - 1)",
}
"""Directional flags whose direction is read at each bar (``signals.rules.directions``), with the rule as
SIGNALS.md writes it; they are scored with the direction they had at each event."""

INPUTS: dict[str, tuple[str, ...]] = {
    "weak_rally": ("price", "oi"),
    "bull_momentum": ("price", "oi", "funding"),
    "bear_momentum": ("price", "oi", "funding"),
    "weak_selloff": ("price", "oi"),
    "short_squeeze_risk": ("funding", "ls_ratio"),
    "long_squeeze_risk": ("funding", "ls_ratio"),
    "cascade_risk": ("liq_long_usd", "liq_short_usd", "oi"),
    "leverage_driven": ("spot_volume_usd", "futures_volume_usd"),
    "funding_extreme": ("funding",),
    "funding_flip": ("funding",),
    "premium_extreme": ("premium",),
    "flow_divergence": ("taker_buy_usd", "taker_sell_usd", "spot_taker_buy_usd", "spot_taker_sell_usd"),
    "top_trader_divergence": ("ls_top_position", "ls_ratio"),
    "funding_dispersion": ("funding_spread_8h",),
}
"""Bar columns each flag reads; a flag is unavailable for a series where one of them is missing.

``funding_interval_h`` is not listed: it defaults to 8 h where unknown.
"""

CROSS_VENUE_ONLY: frozenset[str] = frozenset({"funding_dispersion"})
"""Flags whose input exists on the cross-venue series only (a spread between venues): on one venue's row
they are not "unavailable", they do not apply, and screens leave them out there."""

CODE: dict[str, str] = {
    "weak_rally": "WR",
    "bull_momentum": "BM",
    "bear_momentum": "SM",
    "weak_selloff": "WS",
    "short_squeeze_risk": "SQ",
    "long_squeeze_risk": "LQ",
    "cascade_risk": "CR",
    "leverage_driven": "LV",
    "funding_extreme": "FX",
    "funding_flip": "FF",
    "premium_extreme": "PX",
    "flow_divergence": "FD",
    "top_trader_divergence": "TT",
    "funding_dispersion": "DS",
}
"""Two-letter codes shown in the watchlist's flag column (legend on ``?``)."""

SUMMARY: dict[str, str] = {
    "weak_rally": "price up while open interest falls: short covering, thin conviction",
    "bull_momentum": "price and open interest up with positive funding: new longs paying up",
    "bear_momentum": "price down, open interest up, negative funding: new shorts",
    "weak_selloff": "price and open interest down: longs closing, selling exhausting",
    "short_squeeze_risk": "negative funding and more short than long accounts: shorts crowded and paying",
    "long_squeeze_risk": "high funding and long accounts far above short: longs crowded and paying",
    "cascade_risk": "liquidation spike while open interest is still high",
    "leverage_driven": "spot volume collapsed against futures: other flags less trustworthy",
    "funding_extreme": "funding beyond the extreme threshold (contrarian)",
    "funding_flip": "funding changed sign since the previous bar",
    "premium_extreme": "perp far over or under its index price (contrarian)",
    "flow_divergence": "spot and perp takers net buying against each other (spot is taken to lead)",
    "top_trader_divergence": "top traders and the crowd positioned on opposite sides (follow the largest)",
    "funding_dispersion": "funding apart across venues: carry traders will close the spread",
}
"""One-line meaning of each flag, for the legend, help and README glossary."""


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag that is on at a bar.

    Attributes:
        name: one of FLAG_NAMES.
        direction: +1, -1 or 0 (for the flags of PER_BAR, their rule at that bar).
        reason: one line with the figures that made it fire, e.g. ``price +2.1% / OI -3.4% in 4h``.
        confidence: 1.0, or ``SignalParams.low_confidence`` while leverage_driven is on (itself excepted).
    """

    name: str
    direction: int
    reason: str
    confidence: float = 1.0

    @property
    def code(self) -> str:
        """The two-letter code shown in the watchlist."""
        return CODE[self.name]
