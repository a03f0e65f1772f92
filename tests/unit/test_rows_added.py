"""The watchlist row's added figures (SIGNALS.md "Added columns"), live bars in, ``snapshot --json`` keys out.

Figures by hand. Two venues, one-hour bars (so 4 h is the last four bars):
- binance: perp takers buy 300 and sell 100 in each of the last two bars (earlier bars: no figures), so
  taker_flow_4h = (600 - 200) / 800 = +0.5; spot takers buy 10 and sell 30 in the last bar: -0.5.
- okx: perp takers buy 100, sell 300 in the last bar; so the cross-venue flow is (700 - 500) / 1200.
- premium +0.001 (binance, OI 10 x 100 USD) and -0.002 (okx, OI 5 x 100): OI-weighted (0.01 - 0.01) / 15 = 0.
- funding 0.0001 / 8 h and 0.0002 / 4 h (0.0004 / 8 h): funding_spread_8h 0.0003 on the cross-venue row.
- funding_next: okx's predicted 0.00025; binance gives none, so its current 0.0001.
"""

from __future__ import annotations

import math

import pytest

from feeds.messages import ALL, BarUpdate
from signals.params import SignalParams
from tui.model.bars import BarStore
from tui.model.rows import compute_rows

HOUR = 3_600_000
T = 1_760_000_400_000 - 1_760_000_400_000 % HOUR


def _store() -> BarStore:
    store = BarStore(["BTC"], ["binance", "okx"], capacity=8, step_ms=HOUR)
    for k in range(6):
        t = T + k * HOUR
        last, late = k == 5, k >= 4
        store.apply(
            [
                BarUpdate(
                    "binance",
                    "BTC",
                    t,
                    100.0,
                    oi=10.0,
                    funding=0.0001,
                    premium=0.001,
                    spot_price=99.9,
                    ls_top_position=1.5,
                    ls_ratio=0.8,
                    taker_buy_usd=300.0 if late else math.nan,
                    taker_sell_usd=100.0 if late else math.nan,
                    spot_taker_buy_usd=10.0 if last else math.nan,
                    spot_taker_sell_usd=30.0 if last else math.nan,
                ),
                BarUpdate(
                    "okx",
                    "BTC",
                    t,
                    100.0,
                    oi=5.0,
                    funding=0.0002,
                    funding_interval_h=4.0,
                    premium=-0.002,
                    spot_price=100.2,
                    taker_buy_usd=100.0 if last else math.nan,
                    taker_sell_usd=300.0 if last else math.nan,
                    funding_next=0.00025,
                ),
            ]
        )
    return store


def test_rows_carry_the_added_figures_worked_out_by_hand() -> None:
    rows = compute_rows(_store(), SignalParams())
    binance, okx, every = rows[("BTC", "binance")], rows[("BTC", "okx")], rows[("BTC", ALL)]
    assert binance.taker_flow_4h == pytest.approx(0.5)
    assert binance.spot_taker_flow_4h == pytest.approx(-0.5)
    assert okx.taker_flow_4h == pytest.approx(-0.5) and math.isnan(okx.spot_taker_flow_4h)
    assert every.taker_flow_4h == pytest.approx(200 / 1200)
    assert every.premium == pytest.approx(0.0, abs=1e-12)
    assert every.spot_price == 99.9  # the first venue's
    assert every.ls_top_position == 1.5  # only binance has one
    assert every.funding_spread_8h == pytest.approx(0.0003)
    assert math.isnan(binance.funding_spread_8h)  # a venue row has none
    assert (okx.funding_next, binance.funding_next) == (0.00025, 0.0001)
    doc = every.as_dict()
    for key in (
        "premium",
        "spot_price",
        "funding_next",
        "funding_spread_8h",
        "ls_top_position",
        "taker_flow_4h",
        "spot_taker_flow_4h",
        "funding_apr",
        "next_funding_time",
    ):
        assert key in doc
    assert doc["funding_spread_8h"] == pytest.approx(0.0003)
    assert rows[("BTC", "okx")].as_dict()["spot_taker_flow_4h"] is None  # unknown is null, never 0
