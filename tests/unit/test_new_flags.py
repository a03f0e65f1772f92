"""The four flags of SIGNALS.md "Added columns and flags", on hand-computed bars.

Each case runs through ``evaluate`` (every bar) and ``evaluate_latest`` (the last bar of a window, cold and
with a warm cache: ``assert_agree_ticks``), so the live path is held to the same hand-computed answers.
Step 1 h and the spec's defaults unless a case says otherwise: premium_max 0.1 %, flow window 4 h (4 bars),
flow_min 0.02, ls_gap 0.2, dispersion_min 0.03 %.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from signals.evaluate import evaluate, evaluate_latest, needed_bars
from signals.flags import CODE, FLAG_NAMES, Flag
from signals.flows import flow
from signals.params import SignalParams
from signals.scoring import score_series
from tests.support.signals import HOUR_MS, assert_agree_ticks, flag_at, flags_on, make_bars
from tui.cli.backtest_json import flags_json
from tui.config.dump import dump_config
from tui.config.loader import ConfigError, load_config
from tui.screens.help import flag_legend

P = SignalParams()
NEW = ("premium_extreme", "flow_divergence", "top_trader_divergence", "funding_dispersion")


def on(bars: np.ndarray, params: SignalParams = P) -> list[list[str]]:
    return flags_on(bars, params)


def flag(bars: np.ndarray, name: str, i: int = -1, params: SignalParams = P) -> Flag | None:
    return flag_at(bars, name, params, i)


# ---- flow(x, W) -------------------------------------------------------------------------------


def test_flow_is_net_over_total_taker_volume_over_the_window() -> None:
    buy = np.array([60.0, 30.0, 50.0, 0.0, 10.0, np.nan, 10.0])
    sell = np.array([40.0, 70.0, 50.0, 0.0, 0.0, 5.0, 10.0])
    got = flow(buy, sell, 2)
    # bar 1: (20 - 40) / (100 + 100) = -0.1; bar 2: (-40 + 0) / 200 = -0.2; bar 3: (0 + 0) / (100 + 0) = 0;
    # bar 4: (0 + 10) / (0 + 10) = 1; bars 5 and 6 hold a missing buy: undefined.
    assert got[1:5].tolist() == [-0.1, -0.2, 0.0, 1.0]
    assert np.isnan(got[0])  # one bar of a two-bar window
    assert np.isnan(got[5]) and np.isnan(got[6])
    # A window without any taker volume has no flow (not 0, not a division error).
    assert np.isnan(flow(np.zeros(3), np.zeros(3), 2)).all()
    # n(W) = 1: the bar itself.
    assert flow(np.array([3.0]), np.array([1.0]), 1).tolist() == [0.5]


# ---- premium_extreme ---------------------------------------------------------------------------


def test_premium_extreme_fires_at_the_threshold_against_the_premium() -> None:
    bars = make_bars(5, premium=[0.001, -0.001, 0.00099, -0.0014, np.nan])
    assert on(bars) == [["premium_extreme"], ["premium_extreme"], [], ["premium_extreme"], []]
    assert flag(bars, "premium_extreme", 0) == Flag("premium_extreme", -1, "perp +0.10% over index", 1.0)
    assert flag(bars, "premium_extreme", 1) == Flag("premium_extreme", 1, "perp -0.10% under index", 1.0)
    assert flag(bars, "premium_extreme", 3) == Flag("premium_extreme", 1, "perp -0.14% under index", 1.0)
    # The direction is -sign(premium) at every bar, on or off; 0 where the premium is unknown.
    assert evaluate(bars, P, HOUR_MS).direction["premium_extreme"].tolist() == [-1, 1, -1, 1, 0]


# ---- flow_divergence ---------------------------------------------------------------------------


def flow_bars(perp: tuple[float, float], spot: tuple[float, float], n: int = 4) -> np.ndarray:
    """``n`` bars with the same perp and spot taker buy / sell on each."""
    return make_bars(
        n,
        taker_buy_usd=perp[0],
        taker_sell_usd=perp[1],
        spot_taker_buy_usd=spot[0],
        spot_taker_sell_usd=spot[1],
    )


def test_flow_divergence_spot_buying_against_perp_selling() -> None:
    # perp: 4 x (24 - 26) / 4 x 50 = -0.04; spot: 4 x (53 - 47) / 4 x 100 = +0.06. The window is 4 bars:
    # bars 0-2 have no full window and no flow.
    bars = flow_bars((24.0, 26.0), (53.0, 47.0))
    assert on(bars) == [[], [], [], ["flow_divergence"]]
    assert flag(bars, "flow_divergence") == Flag(
        "flow_divergence", 1, "spot takers net buy 6%, perp net sell 4% in 4h", 1.0
    )
    # Spot selling against perp buying points down: spot is taken to lead.
    down = flow_bars((53.0, 47.0), (24.0, 26.0))
    assert flag(down, "flow_divergence") == Flag(
        "flow_divergence", -1, "spot takers net sell 4%, perp net buy 6% in 4h", 1.0
    )


def test_flow_divergence_needs_each_flow_at_flow_min_and_opposite_signs() -> None:
    # perp at exactly -0.02 (4 x -1 / 200) fires; at -0.016 it does not.
    assert on(flow_bars((24.5, 25.5), (53.0, 47.0)))[3] == ["flow_divergence"]
    assert on(flow_bars((24.6, 25.4), (53.0, 47.0)))[3] == []
    assert on(flow_bars((24.0, 26.0), (50.9, 49.1)))[3] == []  # spot +0.018
    # Both buying: no divergence, however strong.
    assert on(flow_bars((40.0, 10.0), (80.0, 20.0)))[3] == []
    # A missing taker figure anywhere in the window leaves the flow undefined.
    gap = flow_bars((24.0, 26.0), (53.0, 47.0))
    gap[1, 12] = np.nan  # taker_buy_usd of bar 1
    assert on(gap)[3] == []


def test_flow_divergence_has_its_own_window() -> None:
    # flow_window 2 h while the price / OI window stays 4 h: the flows sum bars 2 and 3 only.
    params = SignalParams(flow_window_h=2.0)
    bars = make_bars(
        4,
        taker_buy_usd=[90.0, 90.0, 48.0, 48.0],
        taker_sell_usd=[10.0, 10.0, 52.0, 52.0],
        spot_taker_buy_usd=55.0,
        spot_taker_sell_usd=45.0,
    )
    assert on(bars, params) == [[], [], [], ["flow_divergence"]]
    assert flag(bars, "flow_divergence", params=params) == Flag(
        "flow_divergence", 1, "spot takers net buy 10%, perp net sell 4% in 2h", 1.0
    )
    # The latest path holds enough bars for a flow window longer than every other one.
    assert needed_bars(SignalParams(flow_window_h=240.0), HOUR_MS) == 240


# ---- top_trader_divergence ---------------------------------------------------------------------


def test_top_trader_divergence_follows_the_top_traders() -> None:
    bars = make_bars(2, ls_top_position=[1.45, 0.7], ls_ratio=[0.82, 1.3])
    assert on(bars) == [["top_trader_divergence"], ["top_trader_divergence"]]
    assert flag(bars, "top_trader_divergence", 0) == Flag(
        "top_trader_divergence", 1, "top traders 1.45 long/short vs accounts 0.82", 1.0
    )
    assert flag(bars, "top_trader_divergence", 1) == Flag(
        "top_trader_divergence", -1, "top traders 0.70 long/short vs accounts 1.30", 1.0
    )


def test_top_trader_divergence_needs_opposite_sides_of_one_and_the_gap() -> None:
    top = [1.1, 1.1, 1.5, 1.0, 0.5, np.nan]
    crowd = [0.9, 0.91, 1.2, 0.5, 1.0, 0.5]
    # 0.20 apart fires; 0.19 does not; both long does not; a ratio of exactly 1 is on neither side.
    assert on(make_bars(6, ls_top_position=top, ls_ratio=crowd)) == [["top_trader_divergence"]] + [[]] * 5
    gap = SignalParams(ls_gap=0.25)  # binary-exact figures: 1.125 - 0.875 is 0.25 to the bit
    assert on(make_bars(1, ls_top_position=1.125, ls_ratio=0.875), gap) == [["top_trader_divergence"]]
    assert on(make_bars(1, ls_top_position=1.125, ls_ratio=0.8755), gap) == [[]]


# ---- funding_dispersion ------------------------------------------------------------------------


def test_funding_dispersion_is_context_at_the_threshold() -> None:
    bars = make_bars(4, funding_spread_8h=[0.0003, 0.00029, 0.00042, np.nan])
    assert on(bars) == [["funding_dispersion"], [], ["funding_dispersion"], []]
    assert flag(bars, "funding_dispersion", 2) == Flag(
        "funding_dispersion", 0, "funding spread 0.042%/8h across venues", 1.0
    )


# ---- availability, confidence, several series at once --------------------------------------------


def test_a_series_without_the_new_columns_has_them_unavailable() -> None:
    bars = make_bars(3, price=100.0, funding=0.0001)
    table = evaluate(bars, P, HOUR_MS)
    assert [n for n in NEW if table.available[n]] == []
    assert set(NEW) <= set(evaluate_latest(bars[:, None, :], P, HOUR_MS)[0].unavailable)
    # Spot taker figures without the perp ones: flow_divergence still cannot be told.
    spot_only = make_bars(4, spot_taker_buy_usd=53.0, spot_taker_sell_usd=47.0)
    assert not evaluate(spot_only, P, HOUR_MS).available["flow_divergence"]


def test_new_flags_lose_confidence_while_leverage_driven() -> None:
    bars = make_bars(24, spot_volume_usd=1.0, futures_volume_usd=10.0, premium=0.002, funding_spread_8h=0.001)
    flags = evaluate(bars, P, HOUR_MS).flags_at(23)
    assert [(f.name, f.confidence) for f in flags] == [
        ("leverage_driven", 1.0),
        ("premium_extreme", 0.5),
        ("funding_dispersion", 0.5),
    ]
    on(bars)


def test_latest_over_many_series_gives_each_its_own_new_flag() -> None:
    cases = [
        make_bars(4, premium=0.0012),
        flow_bars((24.0, 26.0), (53.0, 47.0)),
        make_bars(4, ls_top_position=1.45, ls_ratio=0.82),
        make_bars(4, funding_spread_8h=0.0005),
    ]
    window = np.stack(cases, axis=1)  # (4 bars, 4 series, columns)
    results = evaluate_latest(window, P, HOUR_MS)
    assert [[f.name for f in r.flags] for r in results] == [[n] for n in NEW]


# ---- scoring -------------------------------------------------------------------------------------


def test_premium_extreme_is_scored_with_its_direction_at_each_event() -> None:
    # Events (rising edges of |premium| >= 0.1 %) at bars 1, 3 and 5; direction -sign(premium).
    premium = [0.0001, 0.002, 0.0001, -0.002, -0.0001, 0.002, 0.0001, 0.0001]
    price = [100.0, 101.0, 100.0, 99.0, 100.0, 102.0, 103.0, 104.0]
    bars = make_bars(8, premium=premium, price=price)
    score = score_series(bars, P, HOUR_MS, {"1h": 1.0}).flags["premium_extreme"]
    hs = score.horizons["1h"]
    # bar 1: dir -1, fwd 100/101 - 1 < 0: hit; bar 3: dir +1, fwd > 0: hit; bar 5: dir -1, fwd > 0: miss.
    assert (score.events, hs.events.n, hs.events.hits) == (3, 3, 2)
    # Baseline over bars 0-6 (bar 7 has no horizon): dir -,-,-,+,+,-,- against fwd +,-,-,+,+,+,+.
    assert (hs.base_n, hs.base_hits) == (7, 4)
    assert score.direction is None
    doc = flags_json(score_series(bars, P, HOUR_MS, {"1h": 1.0}), {})
    assert doc["premium_extreme"]["direction_rule"] == "-sign(premium) at each event"
    assert doc["funding_dispersion"]["horizons"] == {} and doc["funding_dispersion"]["direction"] == 0


def test_flow_and_top_trader_events_use_spot_flow_and_top_trader_sides() -> None:
    # flow_divergence: perp buying at bar 0 keeps bar 3 off; at bar 4 (window bars 1-4) spot 24 / 400 =
    # +0.06, perp -8 / 200 = -0.04; bar 5 adds no volume (still on); from bar 6 perp buying (+16 / 200)
    # agrees with spot. One event, at bar 4, pointing up, and the price rises after it.
    # top_trader_divergence: top traders short (0.6) against a long crowd (1.4) at bar 5 only, pointing down,
    # and the price falls after it. Both events hit.
    sb = [50.0, 53.0, 53.0, 53.0, 53.0, 0.0, 50.0, 50.0]
    ss = [50.0, 47.0, 47.0, 47.0, 47.0, 0.0, 50.0, 50.0]
    bars = make_bars(
        8,
        price=[100.0, 100.0, 100.0, 100.0, 100.0, 101.0, 100.0, 100.0],
        taker_buy_usd=[60.0, 24.0, 24.0, 24.0, 24.0, 0.0, 60.0, 50.0],
        taker_sell_usd=[40.0, 26.0, 26.0, 26.0, 26.0, 0.0, 40.0, 50.0],
        spot_taker_buy_usd=sb,
        spot_taker_sell_usd=ss,
        ls_top_position=[1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 1.0, 1.0],
        ls_ratio=[1.0, 1.0, 1.0, 1.0, 1.0, 1.4, 1.0, 1.0],
    )
    table = evaluate(bars, P, HOUR_MS)
    assert table.fired["flow_divergence"].tolist() == [False] * 4 + [True, True, False, False]
    assert_agree_ticks(bars, P, HOUR_MS, list(range(8)))
    assert table.direction["flow_divergence"][4] == 1
    assert table.fired["top_trader_divergence"].tolist() == [False] * 5 + [True, False, False]
    assert table.direction["top_trader_divergence"][5] == -1
    score = score_series(bars, P, HOUR_MS, {"1h": 1.0}).flags
    fd, tt = score["flow_divergence"].horizons["1h"], score["top_trader_divergence"].horizons["1h"]
    assert (fd.events.n, fd.events.hits) == (1, 1)  # bar 4: dir +1, price 100 -> 101
    assert (tt.events.n, tt.events.hits) == (1, 1)  # bar 5: dir -1, price 101 -> 100


# ---- config, help --------------------------------------------------------------------------------


def test_config_keys_with_units_and_bounds(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[signals]\npremium_max_pct = 0.2\nflow_window = "2h"\nflow_min = 0.05\nls_gap = 0.3\n'
        "dispersion_min_pct = 0.05\n"
    )
    s = load_config(path).signals
    assert s.premium_max == pytest.approx(0.002) and s.dispersion_min == pytest.approx(0.0005)
    assert (s.flow_window_h, s.flow_min, s.ls_gap) == (2.0, 0.05, 0.3)
    for bad in ("flow_min = 0", "flow_min = 1.5", "premium_max_pct = 0", "ls_gap = -1", 'flow_window = "0m"'):
        path.write_text(f"[signals]\n{bad}\n")
        with pytest.raises(ConfigError, match=f"signals.{bad.split()[0]}"):
            load_config(path)


def test_dump_writes_the_defaults_in_the_users_units(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    text = dump_config(load_config(path))
    for line in ("premium_max_pct = 0.1", 'flow_window = "4h"', "flow_min = 0.02", "ls_gap = 0.2"):
        assert f"\n{line}\n" in text
    assert "\ndispersion_min_pct = 0.03\n" in text


def test_help_legend_lists_the_new_codes_and_how_they_point() -> None:
    console = Console(width=140, record=True)
    console.print(flag_legend())
    text = console.export_text()
    for name, points in (
        ("premium_extreme", "against premium"),
        ("flow_divergence", "with spot flow"),
        ("top_trader_divergence", "with top traders"),
        ("funding_dispersion", "context"),
    ):
        line = next(li for li in text.splitlines() if f" {name} " in li)
        assert line.split()[0] == CODE[name] and points in line
    assert len({CODE[n] for n in FLAG_NAMES}) == len(FLAG_NAMES)
