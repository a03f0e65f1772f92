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
    "premium",
    "spot_price",
    "taker_buy_usd",
    "taker_sell_usd",
    "spot_taker_buy_usd",
    "spot_taker_sell_usd",
    "ls_top_position",
    "funding_spread_8h",
)
"""Bar columns, in array order. ``oi`` is in base coin, funding a fraction per the venue's interval. The last
eight are SIGNALS.md's "Added columns": ``premium`` mark / index - 1, ``spot_price`` the spot last price, the taker
notionals of the bar (perp and spot) in USD, ``ls_top_position`` the top traders' long/short position ratio, and
``funding_spread_8h`` (cross-venue series only) max - min of the venues' 8h funding."""

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
    PREMIUM = 10
    SPOT_PRICE = 11
    TAKER_BUY = 12
    TAKER_SELL = 13
    SPOT_TAKER_BUY = 14
    SPOT_TAKER_SELL = 15
    LS_TOP = 16
    FUNDING_SPREAD = 17


FLOW_COLUMNS: frozenset[str] = frozenset(
    {
        "liq_long_usd",
        "liq_short_usd",
        "spot_volume_usd",
        "futures_volume_usd",
        "taker_buy_usd",
        "taker_sell_usd",
        "spot_taker_buy_usd",
        "spot_taker_sell_usd",
    }
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
    "premium",
    "spot_price",
    "taker_buy",
    "taker_sell",
    "spot_taker_buy",
    "spot_taker_sell",
    "ls_top",
    "funding_spread",
) and len(Col) == len(COLUMNS)
