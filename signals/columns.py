"""The bar columns of SIGNALS.md and the positions they take in a bar array.

A bar array is a float64 array whose last axis holds these columns in this order; ``time`` is epoch
milliseconds (exact in float64), every other column is NaN where unknown.
"""

from __future__ import annotations

from enum import IntEnum

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


class Col(IntEnum):
    """Position of each column in a bar array: ``bars[..., Col.PRICE]``.

    One named type instead of ten loose integers, so a module needs one import to index any column.
    """

    TIME = 0
    PRICE = 1
    OI = 2
    FUNDING = 3
    FUNDING_INTERVAL_H = 4
    LS_RATIO = 5
    LIQ_LONG = 6
    LIQ_SHORT = 7
    SPOT_VOL = 8
    FUT_VOL = 9


FLOW_COLUMNS: frozenset[str] = frozenset(
    {"liq_long_usd", "liq_short_usd", "spot_volume_usd", "futures_volume_usd"}
)
"""Columns that are amounts during the bar (summed when bars merge), not levels at bar close."""

assert tuple(c.name.lower() for c in Col) == (
    "time",
    "price",
    "oi",
    "funding",
    "funding_interval_h",
    "ls_ratio",
    "liq_long",
    "liq_short",
    "spot_vol",
    "fut_vol",
) and len(Col) == len(COLUMNS)
