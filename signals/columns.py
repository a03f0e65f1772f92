"""The bar columns of SIGNALS.md and the positions they take in a bar array.

A bar array is a float64 array whose last axis holds these columns in this order; ``time`` is epoch
milliseconds (exact in float64), every other column is NaN where unknown.
"""

from __future__ import annotations

COLUMNS: tuple[str, ...] = (
    "time",
    "price",
    "oi",
    "funding",
    "funding_interval_h",
    "ls_ratio",
    "liq_long_usd",
    "liq_short_usd",
    "spot_volume_usd",
    "futures_volume_usd",
)
"""Bar columns, in array order. ``oi`` is in base coin, funding a fraction per the venue's interval."""

INDEX: dict[str, int] = {name: i for i, name in enumerate(COLUMNS)}

TIME, PRICE, OI, FUNDING, FUNDING_INTERVAL_H, LS_RATIO, LIQ_LONG, LIQ_SHORT, SPOT_VOL, FUT_VOL = range(
    len(COLUMNS)
)

FLOW_COLUMNS: frozenset[str] = frozenset(
    {"liq_long_usd", "liq_short_usd", "spot_volume_usd", "futures_volume_usd"}
)
"""Columns that are amounts during the bar (summed when bars merge), not levels at bar close."""
