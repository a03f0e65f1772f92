"""Polled records and streamed liquidations become bars: merging, per-bar volume, liquidation bars, backfill."""

from __future__ import annotations

import math

import numpy as np

from feeds.live.backfill import history_bars
from feeds.live.bars import BarAssembler
from feeds.records import Candle, FundingPoint, Liquidation, OpenInterestPoint, SpotVolume, Ticker
from feeds.venues.base import BackfillParts
from signals.columns import Col

STEP = 300_000
T0 = 1_700_000_100_000 - 1_700_000_100_000 % STEP  # a bar open


def test_split_records_merge_and_missing_fields_keep_earlier_values() -> None:
    a = BarAssembler("binance", STEP, liquidation_feed=True)
    wanted = {"BTC"}
    # Binance: price from ticker/24hr, funding from premiumIndex, OI from openInterest (three records).
    a.add_tickers(
        [Ticker("binance", "BTCUSDT", "BTC", 1, T0, price=60000.0, volume_24h_usd=2.88e9)], wanted, T0
    )
    a.add_tickers(
        [Ticker("binance", "BTCUSDT", "BTC", 1, T0, mark=60010.0, funding=0.0001, funding_interval_h=8.0)],
        wanted,
        T0,
    )
    a.add_tickers([Ticker("binance", "BTCUSDT", "BTC", 1, T0, oi=1234.5)], wanted, T0)
    a.add_tickers([Ticker("binance", "ETHUSDT", "ETH", 1, T0, price=3000.0)], wanted, T0)  # not watched
    a.add_spot(
        [
            SpotVolume("binance", "BTCUSDT", "BTC", T0, 1.0e9),
            SpotVolume("binance", "BTCUSDC", "BTC", T0, 0.44e9),
        ],
        wanted,
    )
    (u,) = a.updates(T0 + 1000)
    assert (u.symbol, u.time, u.price, u.oi, u.funding, u.funding_interval_h) == (
        "BTC",
        T0,
        60000.0,
        1234.5,
        0.0001,
        8.0,
    )
    # 24 h volumes spread over the day's 288 five-minute bars: 2.88e9 / 288 = 1e7; (1e9 + 0.44e9) / 288 = 5e6.
    assert u.futures_volume_usd == 1.0e7
    assert u.spot_volume_usd == 5.0e6
    # Stream not connected yet: no liquidation figures, not zeros.
    assert math.isnan(u.liq_long_usd) and math.isnan(u.liq_short_usd)


def test_liquidations_land_in_their_own_bar_even_when_late() -> None:
    a = BarAssembler("bybit", STEP, liquidation_feed=True)
    a.stream_up = True
    wanted = {"BTC"}
    a.add_tickers([Ticker("bybit", "BTCUSDT", "BTC", 1, T0, price=60000.0)], wanted, T0)
    assert a.updates(T0 + 10)[0].liq_long_usd == 0.0  # connected and quiet: a real zero
    now = T0 + STEP + 5_000  # the next bar is open
    late = Liquidation("bybit", "BTCUSDT", "BTC", T0 + 299_000, "long", 60000.0, 0.5, 30000.0)
    fresh = Liquidation("bybit", "BTCUSDT", "BTC", T0 + STEP + 1_000, "short", 60100.0, 1.0, 60100.0)
    assert a.add_liquidations([late, fresh], wanted, now) == 2
    by_time = {u.time: u for u in a.updates(now)}
    assert by_time[T0].liq_long_usd == 30000.0 and by_time[T0].liq_short_usd == 0.0
    assert by_time[T0 + STEP].liq_short_usd == 60100.0 and by_time[T0 + STEP].liq_long_usd == 0.0
    # Published once: the next update carries only the current bar.
    assert [u.time for u in a.updates(now + 1000)] == [T0 + STEP]


def test_venue_without_a_liquidation_feed_never_shows_zero_liquidations() -> None:
    a = BarAssembler("hyperliquid", STEP, liquidation_feed=False)
    a.stream_up = True
    a.add_tickers([Ticker("hyperliquid", "BTC", "BTC", 1, T0, mark=60000.0)], {"BTC"}, T0)
    (u,) = a.updates(T0)
    assert u.price == 60000.0  # no last price in the ctx: the mark stands in
    assert math.isnan(u.liq_long_usd)


def test_backfill_bars_place_candles_and_carry_levels_forward_only() -> None:
    start, end = T0, T0 + 5 * STEP + STEP - 1  # six bars, T0 .. T0 + 5 step
    parts = BackfillParts(
        candles=[
            Candle("okx", "BTC-USDT-SWAP", "BTC", T0 + k * STEP, 1, 1, 1, 100.0 + k, 10.0 * k)
            for k in (0, 1, 3, 4, 5)
        ],  # bar 2 has no candle
        spot_candles=[Candle("okx", "BTC-USDT", "BTC", T0 + 5 * STEP, 1, 1, 1, 1, 7.0)],
        oi=[
            OpenInterestPoint("okx", "BTC-USDT-SWAP", "BTC", T0 + 2 * STEP + 60_000, 500.0),
            OpenInterestPoint("okx", "BTC-USDT-SWAP", "BTC", T0 + 4 * STEP, 510.0),
        ],
        funding=[FundingPoint("okx", "BTC-USDT-SWAP", "BTC", T0 - 3_600_000, 0.0002, 8.0)],  # settled before
    )
    h = history_bars("okx", "BTC", parts, start, end, STEP)
    assert h.bars[:, Col.TIME].tolist() == [T0 + k * STEP for k in range(6)]
    assert h.bars[:, Col.PRICE].tolist() == [
        100.0,
        101.0,
        101.0,
        103.0,
        104.0,
        105.0,
    ]  # gap keeps the last close
    assert np.isnan(h.bars[2, Col.FUT_VOL]) and h.bars[5, Col.FUT_VOL] == 50.0
    assert h.bars[5, Col.SPOT_VOL] == 7.0 and np.isnan(h.bars[4, Col.SPOT_VOL])
    oi = h.bars[:, Col.OI]
    assert np.isnan(oi[:2]).all()  # nothing invented before the first point
    assert oi[2:].tolist() == [500.0, 500.0, 510.0, 510.0]
    assert (h.bars[:, Col.FUNDING] == 0.0002).all() and (h.bars[:, Col.FUNDING_INTERVAL_H] == 8.0).all()
    assert np.isnan(h.bars[:, Col.LIQ_LONG]).all()  # no venue publishes liquidation history


def test_a_late_liquidation_changes_only_its_bars_sums_and_a_too_late_one_is_dropped() -> None:
    a = BarAssembler("bybit", STEP, liquidation_feed=True)
    a.stream_up = True
    wanted = {"BTC"}
    a.add_tickers([Ticker("bybit", "BTCUSDT", "BTC", 1, T0, price=60000.0, oi=100.0)], wanted, T0)
    (closed,) = a.updates(T0 + 299_000)  # the last update of bar T0: price 60000, OI 100
    now = T0 + STEP + 1_000
    a.add_tickers([Ticker("bybit", "BTCUSDT", "BTC", 1, now, price=61000.0, oi=120.0)], wanted, now)
    a.updates(now)
    late = Liquidation("bybit", "BTCUSDT", "BTC", T0 + 100, "long", 60000.0, 1.0, 60000.0)
    ancient = Liquidation("bybit", "BTCUSDT", "BTC", T0 - STEP, "long", 60000.0, 1.0, 60000.0)
    assert a.add_liquidations([late, ancient], wanted, now) == 1
    assert a.too_late == 1
    by_time = {u.time: u for u in a.updates(now)}
    # Bar T0 keeps the levels it closed with; only its liquidation sum changes.
    assert (by_time[T0].price, by_time[T0].oi) == (closed.price, closed.oi) == (60000.0, 100.0)
    assert by_time[T0].liq_long_usd == 60000.0
    assert (by_time[T0 + STEP].price, by_time[T0 + STEP].oi) == (61000.0, 120.0)
    assert T0 - STEP not in by_time
