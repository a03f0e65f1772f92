"""Normalised messages that feeds produce and the store consumes.

Units are fixed here so venue quirks never pass this point: prices in USD(T), open interest in base
coin, funding as a fraction per the venue's own interval, liquidation side = side of the liquidated
position, times in epoch milliseconds. Unknown values are ``nan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

NAN = float("nan")

ALL = "all"
"""The venue name of a symbol's cross-venue series (OI summed in USD, funding and L/S OI-weighted)."""

BAR_STEP_MS = 300_000
"""Length of a live bar: five minutes, as SIGNALS.md samples live data."""

VenueState = Literal["ok", "stale", "error", "blocked", "starting"]


@dataclass(frozen=True, slots=True)
class BarUpdate:
    """The current state of one bar of one symbol on one venue.

    A feed sends one each time the bar changes; a later update with the same ``time`` replaces the
    earlier one, a later ``time`` opens a new bar. Flow fields (liquidations, volumes) are totals of the
    bar so far, not increments.
    """

    venue: str
    symbol: str
    time: int  # bar open, epoch ms
    price: float
    oi: float = NAN  # base coin
    funding: float = NAN  # fraction per funding_interval_h
    funding_interval_h: float = 8.0
    ls_ratio: float = NAN
    liq_long_usd: float = NAN
    liq_short_usd: float = NAN
    spot_volume_usd: float = NAN
    futures_volume_usd: float = NAN
    premium: float = NAN  # mark / index - 1
    spot_price: float = NAN  # last spot trade of the same coin
    taker_buy_usd: float = NAN  # perp taker notional of the bar so far
    taker_sell_usd: float = NAN
    spot_taker_buy_usd: float = NAN
    spot_taker_sell_usd: float = NAN
    ls_top_position: float = NAN  # top traders' long/short position ratio
    funding_spread_8h: float = NAN  # cross-venue series only
    change_24h: float = NAN  # fraction, as the venue reports it (NaN: derive from bars)
    next_funding_ms: int = 0  # 0 when unknown
    funding_next: float = (
        NAN  # the venue's predicted next rate where it differs from ``funding`` (not stored)
    )


@dataclass(frozen=True, slots=True)
class BarBlock:
    """The current bar of many series at once: one array instead of one BarUpdate per series.

    ``values[s, v]`` is the bar of ``symbols[s]`` on ``venues[v]`` (columns of signals.columns; the
    ``time`` column is ignored, ``time`` here is the bar's open). Feeds that update every series at
    once (the simulator) send these: building hundreds of objects per tick cost more than the rest.
    """

    time: int
    symbols: tuple[str, ...]
    venues: tuple[str, ...]
    values: np.ndarray  # (len(symbols), len(venues), len(COLUMNS)) float64, read-only
    next_funding_ms: tuple[int, ...] = ()  # per venue, 0 when unknown

    def updates(self) -> list[BarUpdate]:
        """The same content as one BarUpdate per series, symbol-major."""
        rows = self.values.reshape(-1, self.values.shape[-1]).tolist()
        nf = self.next_funding_ms or (0,) * len(self.venues)
        keys = [(v, s, f) for s in self.symbols for v, f in zip(self.venues, nf, strict=True)]
        # Column order of signals.columns.COLUMNS (time first, ignored here).
        return [
            BarUpdate(
                v,
                s,
                self.time,
                price=r[1],
                oi=r[2],
                funding=r[3],
                funding_interval_h=r[4],
                ls_ratio=r[5],
                liq_long_usd=r[6],
                liq_short_usd=r[7],
                spot_volume_usd=r[8],
                futures_volume_usd=r[9],
                premium=r[10],
                spot_price=r[11],
                taker_buy_usd=r[12],
                taker_sell_usd=r[13],
                spot_taker_buy_usd=r[14],
                spot_taker_sell_usd=r[15],
                ls_top_position=r[16],
                funding_spread_8h=r[17],
                next_funding_ms=f,
            )
            for (v, s, f), r in zip(keys, rows, strict=True)
        ]


@dataclass(frozen=True, slots=True)
class History:
    """Closed bars of one symbol on one venue, oldest first (backfill or simulated history).

    ``bars`` is a float64 array of shape (n, len(signals.columns.COLUMNS)).
    """

    venue: str
    symbol: str
    bars: np.ndarray


@dataclass(frozen=True, slots=True)
class VenueStatus:
    """A venue's health as its feed sees it."""

    venue: str
    state: VenueState
    detail: str = ""
    last_data_ms: int = 0
