"""The cross-venue series of a symbol, computed from its venue series.

Price is the mean of the venues that have one; open interest is summed in USD (a venue's rows before
its first known OI count that first OI, so a venue joining late is not an OI jump); funding
(normalised to 8 h), the long/short ratios (all accounts and top traders' positions) and the premium are
weighted by each venue's OI in USD; liquidations, volumes and taker flows are summed. The spot price is
the first venue's (in the watched order) that has one: the venues' spot pairs quote in different
stablecoins (USDT, USDC) and a mean of them is a price no one traded, which would also jump as venues
come and go; the first venue (Binance by default) has the deepest spot book. ``funding_spread_8h`` is
the highest minus the lowest 8h funding of the venues at the bar, where at least two report one (else
the spread a series carries itself: a cross-venue history replayed as one series).
Pure numpy on bar blocks, so the bar store and tests share one definition.
"""

from __future__ import annotations

import numpy as np

from signals.columns import Col
from signals.features import funding8h

FLOW_SUMS = (
    Col.LIQ_LONG,
    Col.LIQ_SHORT,
    Col.SPOT_VOL,
    Col.FUT_VOL,
    Col.TAKER_BUY,
    Col.TAKER_SELL,
    Col.SPOT_TAKER_BUY,
    Col.SPOT_TAKER_SELL,
)


def mean_present(x: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the non-NaN values; NaN where there are none (no warning)."""
    present = ~np.isnan(x)
    n = present.sum(axis=-1)
    total = np.where(present, x, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / n, np.nan)


def weighted(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mean of ``x`` over the last axis weighted by ``w`` (OI in USD), NaN where ``x`` has no value.

    Where no venue with a value has a weight (a history without open interest, such as candles and
    funding alone), the venues count equally rather than the row losing its value.
    """
    present = ~np.isnan(x)
    xw = np.where(present, w, 0.0)
    total = xw.sum(axis=-1)
    xw = np.where((total > 0)[..., None], xw, present.astype(np.float64))
    total = xw.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.where(present, x, 0.0) * xw).sum(axis=-1) / total, np.nan)


def first_present(x: np.ndarray) -> np.ndarray:
    """The first non-NaN value over the last axis; NaN where there is none."""
    present = ~np.isnan(x)
    first = np.argmax(present, axis=-1)[..., None]
    return np.where(present.any(axis=-1), np.take_along_axis(x, first, axis=-1)[..., 0], np.nan)


def spread(x: np.ndarray) -> np.ndarray:
    """Highest minus lowest non-NaN value over the last axis; NaN where fewer than two are known."""
    present = ~np.isnan(x)
    high = np.where(present, x, -np.inf).max(axis=-1)
    low = np.where(present, x, np.inf).min(axis=-1)
    return np.where(present.sum(axis=-1) >= 2, high - low, np.nan)


def cross_venue(block: np.ndarray, oi_anchor: np.ndarray, out: np.ndarray) -> None:
    """Write the cross-venue bars of ``block`` into ``out``.

    Args:
        block: venue bars (T, k, V, C) of k symbols.
        oi_anchor: each venue's earliest known open interest (k, V), NaN where none is known yet.
        out: the cross-venue bars (T, k, C) to fill; its ``time`` column is left as it is.
    """
    price = block[..., Col.PRICE]
    agg_price = mean_present(price)
    # Venues join the sum at different times (Hyperliquid keeps no OI history; backfills finish one
    # by one). Summing only the venues present would show each arrival as an OI jump, so a venue's
    # rows before its first open interest count its earliest known OI (at the row's price): the
    # cross-venue change then comes only from venues that have history.
    oi = block[..., Col.OI]
    oi = np.where(np.isnan(oi), oi_anchor[None], oi)
    oi_usd = oi * np.where(np.isnan(price), agg_price[..., None], price)
    w = np.where(np.isnan(oi_usd), 0.0, oi_usd)
    wsum = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg_oi_usd = np.where(wsum > 0, wsum, np.nan)
        f8 = funding8h(block[..., Col.FUNDING], block[..., Col.FUNDING_INTERVAL_H])
        funding = weighted(f8, w)
        ls_agg = weighted(block[..., Col.LS_RATIO], w)
        out[..., Col.PREMIUM] = weighted(block[..., Col.PREMIUM], w)
        out[..., Col.LS_TOP] = weighted(block[..., Col.LS_TOP], w)
    out[..., Col.SPOT_PRICE] = first_present(block[..., Col.SPOT_PRICE])
    # A series that carries its own spread (a replayed cross-venue export: one "venue") keeps it.
    across = spread(f8)
    out[..., Col.FUNDING_SPREAD] = np.where(
        np.isnan(across), first_present(block[..., Col.FUNDING_SPREAD]), across
    )
    out[..., Col.PRICE] = agg_price
    out[..., Col.OI] = agg_oi_usd / agg_price
    out[..., Col.FUNDING] = funding
    out[..., Col.FUNDING_INTERVAL_H] = 8.0
    out[..., Col.LS_RATIO] = ls_agg
    for c in FLOW_SUMS:
        col = block[..., c]
        out[..., c] = np.where(np.isnan(col).all(axis=-1), np.nan, np.nansum(col, axis=-1))
