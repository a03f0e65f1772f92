"""Backfilled history carries the new per-bar figures: taker flows in their bar (never carried forward, a bar
without klines stays unknown) and the top traders' ratio apart from the all-accounts one (both levels)."""

from __future__ import annotations

import numpy as np

from feeds.live.backfill import history_bars
from feeds.records import LongShortPoint, TakerFlow
from feeds.venues.base import BackfillParts
from signals.columns import Col

STEP = 300_000
T0 = 1_700_000_100_000 - 1_700_000_100_000 % STEP  # a bar open


def test_taker_flows_land_in_their_bar_perp_and_spot_apart() -> None:
    parts = BackfillParts(
        flows=[
            TakerFlow("binance", "BTCUSDT", "BTC", T0, 60.0, 40.0),
            TakerFlow("binance", "BTCUSDT", "BTC", T0 + 2 * STEP, 10.0, 30.0),  # bar 1 had no kline
            TakerFlow("binance", "BTCUSDT", "BTC", T0 + 2 * STEP, 5.0, 7.0, spot=True),
        ]
    )
    bars = history_bars("binance", "BTC", parts, T0, T0 + 3 * STEP - 1, STEP).bars
    assert bars[[0, 2], Col.TAKER_BUY].tolist() == [60.0, 10.0]
    assert bars[[0, 2], Col.TAKER_SELL].tolist() == [40.0, 30.0]
    assert np.isnan(bars[1, [Col.TAKER_BUY, Col.TAKER_SELL]]).all()  # an amount is not carried forward
    assert np.isnan(bars[:2, Col.SPOT_TAKER_BUY]).all()
    assert (bars[2, Col.SPOT_TAKER_BUY], bars[2, Col.SPOT_TAKER_SELL]) == (5.0, 7.0)


def test_top_traders_ratio_fills_its_own_column_not_the_crowds() -> None:
    parts = BackfillParts(
        long_short=[
            LongShortPoint("okx", "BTC-USDT-SWAP", "BTC", T0, 1.3),
            LongShortPoint("okx", "BTC-USDT-SWAP", "BTC", T0 + STEP, 0.8, "top_position"),
        ]
    )
    bars = history_bars("okx", "BTC", parts, T0, T0 + 3 * STEP - 1, STEP).bars
    assert bars[:, Col.LS_RATIO].tolist() == [1.3, 1.3, 1.3]  # a level: carried forward
    assert np.isnan(bars[0, Col.LS_TOP]) and bars[1:, Col.LS_TOP].tolist() == [0.8, 0.8]
