"""Each flag of SIGNALS.md on hand-computed bars: threshold edges, missing inputs, reasons, confidence.

Every case runs through ``evaluate`` and through ``evaluate_latest`` (via ``assert_agree_ticks``), so the
live path is held to the same hand-computed answers. Step is 1 h; W = 2 h, so ``chg`` compares bar t with t-2.
"""

from __future__ import annotations

import numpy as np
import pytest

from signals.evaluate import LatestCache, evaluate, evaluate_latest, needed_bars, step_of
from signals.flags import FLAG_NAMES, Flag
from signals.params import SignalParams
from tests.support.signals import HOUR_MS, flag_at, flags_on, make_bars

P = SignalParams(window_h=2, lookback_h=5, liq_window_h=1, sfr_window_h=3, liq_quantile=0.75)


def on(bars: np.ndarray, params: SignalParams = P) -> list[list[str]]:
    return flags_on(bars, params)


def flag(bars: np.ndarray, name: str, i: int = -1, params: SignalParams = P) -> Flag | None:
    return flag_at(bars, name, params, i)


# ---- price / OI change flags ------------------------------------------------------------------


def test_weak_rally_fires_at_exactly_plus_one_percent_with_oi_minus_one_percent() -> None:
    bars = make_bars(3, price=[100, 100.5, 101], oi=[1000, 995, 990])
    assert on(bars) == [[], [], ["weak_rally"]]
    assert flag(bars, "weak_rally") == Flag("weak_rally", -1, "price +1.0% / OI -1.0% in 2h", 1.0)


def test_price_change_below_threshold_does_not_fire() -> None:
    assert on(make_bars(3, price=[100, 100, 100.9], oi=[1000, 1000, 900])) == [[], [], []]
    assert on(make_bars(3, price=[100, 100, 102], oi=[1000, 1000, 991])) == [[], [], []]


def test_bull_momentum_needs_positive_funding() -> None:
    bars = make_bars(3, price=[100, 100, 101], oi=[1000, 1000, 1010], funding=0.0001)
    assert on(bars)[2] == ["bull_momentum"]
    assert flag(bars, "bull_momentum") == Flag(
        "bull_momentum", 1, "price +1.0% / OI +1.0% in 2h, funding +0.010%/8h", 1.0
    )
    # funding8h > 0 is strict: zero funding is nobody paying up.
    assert on(make_bars(3, price=[100, 100, 101], oi=[1000, 1000, 1010], funding=0.0)) == [[], [], []]


def test_bear_momentum_and_weak_selloff() -> None:
    bars = make_bars(3, price=[100, 100, 99], oi=[1000, 1000, 1010], funding=-0.0001)
    assert on(bars)[2] == ["bear_momentum"]
    assert flag(bars, "bear_momentum") == Flag(
        "bear_momentum", -1, "price -1.0% / OI +1.0% in 2h, funding -0.010%/8h", 1.0
    )
    sell = make_bars(3, price=[100, 100, 99], oi=[1000, 1000, 990])
    assert on(sell)[2] == ["weak_selloff"]
    assert flag(sell, "weak_selloff") == Flag("weak_selloff", 1, "price -1.0% / OI -1.0% in 2h", 1.0)


def test_change_needs_n_w_bars_back() -> None:
    # At bar 1 there is no bar t - 2 yet: chg is undefined, whatever the move.
    assert on(make_bars(2, price=[100, 150], oi=[1000, 500])) == [[], []]


# ---- crowding flags ---------------------------------------------------------------------------


def test_short_squeeze_risk_edges() -> None:
    bars = make_bars(2, funding=[-0.0001, -0.0001], ls_ratio=[1.0, 0.85])
    assert on(bars) == [[], ["short_squeeze_risk"]]  # ls < 1.0 is strict
    assert flag(bars, "short_squeeze_risk") == Flag(
        "short_squeeze_risk", 1, "funding -0.010%/8h, L/S 0.85", 1.0
    )


def test_long_squeeze_risk_at_exactly_funding_hi() -> None:
    bars = make_bars(3, funding=[0.0003, 0.0003, 0.00029], ls_ratio=[2.0, 2.5, 2.5])
    assert on(bars) == [[], ["long_squeeze_risk"], []]
    assert flag(bars, "long_squeeze_risk", 1) == Flag(
        "long_squeeze_risk", -1, "funding +0.030%/8h, L/S 2.50", 1.0
    )


# ---- funding flags ----------------------------------------------------------------------------


def test_funding_is_normalised_to_8h() -> None:
    # A 1 h venue's 0.01 % per hour is 0.08 % per 8 h: extreme; the same rate on an 8 h venue is not.
    hourly = make_bars(1, funding=0.0001, funding_interval_h=1.0)
    assert flag(hourly, "funding_extreme") == Flag(
        "funding_extreme", -1, "funding +0.080%/8h (|x| >= 0.05%)", 1.0
    )
    assert on(make_bars(1, funding=0.0001, funding_interval_h=8.0)) == [[]]
    # Unknown interval defaults to 8 h.
    assert on(make_bars(1, funding=0.0001)) == [[]]


def test_funding_extreme_is_contrarian_and_inclusive() -> None:
    bars = make_bars(3, funding=[0.0005, -0.0005, 0.00049])
    table = evaluate(bars, P, HOUR_MS)
    assert table.fired["funding_extreme"].tolist() == [True, True, False]
    # The direction is -sign(funding8h) at every bar, on or off.
    assert table.direction["funding_extreme"].tolist() == [-1, 1, -1]
    # Bar 1 also flips sign: funding_flip is context only.
    assert [(f.name, f.direction) for f in table.flags_at(1)] == [("funding_extreme", 1), ("funding_flip", 0)]
    on(bars)


def test_funding_flip_needs_a_previous_bar_and_nonzero_funding() -> None:
    bars = make_bars(5, funding=[0.0001, -0.00004, 0.0, 0.0001, np.nan])
    assert on(bars) == [[], ["funding_flip"], [], ["funding_flip"], []]
    assert flag(bars, "funding_flip", 1) == Flag(
        "funding_flip", 0, "funding flipped + -> - (-0.004%/8h)", 1.0
    )
    assert flag(bars, "funding_flip", 3) == Flag(
        "funding_flip", 0, "funding flipped 0 -> + (+0.010%/8h)", 1.0
    )
    # After a missing bar there is no previous funding to flip from.
    assert on(make_bars(3, funding=[0.0001, np.nan, -0.0001]))[2] == []


# ---- cascade_risk -----------------------------------------------------------------------------


def cascade_bars(current_liq: float, current_oi: float) -> np.ndarray:
    # n(L) = 5 previous liqW: 0, 1M, 2M, 3M, 4M; q = 0.75 -> rank 0.75 * 4 = 3 -> 3M exactly.
    # Previous OI 100..104 -> median 102.
    return make_bars(
        6,
        liq_long_usd=[0, 0.5e6, 2e6, 1e6, 4e6, current_liq / 2],
        liq_short_usd=[0, 0.5e6, 0, 2e6, 0, current_liq / 2],
        oi=[100, 101, 102, 103, 104, current_oi],
    )


def test_cascade_risk_at_the_quantile_and_the_median() -> None:
    bars = cascade_bars(3e6, 102)
    assert on(bars)[5] == ["cascade_risk"]
    assert flag(bars, "cascade_risk") == Flag(
        "cascade_risk", -1, "liq $3.00M in 1h >= p75 $3.00M; OI 1.00x 5h median", 1.0
    )
    assert on(cascade_bars(2.9e6, 102))[5] == []
    assert on(cascade_bars(3e6, 101.9))[5] == []


def test_cascade_risk_interpolates_the_quantile() -> None:
    # Previous liqW 1, 2, 3, 4 (n(L) = 4); p95 -> rank 0.95 * 3 = 2.85 -> 3 + 0.85 * (4 - 3) = 3.85.
    params = SignalParams(lookback_h=4, liq_window_h=1)
    for current, fires in ((3.9, True), (3.8, False)):
        bars = make_bars(5, liq_long_usd=[1, 2, 3, 4, current], liq_short_usd=0.0, oi=100.0)
        assert on(bars, params)[4] == (["cascade_risk"] if fires else [])


def test_cascade_risk_needs_some_liquidations() -> None:
    # Previous windows all liquidation-free: p75 is 0, and a zero window is no spike (deliberate reading).
    quiet = make_bars(6, liq_long_usd=0.0, liq_short_usd=0.0, oi=100.0)
    assert on(quiet) == [[]] * 6
    quiet[5, 2 + 4] = 1.0  # liq_long_usd of the last bar
    assert on(quiet)[5] == ["cascade_risk"]


def test_cascade_risk_undefined_before_the_lookback_is_full() -> None:
    # Bar 4 has only four previous bars of a five-bar lookback: no quantile, no flag, however big.
    bars = make_bars(5, liq_long_usd=[0, 0, 0, 0, 1e9], liq_short_usd=0.0, oi=100.0)
    assert on(bars)[4] == []


def test_liq_window_sums_bars() -> None:
    # liq_window 2 h: liqW = liq[t-1] + liq[t]; previous liqW (bars 1..5) 2, 2, 2, 2, 2 -> p75 = 2.
    params = SignalParams(lookback_h=5, liq_window_h=2, liq_quantile=0.75)
    bars = make_bars(7, liq_long_usd=[1, 1, 1, 1, 1, 1, 0.9], liq_short_usd=0.0, oi=100.0)
    assert on(bars, params)[6] == []  # 1 + 0.9 < 2
    bars[6, 6] = 1.0
    assert on(bars, params)[6] == ["cascade_risk"]


# ---- leverage_driven and confidence -------------------------------------------------------------


def test_leverage_driven_needs_a_full_sfr_window() -> None:
    bars = make_bars(4, spot_volume_usd=1.0, futures_volume_usd=[5, 5, 5, 4.9])
    # sfr = 3 / 15 = 0.2 at bar 2 (<= 0.2 fires); bars 0 and 1 have no full 3 h; bar 3: 3 / 14.9 > 0.2.
    assert on(bars) == [[], [], ["leverage_driven"], []]
    assert flag(bars, "leverage_driven", 2) == Flag("leverage_driven", 0, "spot/futures 0.20 (3h)", 1.0)


def test_other_flags_lose_confidence_while_leverage_driven() -> None:
    bars = make_bars(3, spot_volume_usd=1.0, futures_volume_usd=10.0, funding=0.0006)
    flags = evaluate(bars, P, HOUR_MS).flags_at(2)
    assert [(f.name, f.confidence) for f in flags] == [("leverage_driven", 1.0), ("funding_extreme", 0.5)]
    assert [f.confidence for f in evaluate(bars, P, HOUR_MS).flags_at(1)] == [1.0]  # sfr undefined
    on(bars)


# ---- missing inputs -----------------------------------------------------------------------------


def test_missing_column_is_unavailable_and_never_fires() -> None:
    bars = make_bars(4, price=[100, 100, 110, 120], funding=0.001)  # no OI, L/S, liquidations, volumes
    table = evaluate(bars, P, HOUR_MS)
    unavailable = {n for n in FLAG_NAMES if not table.available[n]}
    assert unavailable == {
        "weak_rally", "bull_momentum", "bear_momentum", "weak_selloff", "short_squeeze_risk",
        "long_squeeze_risk", "cascade_risk", "leverage_driven", "premium_extreme", "flow_divergence",
        "top_trader_divergence", "funding_dispersion",
    }  # fmt: skip
    for name in unavailable:
        assert not table.fired[name].any()
    window = bars[:, None, :]
    res = evaluate_latest(window, P, HOUR_MS)[0]
    assert set(res.unavailable) == unavailable
    assert [f.name for f in res.flags] == ["funding_extreme"]


def test_a_nan_input_at_a_bar_does_not_fire_there() -> None:
    bars = make_bars(4, price=[100, 100, 101, 101], oi=[1000, 1000, np.nan, 990])
    assert on(bars) == [[], [], [], ["weak_rally"]]


def test_latest_unavailable_looks_at_the_whole_window() -> None:
    bars = make_bars(3, funding=[0.0001, np.nan, np.nan], ls_ratio=[np.nan, np.nan, 1.5])
    res = evaluate_latest(bars[:, None, :], P, HOUR_MS, LatestCache())[0]
    assert "short_squeeze_risk" not in res.unavailable  # both columns seen in the window
    assert "weak_rally" in res.unavailable


# ---- steps and windows ------------------------------------------------------------------------


def test_step_is_the_median_time_difference() -> None:
    t = np.array([0, 300_000, 600_000, 1_500_000, 1_800_000], dtype=float)  # one gap of 3 bars
    assert step_of(t) == 300_000
    with pytest.raises(ValueError):
        step_of(t[:1])


def test_needed_bars_covers_every_window() -> None:
    # 5 m bars: n(7d) = 2016 previous bars, each liqW summing n(1h) = 12 bars -> 2028 bars.
    assert needed_bars(SignalParams(), 300_000) == 2028
    # 1 h bars: n(24h) = 24 > n(4h) + 1 = 5, but L dominates: 168 + 1.
    assert needed_bars(SignalParams(), HOUR_MS) == 169
    assert needed_bars(SignalParams(lookback_h=2, liq_window_h=1, window_h=1), HOUR_MS) == 24


def test_cache_follows_a_late_rewrite_of_the_previous_bar() -> None:
    bars = make_bars(3, price=[100, 100, 101], oi=[1000, 1000, 990])
    window = bars[:, None, :].copy()
    cache = LatestCache()
    assert [f.name for f in evaluate_latest(window, P, HOUR_MS, cache)[0].flags] == ["weak_rally"]
    window[0, 0, 1] = 99.0  # price 2 h back rewritten: +2.0 % now
    cache.clear()  # older bars rewritten without a new bar: the caller clears the cache
    assert evaluate_latest(window, P, HOUR_MS, cache)[0].flags[0].reason.startswith("price +2.0%")
    window[1, 0, 3] = 0.0002  # the previous bar's funding arrives late: the key sees it
    window[2, 0, 3] = -0.0001
    names = [f.name for f in evaluate_latest(window, P, HOUR_MS, cache)[0].flags]
    assert names == ["weak_rally", "funding_flip"]
