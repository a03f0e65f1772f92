"""One symbol's backfilled records on one venue turned into closed bars on the store's time grid.

Candles give price (close) and futures volume per bar, spot candles the spot volume, taker flows (where
the venue's klines carry them) the perp and spot taker buy/sell of their bar; open interest,
long/short and settled funding are levels: each lands in the bar its time falls in and carries forward
until the next value (but never before the first one: no history is invented backwards). Liquidations
have no public history on any venue, so backfilled bars leave them NaN.
"""

from __future__ import annotations

import numpy as np

from feeds.messages import History
from feeds.venues.base import BackfillParts
from signals.columns import COLUMNS, Col


def _ffill(column: np.ndarray) -> None:
    """Carry each value forward over the NaNs after it, in place."""
    present = ~np.isnan(column)
    if not present.any():
        return
    idx = np.where(present, np.arange(len(column)), 0)
    np.maximum.accumulate(idx, out=idx)
    first = int(np.argmax(present))
    column[first:] = column[idx[first:]]


def history_bars(
    venue: str, symbol: str, parts: BackfillParts, start_ms: int, end_ms: int, step_ms: int
) -> History:
    """Bars from ``start_ms`` to ``end_ms`` (open times, both floored to the step) built from ``parts``."""
    t0 = start_ms - start_ms % step_ms
    t1 = end_ms - end_ms % step_ms
    n = max(0, (t1 - t0) // step_ms + 1)
    bars = np.full((n, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = t0 + step_ms * np.arange(n, dtype=np.float64)

    def rows(times: list[int]) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(times, dtype=np.int64)
        r = (t - t % step_ms - t0) // step_ms
        ok = (r >= 0) & (r < n)
        return r[ok], ok

    if parts.candles:
        r, ok = rows([c.time for c in parts.candles])
        bars[r, Col.PRICE] = np.asarray([c.close for c in parts.candles])[ok]
        bars[r, Col.FUT_VOL] = np.asarray([c.volume_usd for c in parts.candles])[ok]
    if parts.spot_candles:
        r, ok = rows([c.time for c in parts.spot_candles])
        bars[r, Col.SPOT_VOL] = np.asarray([c.volume_usd for c in parts.spot_candles])[ok]
    for spot, (buy_col, sell_col) in (
        (False, (Col.TAKER_BUY, Col.TAKER_SELL)),
        (True, (Col.SPOT_TAKER_BUY, Col.SPOT_TAKER_SELL)),
    ):
        flows = [f for f in parts.flows if f.spot == spot]
        if flows:
            r, ok = rows([f.time for f in flows])
            bars[r, buy_col] = np.asarray([f.buy_usd for f in flows])[ok]
            bars[r, sell_col] = np.asarray([f.sell_usd for f in flows])[ok]
    accounts = [p for p in parts.long_short if p.kind == "accounts"]
    top = [p for p in parts.long_short if p.kind == "top_position"]
    for column, times, values in (
        (Col.OI, [p.time for p in parts.oi], [p.oi for p in parts.oi]),
        (Col.LS_RATIO, [p.time for p in accounts], [p.ratio for p in accounts]),
        (Col.LS_TOP, [p.time for p in top], [p.ratio for p in top]),
        (Col.FUNDING, [p.time for p in parts.funding], [p.rate for p in parts.funding]),
        (Col.FUNDING_INTERVAL_H, [p.time for p in parts.funding], [p.interval_h for p in parts.funding]),
    ):
        if not times:
            continue
        order = np.argsort(np.asarray(times), kind="stable")
        t = np.asarray(times, dtype=np.int64)[order]
        v = np.asarray(values, dtype=np.float64)[order]
        r = (t - t % step_ms - t0) // step_ms
        before = r < 0
        if before.any() and column in (Col.FUNDING, Col.FUNDING_INTERVAL_H):
            # A rate settled before the window still applies at its start.
            bars[0, column] = v[before][-1]
        ok = (r >= 0) & (r < n)
        bars[r[ok], column] = v[ok]
        _ffill(bars[:, column])
    _ffill(bars[:, Col.PRICE])  # a candle missing mid-series (no trades) keeps the last close
    return History(venue, symbol, bars)
