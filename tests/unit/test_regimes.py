"""``signals.regimes``: hand-computed labels, no look-ahead, quarters across a boundary, masked baselines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from signals.columns import COLUMNS, Col
from signals.evaluate import evaluate
from signals.params import SignalParams
from signals.regimes import (
    expanding_terciles,
    funding_sign,
    labels,
    leverage,
    quarters,
    realised_vol,
    score_series_split,
    trend,
)

H = 3_600_000
T0 = 1_735_689_600_000  # 2025-01-01T00:00Z


def test_trend_labels_by_the_trailing_return_over_n_bars() -> None:
    price = np.array([100.0, 100.0, 106.0, 100.0, 94.0, 94.5, 103.0])
    got = trend(price, 2)
    # bar 2: 106/100 = +6 % up; 3: 100/100 chop; 4: 94/106 = -11.3 % down; 5: 94.5/100 = -5.5 % down;
    # 6: 103/94 = +9.6 % up; bars 0 and 1 have no bar two back: no label
    assert got["up"].tolist() == [False, False, True, False, False, False, True]
    assert got["chop"].tolist() == [False, False, False, True, False, False, False]
    assert got["down"].tolist() == [False, False, False, False, True, True, False]


def test_trend_leaves_a_bar_unlabelled_when_a_price_is_missing() -> None:
    price = np.array([100.0, np.nan, 104.0, 100.0])
    got = trend(price, 1)
    assert not any(got[v][i] for v in got for i in (0, 1, 2))  # bar 2 looks back at the missing bar 1
    assert got["chop"][3]  # 100/104 = -3.8 %


def test_realised_vol_is_the_sample_std_of_the_last_n_log_returns() -> None:
    price = np.exp(np.array([0.0, 0.1, 0.1, 0.3]))  # log returns 0.1, 0, 0.2
    vol = realised_vol(price, 3)
    assert math.isnan(vol[0]) and math.isnan(vol[1])
    assert vol[2] == pytest.approx(math.sqrt(0.005))  # returns 0.1, 0 (bar 0 has none): 2 of 3 known
    assert vol[3] == pytest.approx(0.1)  # std of 0.1, 0, 0.2 (n - 1 = 2)


def test_expanding_terciles_rank_each_value_against_those_known_so_far() -> None:
    values = np.array([3.0, 1.0, np.nan, 2.0, 5.0, 0.0, 4.0])
    got = expanding_terciles(values, 3)
    # bars 0, 1: fewer than 3 values; bar 2: no value. Bar 3: 2 among {1,2,3}: 1 below of 3 -> mid.
    # bar 4: 5 among {1,2,3,5}: 3 of 4 below -> high. bar 5: 0: none below -> low.
    # bar 6: 4 among {0,1,2,3,4,5}: 4 of 6 below = exactly two thirds -> high.
    assert got["low"].tolist() == [False, False, False, False, False, True, False]
    assert got["mid"].tolist() == [False, False, False, True, False, False, False]
    assert got["high"].tolist() == [False, False, False, False, True, False, True]


def test_funding_sign_and_leverage_put_unknown_bars_where_documented() -> None:
    f8 = np.array([0.0001, -0.0002, 0.0, np.nan])
    got = funding_sign(f8)
    assert got["positive"].tolist() == [True, False, False, False]
    assert got["negative"].tolist() == [False, True, False, False]
    assert got["zero_or_missing"].tolist() == [False, False, True, True]
    lev = leverage(np.array([0.1, 0.2, 0.3, np.nan]), 0.2)
    assert lev["on"].tolist() == [True, True, False, False]
    assert lev["off"].tolist() == [False, False, True, False]  # unknown is neither


def test_quarters_bucket_by_utc_calendar_quarter_across_boundaries() -> None:
    times = np.array(
        [
            1_735_686_000_000,  # 2024-12-31T23:00Z
            T0,  # 2025-01-01T00:00Z
            1_743_465_599_000,  # 2025-03-31T23:59:59Z
            1_743_465_600_000,  # 2025-04-01T00:00Z
        ],
        dtype=np.float64,
    )
    got = quarters(times)
    assert list(got) == ["2024Q4", "2025Q1", "2025Q2"]
    assert got["2024Q4"].tolist() == [True, False, False, False]
    assert got["2025Q1"].tolist() == [False, True, True, False]
    assert got["2025Q2"].tolist() == [False, False, False, True]


def _series(n: int, seed: int) -> np.ndarray:
    """A random hourly series with every regime's inputs (price, funding, spot and futures volume) and OI."""
    rng = np.random.default_rng(seed)
    bars = np.full((n, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = T0 + H * np.arange(n)
    bars[:, Col.PRICE] = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, Col.OI] = 1000 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, Col.FUNDING] = rng.normal(0, 0.0001, n)
    bars[:, Col.SPOT_VOL] = rng.uniform(0, 50, n)
    bars[:, Col.FUT_VOL] = 100.0
    return bars


def test_no_label_changes_when_later_bars_change() -> None:
    bars = _series(600, seed=1)
    cut = 400
    later = bars.copy()
    # Bars from the cut on: wild price swings (so whole-series volatility terciles would move), funding
    # and volumes of the other sign.
    later[cut:, Col.PRICE] *= np.where(np.arange(600 - cut) % 2 == 0, 1.3, 0.7)
    later[cut:, Col.FUNDING] *= -1
    later[cut:, Col.SPOT_VOL] = 1000.0
    before = labels(evaluate(bars, SignalParams(), H), bars[:, Col.PRICE], H)
    after = labels(evaluate(later, SignalParams(), H), later[:, Col.PRICE], H)
    assert set(before) == set(after) == {"trend", "volatility", "funding", "leverage_driven"}
    for regime, values in before.items():
        assert any(values[v][:cut].any() for v in values), regime  # something was labelled before the cut
        for v, mask in values.items():
            assert mask[:cut].tolist() == after[regime][v][:cut].tolist(), (regime, v)
        # and the change is seen from the cut on
        assert any(mask[cut:].tolist() != after[regime][v][cut:].tolist() for v, mask in values.items())


def test_a_regime_value_is_scored_on_its_own_events_and_bars() -> None:
    bars = _series(600, seed=2)
    whole, splits = score_series_split(bars, SignalParams(), H, {"4h": 4.0})
    table = evaluate(bars, SignalParams(), H)
    mask = labels(table, bars[:, Col.PRICE], H)["funding"]["positive"]
    cell = splits.regimes["funding"]["positive"].flags["weak_rally"].horizons["4h"]
    # weak_rally is bearish: its baseline is the bet "down over 4 bars" on the bars with positive funding
    # and a full horizon
    fwd = np.full(600, np.nan)
    fwd[:-4] = bars[4:, Col.PRICE] / bars[:-4, Col.PRICE] - 1
    on = mask & ~np.isnan(fwd)
    assert (cell.base_n, cell.base_hits) == (int(on.sum()), int((fwd[on] < 0).sum()))
    # the values of a regime partition the whole score's bars and events (funding: every bar has a value)
    parts = [
        splits.regimes["funding"][v].flags["weak_rally"].horizons["4h"] for v in splits.regimes["funding"]
    ]
    total = whole.flags["weak_rally"].horizons["4h"]
    assert sum(p.base_n for p in parts) == total.base_n and sum(p.events.n for p in parts) == total.events.n
    assert total.events.n > 0 and 0 < cell.base_n < total.base_n
