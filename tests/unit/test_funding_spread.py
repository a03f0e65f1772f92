"""The cross-venue funding spread and its ranking, worked out by hand from venue rates as published.

Binance quotes +0.01 % per 8 h, OKX -0.02 % per 8 h and Hyperliquid 0.00125 % per hour (0.01 % per 8 h):
the highest is +0.01 %, the lowest -0.02 %, the spread 0.03 % per 8 h, which is 0.03 % x 3 x 365 =
32.85 % a year.
"""

from __future__ import annotations

import math

import pytest

from feeds.messages import BarUpdate
from tui.model.bars import BarStore
from tui.model.funding_spread import VenueFunding, funding_spreads, rank, spread_of
from tui.model.settlement import next_settlement, series_next_funding

HOUR = 3_600_000
T = 1_760_000_400_000 - 1_760_000_400_000 % HOUR  # a bar on the hour
VENUES = ["binance", "okx", "hyperliquid"]


def test_spread_between_the_highest_and_lowest_8h_funding() -> None:
    s = spread_of(
        "BTC",
        [
            VenueFunding("binance", 0.0001),
            VenueFunding("okx", -0.0002),
            VenueFunding("hyperliquid", 0.0000125 * 8),
        ],
    )
    assert s.low is not None and s.low.venue == "okx"
    assert s.high is not None and s.high.funding_8h == pytest.approx(0.0001)
    assert s.spread_8h == pytest.approx(0.0003)
    assert s.spread_apr == pytest.approx(0.3285)
    assert s.venues == 3


def test_a_venue_without_funding_is_left_out_and_one_venue_has_no_spread() -> None:
    s = spread_of("PEPE", [VenueFunding("binance", 0.0002), VenueFunding("okx", math.nan)])
    assert s.venues == 1 and math.isnan(s.spread_8h)
    assert spread_of("NEW", [VenueFunding("okx", math.nan)]).venues == 0


def test_widest_spread_first_and_single_venue_symbols_after() -> None:
    one = spread_of("PEPE", [VenueFunding("binance", 0.0005)])
    narrow = spread_of("ETH", [VenueFunding("binance", 0.0001), VenueFunding("okx", 0.00005)])
    wide = spread_of("BTC", [VenueFunding("binance", 0.0001), VenueFunding("okx", -0.0002)])
    assert [s.symbol for s in rank([one, narrow, wide])] == ["BTC", "ETH", "PEPE"]


def _store() -> BarStore:
    store = BarStore(["ETH", "BTC", "PEPE"], VENUES, capacity=4, step_ms=HOUR)
    store.apply(
        [
            BarUpdate(
                "binance", "BTC", T, 100_000.0, oi=80_000.0, funding=0.0001, next_funding_ms=T + 8 * HOUR
            ),
            BarUpdate("okx", "BTC", T, 100_000.0, oi=30_000.0, funding=-0.0002, next_funding_ms=T + 4 * HOUR),
            BarUpdate(
                "hyperliquid",
                "BTC",
                T,
                100_000.0,
                oi=10_000.0,
                funding=0.0000125,
                funding_interval_h=1.0,
                next_funding_ms=T + HOUR,
            ),
            BarUpdate("binance", "ETH", T, 3_000.0, oi=1_000_000.0, funding=0.0001),
            BarUpdate("okx", "ETH", T, 3_000.0, oi=500_000.0, funding=0.00005),
            BarUpdate("binance", "PEPE", T, 0.00001, oi=1e12, funding=0.0003),
        ]
    )
    return store


def test_spreads_from_the_store_ranked_with_each_venues_oi_and_next_settlement() -> None:
    spreads = funding_spreads(_store(), ["ETH", "BTC", "PEPE"])
    assert [s.symbol for s in spreads] == ["BTC", "ETH", "PEPE"]
    btc = spreads[0]
    assert btc.high is not None and btc.low is not None
    assert btc.high.venue == "binance"  # ties with Hyperliquid's 0.01 %/8h: the first venue keeps it
    assert btc.low.venue == "okx"
    assert btc.spread_8h == pytest.approx(0.0003)
    assert btc.high.oi_usd == pytest.approx(8e9) and btc.low.oi_usd == pytest.approx(3e9)
    assert btc.high.next_funding_ms == T + 8 * HOUR and btc.low.next_funding_ms == T + 4 * HOUR
    assert spreads[2].venues == 1  # PEPE: Binance only


def test_a_settlement_already_past_rolls_forward_on_the_venues_schedule() -> None:
    # OKX said its next settlement was at T + 4 h; at T + 5 h that one is past: next is T + 12 h (8 h later).
    spreads = funding_spreads(_store(), ["BTC"], now_ms=T + 5 * HOUR)
    assert spreads[0].low is not None and spreads[0].low.next_funding_ms == T + 12 * HOUR
    assert spreads[0].high is not None and spreads[0].high.next_funding_ms == T + 8 * HOUR  # not past yet


def test_next_settlement_by_hand() -> None:
    assert next_settlement(T + HOUR, 1.0, T + HOUR + 60_000) == T + 2 * HOUR  # hourly, a minute past
    assert next_settlement(T, 8.0, T + 17 * HOUR) == T + 24 * HOUR  # two settlements missed
    assert next_settlement(T + HOUR, 8.0, T) == T + HOUR  # still ahead: as published
    assert next_settlement(0, 8.0, T) == 0  # unknown stays unknown


def test_the_cross_venue_next_settlement_is_the_soonest_known() -> None:
    import numpy as np

    times = np.array([[T + 8 * HOUR, 0, T + HOUR], [0, 0, 0]], dtype=np.int64)
    hours = np.array([[8.0, 8.0, 1.0], [8.0, 8.0, 8.0]])
    out = series_next_funding(times, hours, None)
    assert out[:, -1].tolist() == [T + HOUR, 0]
