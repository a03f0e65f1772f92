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


def _vsum(x: np.ndarray) -> np.ndarray:
    """Sum over the first axis (the venues), in venue order: as ``sum(axis=0)`` over so few, and faster."""
    total: np.ndarray = x[0].copy()
    for row in x[1:]:
        total += row
    return total


def _weighted(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Mean of ``x`` over the venues (first axis) weighted by ``w`` (OI in USD), NaN where ``x`` has no value.

    Where no venue with a value has a weight (a history without open interest, such as candles and
    funding alone), the venues count equally rather than the row losing its value.
    """
    present = ~np.isnan(x)
    xw = np.where(present, w, 0.0)
    total = _vsum(xw)
    xw = np.where(total > 0, xw, present)
    total = _vsum(xw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, _vsum(np.where(present, x, 0.0) * xw) / total, np.nan)


def _first_present(x: np.ndarray) -> np.ndarray:
    """The first non-NaN value over the venues (first axis); NaN where there is none."""
    out: np.ndarray = x[-1].copy()
    for row in x[-2::-1]:
        out = np.where(np.isnan(row), out, row)
    return out


def _spread(x: np.ndarray) -> np.ndarray:
    """Highest minus lowest non-NaN value over the venues (first axis); NaN where fewer than two are known."""
    present = ~np.isnan(x)
    high = np.where(present, x, -np.inf).max(axis=0)
    low = np.where(present, x, np.inf).min(axis=0)
    return np.where(_vsum(present.astype(np.int8)) >= 2, high - low, np.nan)


def cross_venue(block: np.ndarray, oi_anchor: np.ndarray, out: np.ndarray) -> None:
    """Write the cross-venue bars of ``block`` into ``out``.

    Args:
        block: venue bars (T, k, V, C) of k symbols.
        oi_anchor: each venue's earliest known open interest (k, V), NaN where none is known yet.
        out: the cross-venue bars (T, k, C) to fill; its ``time`` column is left as it is.
    """
    # One copy with columns and venues first: every figure below is then a few whole-array operations
    # over contiguous (T, k) planes, where reducing a last axis of four strided values cost 3 x more.
    cols = np.ascontiguousarray(np.moveaxis(block, (-1, -2), (0, 1)))  # (C, V, T, k)
    anchor = oi_anchor.T[:, None, :]  # (V, 1, k)
    price = cols[Col.PRICE]
    present = ~np.isnan(price)
    n = _vsum(present.astype(np.int8))
    with np.errstate(invalid="ignore", divide="ignore"):
        agg_price = np.where(n > 0, _vsum(np.where(present, price, 0.0)) / n, np.nan)
    # Venues join the sum at different times (Hyperliquid keeps no OI history; backfills finish one
    # by one). Summing only the venues present would show each arrival as an OI jump, so a venue's
    # rows before its first open interest count its earliest known OI (at the row's price): the
    # cross-venue change then comes only from venues that have history.
    oi = cols[Col.OI]
    oi = np.where(np.isnan(oi), anchor, oi)
    oi_usd = oi * np.where(present, price, agg_price)
    w = np.where(np.isnan(oi_usd), 0.0, oi_usd)
    wsum = _vsum(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg_oi_usd = np.where(wsum > 0, wsum, np.nan)
        f8 = funding8h(cols[Col.FUNDING], cols[Col.FUNDING_INTERVAL_H])
        funding = _weighted(f8, w)
        ls_agg = _weighted(cols[Col.LS_RATIO], w)
        out[..., Col.PREMIUM] = _weighted(cols[Col.PREMIUM], w)
        out[..., Col.LS_TOP] = _weighted(cols[Col.LS_TOP], w)
    out[..., Col.SPOT_PRICE] = _first_present(cols[Col.SPOT_PRICE])
    # A series that carries its own spread (a replayed cross-venue export: one "venue") keeps it.
    across = _spread(f8)
    out[..., Col.FUNDING_SPREAD] = np.where(
        np.isnan(across), _first_present(cols[Col.FUNDING_SPREAD]), across
    )
    out[..., Col.PRICE] = agg_price
    out[..., Col.OI] = agg_oi_usd / agg_price
    out[..., Col.FUNDING] = funding
    out[..., Col.FUNDING_INTERVAL_H] = 8.0
    out[..., Col.LS_RATIO] = ls_agg
    for c in FLOW_SUMS:
        col = cols[c]
        known = ~np.isnan(col)
        out[..., c] = np.where(_vsum(known.astype(np.int8)) > 0, _vsum(np.where(known, col, 0.0)), np.nan)
