"""The backtest scoring of SIGNALS.md "Events and scoring", on small series worked out by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from signals.columns import COLUMNS, Col
from signals.params import SignalParams
from signals.scoring import Counts, HorizonScore, Pooler, fill_gaps, pool, rising_edges, score_series, wilson

H = 3_600_000
# sfr over one bar, so spot/futures at the bar itself decides leverage_driven.
PARAMS = SignalParams(sfr_window_h=1.0)
HORIZONS = {"1h": 1.0, "2h": 2.0}


def bars(price: Sequence[float], **cols: Sequence[float]) -> np.ndarray:
    b = np.full((len(price), len(COLUMNS)), np.nan)
    b[:, Col.TIME] = 1.7e12 + H * np.arange(len(price))
    b[:, Col.PRICE] = price
    for name, values in cols.items():
        b[:, COLUMNS.index(name)] = values
    return b


# Series A, hourly. Forward returns, by hand:
#   1 bar:  + + - + - + + - + + -  (bar 11 has no full horizon): 7 up, 4 down of 11 bars
#   2 bars: + + + + + + - - + +    (bars 10, 11 have none):      8 up, 2 down of 10 bars
A_PRICE = [100, 101, 103, 102, 104, 103, 105, 106, 104, 105, 107, 106]
# short_squeeze_risk (dir +1) fires where funding < 0 and ls < 1: bars 1-2, 4, 7, 10-11 -> events 1, 4, 7, 10.
A_LS = [1.5, 0.8, 0.8, 1.5, 0.9, 1.5, 1.5, 0.7, 1.5, 1.5, 0.9, 0.9]
# spot/futures 10/100 = 0.1 <= sfr_max (leverage_driven on) at bars 1, 2 and 7; 50/100 elsewhere.
A_SPOT = [50, 10, 10, 50, 50, 50, 50, 10, 50, 50, 50, 50]


def series_a() -> np.ndarray:
    n = len(A_PRICE)
    return bars(
        A_PRICE,
        funding=[-0.0001] * n,
        funding_interval_h=[8.0] * n,
        ls_ratio=A_LS,
        spot_volume_usd=A_SPOT,
        futures_volume_usd=[100.0] * n,
    )


# Series B: funding_extreme (|funding8h| >= 0.05 %) at bars 1-2 (funding > 0: dir -1), 4 (< 0: dir +1),
# 7 (< 0: dir +1). One-bar forward returns: + - - + - - + + 0 (bar 9: none).
B_PRICE = [100, 102, 101, 99, 100, 98, 97, 99, 100, 100]
B_FUNDING = [0.0001, 0.0006, 0.0006, 0.0001, -0.0007, 0.0001, 0.0001, -0.0006, 0.0001, 0.0001]


def series_b() -> np.ndarray:
    return bars(B_PRICE, funding=B_FUNDING)


def test_a_flag_on_for_ten_bars_is_one_event() -> None:
    on = np.zeros(20, dtype=bool)
    on[4:14] = True
    assert rising_edges(on).tolist() == [4]
    on[16] = True
    assert rising_edges(on).tolist() == [4, 16]


def test_a_flag_already_on_at_the_first_bar_is_not_an_event() -> None:
    # No previous bar: nothing says the flag just came on.
    assert rising_edges(np.array([True, True, False, True])).tolist() == [3]


def test_rising_edges_hits_and_events_without_a_full_horizon() -> None:
    s = score_series(series_a(), PARAMS, H, HORIZONS).flags["short_squeeze_risk"]
    assert s.scorable and s.events == 4
    one = s.horizons["1h"]
    # events 1, 4, 7, 10; fwd signs there + - - -: one hit of four
    assert (one.events.n, one.events.hits) == (4, 1)
    two = s.horizons["2h"]
    # two-bar fwd at 1, 4, 7: + + -; event 10 has no full two-bar horizon and is left out
    assert (two.events.n, two.events.hits) == (3, 2)
    expected = (103 / 101 - 1 + 103 / 104 - 1 + 104 / 106 - 1 + 106 / 107 - 1) / 4
    assert one.events.mean_return == pytest.approx(expected, rel=1e-12)


def test_baseline_is_the_same_bet_on_every_bar_with_a_full_horizon() -> None:
    flags = score_series(series_a(), PARAMS, H, HORIZONS).flags
    assert flags["short_squeeze_risk"].horizons["1h"].baseline == pytest.approx(7 / 11)  # dir +1: 7 up of 11
    assert flags["long_squeeze_risk"].horizons["1h"].baseline == pytest.approx(4 / 11)  # dir -1: 4 down of 11
    assert flags["short_squeeze_risk"].horizons["2h"].baseline == pytest.approx(8 / 10)
    # long_squeeze_risk never fires here: zero events, which is not the same as unscorable
    assert flags["long_squeeze_risk"].scorable and flags["long_squeeze_risk"].events == 0
    assert flags["long_squeeze_risk"].horizons["1h"].verdict == "no events"


def test_funding_extreme_takes_its_direction_per_event() -> None:
    fx = score_series(series_b(), PARAMS, H, HORIZONS).flags["funding_extreme"]
    assert fx.events == 3 and fx.direction is None
    one = fx.horizons["1h"]
    # event 1: funding > 0, dir -1, fwd - : hit; event 4: dir +1, fwd -: miss; event 7: dir +1, fwd +: hit
    assert (one.events.n, one.events.hits) == (3, 2)
    # baseline with dir = -sign(funding8h) at each of bars 0-8: dirs - - - - + - - + -, fwd + - - + - - + + 0
    # -> hits at bars 1, 2, 5, 7: 4 of 9
    assert (one.base_hits, one.base_n) == (4, 9)


def test_context_flags_have_event_counts_and_no_horizons() -> None:
    flags = score_series(series_b(), PARAMS, H, HORIZONS).flags
    # funding8h changes sign at bars 4, 5, 7, 8: on at 4-5 and 7-8, two rising edges
    assert flags["funding_flip"].events == 2 and flags["funding_flip"].horizons == {}
    a = score_series(series_a(), PARAMS, H, HORIZONS).flags["leverage_driven"]
    assert a.events == 2 and a.horizons == {}  # on at 1-2 and 7


def test_split_by_leverage_driven_at_the_event() -> None:
    one = score_series(series_a(), PARAMS, H, HORIZONS).flags["short_squeeze_risk"].horizons["1h"]
    # events 1 (hit) and 7 (miss) with leverage_driven on; 4 and 10 (misses) with it off
    assert (one.leverage_on.n, one.leverage_on.hits) == (2, 1)
    assert (one.leverage_off.n, one.leverage_off.hits) == (2, 0)


def test_flags_without_their_inputs_are_unscorable_not_zero() -> None:
    flags = score_series(series_b(), PARAMS, H, HORIZONS).flags
    sq = flags["short_squeeze_risk"]
    assert not sq.scorable and sq.missing == ("ls_ratio",) and sq.horizons == {}
    assert flags["cascade_risk"].missing == ("liq_long_usd", "liq_short_usd", "oi")
    assert flags["leverage_driven"].missing == ("spot_volume_usd", "futures_volume_usd")


def test_pooling_sums_counts_and_pools_the_baseline_over_all_bars() -> None:
    a = score_series(series_a(), PARAMS, H, HORIZONS)
    b = score_series(series_b(), PARAMS, H, HORIZONS)
    p = pool([a, b])
    assert p.bars == 12 + 10 and p.series == 2
    fx = p.flags["funding_extreme"].horizons["1h"]
    # A: no extreme event; its funding is -0.01 % everywhere so dir +1 on all 11 bars: 7 hits.
    # B: 4 of 9 (above). Pooled baseline 11 / 20, events 3 with 2 hits, all from B.
    assert (fx.base_hits, fx.base_n) == (11, 20)
    assert fx.baseline == pytest.approx(0.55)
    assert (fx.events.n, fx.events.hits, p.flags["funding_extreme"].events) == (3, 2, 3)
    # short_squeeze_risk only scorable on A: pooled from A alone, not diluted by B
    sq = p.flags["short_squeeze_risk"]
    assert sq.scorable and sq.series == 1 and sq.events == 4
    assert not p.flags["cascade_risk"].scorable
    assert p.flags["cascade_risk"].missing == ("liq_long_usd", "liq_short_usd", "oi")


def test_pooling_leaves_each_series_score_and_an_earlier_pool_as_they_were() -> None:
    # The per-symbol rows of a backtest are the series' own scores, printed after every series was pooled:
    # adding a series to the pool must not change them, nor a pool result taken before it.
    a = score_series(series_a(), PARAMS, H, HORIZONS)
    b = score_series(series_b(), PARAMS, H, HORIZONS)
    acc = Pooler()
    acc.add(a)
    first = acc.result()
    acc.add(b)
    acc.add(b)
    # funding_extreme at 1h, by hand (above): A has 11 baseline bars with 7 hits, no event; B 9 with 4
    a_fx, b_fx = a.flags["funding_extreme"].horizons["1h"], b.flags["funding_extreme"].horizons["1h"]
    assert (a_fx.base_n, a_fx.base_hits, a_fx.events.n) == (11, 7, 0)
    assert (b_fx.base_n, b_fx.base_hits, b_fx.events.n, b_fx.events.hits) == (9, 4, 3, 2)
    assert (first.flags["funding_extreme"].horizons["1h"].base_n, first.bars) == (11, 12)
    both = acc.result().flags["funding_extreme"].horizons["1h"]
    assert (both.base_n, both.base_hits, both.events.n, both.events.hits) == (29, 15, 6, 4)
    sq = a.flags["short_squeeze_risk"].horizons["1h"].events
    assert (sq.n, first.flags["short_squeeze_risk"].horizons["1h"].events.n) == (4, 4)


def test_wilson_interval_of_6_of_11() -> None:
    # p = 6/11 = 0.545455, z = 1.959964, z^2 = 3.841459
    # denom  = 1 + z^2/n            = 1 + 0.349224           = 1.349224
    # centre = (p + z^2/(2n))/denom = (0.545455 + 0.174612) / 1.349224 = 0.533690
    # half   = z*sqrt(p(1-p)/n + z^2/(4n^2))/denom
    #        = 1.959964*sqrt(0.022539 + 0.0079369)/1.349224 = 1.959964*0.174574/1.349224 = 0.253600
    # -> [0.280090, 0.787290], the [0.28, 0.79] of SIGNALS.md's example
    lo, hi = wilson(6, 11)  # type: ignore[misc]
    assert lo == pytest.approx(0.28009, abs=2e-5)
    assert hi == pytest.approx(0.78729, abs=2e-5)
    assert wilson(0, 0) is None
    lo, hi = wilson(0, 10)  # type: ignore[misc]
    assert lo == 0.0 and 0.27 < hi < 0.28  # z^2/(n+z^2) = 3.8415/13.8415 = 0.2775


def test_verdict_compares_the_baseline_with_the_interval() -> None:
    six_of_eleven = Counts(11, 6, 0.0)
    assert HorizonScore(six_of_eleven, 100, 20).verdict == "beats"  # 0.20 below 0.28
    assert HorizonScore(six_of_eleven, 100, 50).verdict == "within"
    assert HorizonScore(six_of_eleven, 100, 85).verdict == "worse"  # 0.85 above 0.79


def test_missing_bars_are_put_back_as_empty_rows() -> None:
    b = bars([100, 101, 102, 103])
    b[:, Col.TIME] = [0, H, 3 * H, 4 * H]
    grid, added = fill_gaps(b, H)
    assert added == 1 and grid[:, Col.TIME].tolist() == [0, H, 2 * H, 3 * H, 4 * H]
    assert math.isnan(grid[2, Col.PRICE]) and grid[3, Col.PRICE] == 102


def test_a_gap_counts_in_time_not_in_rows() -> None:
    # Without the hole filled, bar 1's one-hour forward return would be read across the missing hour.
    b = bars([100, 101, 90, 91], ls_ratio=[1.5, 0.5, 1.5, 1.5], funding=[-0.0001] * 4)
    b[:, Col.TIME] = [0, H, 3 * H, 4 * H]
    grid, _ = fill_gaps(b, H)
    sq = score_series(grid, PARAMS, H, {"1h": 1.0}).flags["short_squeeze_risk"]
    assert sq.events == 1 and sq.horizons["1h"].events.n == 0


def test_an_unknown_funding_interval_counts_as_8h() -> None:
    a = series_a()
    a[:, Col.FUNDING_INTERVAL_H] = np.nan  # defaults to 8 h
    assert score_series(a, PARAMS, H, HORIZONS).flags["short_squeeze_risk"].events == 4


def test_non_overlapping_events_over_a_series() -> None:
    # short_squeeze_risk on series A fires at 1, 4, 7, 10; a 4-bar horizon exists for bars 0..7, so the
    # events scored are 1, 4, 7. Non-overlapping at 4 bars: 1 counted, 4 (3 bars later) not, 7 (6 after 1)
    # counted. fwd(1) = 103/101 - 1 > 0 (hit), fwd(7) = 106/106 - 1 = 0 (no hit): 1 of 2.
    sq = score_series(series_a(), PARAMS, H, {"4h": 4.0}).flags["short_squeeze_risk"].horizons["4h"]
    assert (sq.events.n, sq.events.hits) == (3, 1)  # fwd(4) = 104/104 - 1 = 0: no hit
    assert (sq.independent.n, sq.independent.hits) == (2, 1)
    # the signed returns behind the excess return: dir +1, so as they are
    assert sq.independent.signed_sum == pytest.approx(103 / 101 - 1)
    assert sq.independent.signed_sq == pytest.approx((103 / 101 - 1) ** 2)
    # all bars 0..7: 104/100, 103/101, 105/103, 106/102, 104/104, 105/103, 107/105, 106/106, each - 1
    p = A_PRICE
    assert sq.base_signed_sum == pytest.approx(sum(p[t + 4] / p[t] - 1 for t in range(8)))
    # a one-bar horizon never overlaps: every event counts
    one = score_series(series_a(), PARAMS, H, HORIZONS).flags["short_squeeze_risk"].horizons["1h"]
    assert one.independent.n == one.events.n == 4


def test_signed_returns_follow_the_direction_of_each_event() -> None:
    # funding_extreme on B: dir -1 at 1, +1 at 4 and 7. One-bar returns there: 101/102 - 1 (a fall, which
    # is a win for dir -1: counted +), 98/100 - 1 (a fall against dir +1: -), 100/99 - 1 (a rise: +).
    fx = score_series(series_b(), PARAMS, H, {"1h": 1.0}).flags["funding_extreme"].horizons["1h"]
    assert fx.independent.n == 3
    assert fx.independent.signed_sum == pytest.approx(-(101 / 102 - 1) + (98 / 100 - 1) + (100 / 99 - 1))
    # the baseline's sum over bars 0..8, dir = -sign(funding) at each: + at 4 and 7, - elsewhere
    fwd = [B_PRICE[t + 1] / B_PRICE[t] - 1 for t in range(9)]
    dirs = [-1, -1, -1, -1, 1, -1, -1, 1, -1]
    assert fx.base_signed_sum == pytest.approx(sum(d * r for d, r in zip(dirs, fwd, strict=True)))
    # pooling adds the non-overlapping counts and the sums
    both = (
        pool([score_series(series_b(), PARAMS, H, {"1h": 1.0})] * 2).flags["funding_extreme"].horizons["1h"]
    )
    assert both.independent.n == 6 and both.base_signed_sum == pytest.approx(2 * fx.base_signed_sum)
