"""``perptop backtest``: the table's words, the --json shape, --plot, unscorable flags and bad input."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from tests.support.paths import DATA
from tui.cli.backtest import add_parser
from tui.cli.backtest_report import run_backtest as run
from tui.config.loader import AppConfig

T0 = 1_735_689_600_000
H = 3_600_000


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    return parser.parse_args(["backtest", *argv])


def backtest(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(AppConfig(), parse(*argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def squeeze_file(tmp_path: Path, symbols: tuple[str, ...] = ()) -> Path:
    """200 hourly bars per symbol: price falls 1 % a bar, except the bar after each short_squeeze_risk event
    (ls < 1 with negative funding, every 10th bar from bar 5), where it rises 3 %.

    At 1h: 20 events, all hits; the baseline (rises among the 199 bars with a next bar) is 20 / 199.
    """
    lines = ["time,price,funding,ls_ratio" + (",symbol" if symbols else "")]
    for sym in symbols or ("",):
        price = 100.0
        for i in range(200):
            ls = 0.5 if i % 10 == 5 else 1.5
            lines.append(f"{T0 + i * H},{price!r},-0.0001,{ls}" + (f",{sym}" if sym else ""))
            price *= 1.03 if i % 10 == 5 else 0.99
    path = tmp_path / "squeeze.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_table_says_in_words_whether_a_flag_beats_its_baseline(tmp_path: Path) -> None:
    code, out, err = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("short_squeeze_risk"))
    # 20 of 20: Wilson lower bound 20/(20+3.84) = 83.9 %, far above a 10.1 % baseline
    assert "100.0%" in row and "10.1%" in row and "beats its baseline beyond its interval" in row
    lq = next(line for line in out.splitlines() if line.startswith("long_squeeze_risk"))
    assert lq.endswith("no events")
    assert "200 rows" in err and "scored 200 bars" in err  # progress on stderr


def test_unscorable_flags_are_named_with_the_missing_columns(tmp_path: Path) -> None:
    code, out, _ = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h")
    assert code == 0
    assert "cannot be scored on this file:" in out
    assert "  weak_rally: needs oi, not in the file" in out
    assert "  cascade_risk: needs liq_long_usd, liq_short_usd, oi, not in the file" in out
    # an unscorable flag never shows up as a row of zero events
    assert not any(line.startswith("weak_rally ") for line in out.splitlines())


def test_json_has_the_shape_of_signals_md_and_nothing_on_stderr(tmp_path: Path) -> None:
    code, out, err = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h,24h", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["bars"] == 200 and doc["step_s"] == 3600.0
    sq = doc["flags"]["short_squeeze_risk"]
    assert sq["direction"] == 1 and sq["events"] == 20
    assert set(sq["horizons"]) == {"1h", "24h"}
    one = sq["horizons"]["1h"]
    assert {"n", "hits", "hit_rate", "ci95", "baseline", "mean_return"} <= set(one)
    assert (one["n"], one["hits"], one["hit_rate"]) == (20, 20, 1.0)
    assert one["baseline"] == pytest.approx(20 / 199, abs=1e-6)
    assert one["ci95"][0] == pytest.approx(20 / (20 + 1.959964**2), abs=1e-5) and one["ci95"][1] == 1.0
    assert one["mean_return"] == pytest.approx(0.03, abs=1e-9)
    # 24h: events at 5, 15, ..., 175 have a full 24-bar horizon (185, 195 do not)
    assert sq["horizons"]["24h"]["n"] == 18
    assert doc["flags"]["funding_flip"] == {"direction": 0, "events": 0, "horizons": {}}
    assert doc["flags"]["weak_rally"]["events"] is None
    assert doc["unscorable"]["weak_rally"] == "needs oi, not in the file"
    assert doc["problems"] == []


def test_a_symbol_column_is_scored_per_symbol_and_pooled(tmp_path: Path) -> None:
    path = squeeze_file(tmp_path, symbols=("BTCUSDT", "ETHUSDT"))
    doc = json.loads(backtest(str(path), "--horizons", "1h", "--json")[1])
    assert doc["bars"] == 400 and set(doc["symbols"]) == {"BTCUSDT", "ETHUSDT"}
    assert doc["symbols"]["ETHUSDT"]["flags"]["short_squeeze_risk"]["events"] == 20
    assert doc["flags"]["short_squeeze_risk"]["events"] == 40
    assert doc["flags"]["short_squeeze_risk"]["horizons"]["1h"]["n"] == 40
    one = json.loads(backtest(str(path), "--horizons", "1h", "--json", "--symbols", "ETH")[1])
    assert one["bars"] == 200 and set(one["symbols"]) == {"ETHUSDT"}


def test_plot_draws_hit_rate_against_baseline(tmp_path: Path) -> None:
    code, out, _ = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h", "--plot")
    assert code == 0
    assert "hit rate (o) vs baseline (x), 95% interval, horizon 1h" in out
    assert "SQ n=20" in out  # the flag's code and its event count under its mark
    assert "\x1b[" not in out  # not a terminal: no colour codes


def test_bad_rows_are_reported_on_stderr_with_line_numbers(tmp_path: Path) -> None:
    path = squeeze_file(tmp_path)
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[1], "-5", 1)
    path.write_text("\n".join(lines) + "\n")
    code, _, err = backtest(str(path), "--horizons", "1h")
    assert code == 0 and f"{path} line 4: price -5 is negative" in err
    doc = json.loads(backtest(str(path), "--horizons", "1h", "--json")[1])
    assert doc["problems"] == [f"{path} line 4: price -5 is negative"] and doc["bars"] == 199


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--horizons", "4x"], "--horizons: expected a duration"),
        (["--horizons", ","], "--horizons: no horizon given"),
        (["--symbols", "DOGE"], "has no symbol column"),
        (["--symbols", "DOGE", "--named"], "--symbols: DOGE is not in"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, argv: list[str], words: str) -> None:
    named = "--named" in argv
    path = squeeze_file(tmp_path, symbols=("BTCUSDT",) if named else ())
    code, out, err = backtest(str(path), *[a for a in argv if a != "--named"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("perptop backtest: error:") and words in err


def test_symbols_missing_from_the_file_are_named_with_what_it_has(tmp_path: Path) -> None:
    path = squeeze_file(tmp_path, symbols=("BTCUSDT", "ETHUSDT"))
    code, out, err = backtest(str(path), "--symbols", "NOPE")
    assert (code, out) == (2, "")
    assert err == f"perptop backtest: error: --symbols: NOPE is not in {path} (it has BTCUSDT, ETHUSDT)\n"
    code, _, err = backtest(str(path), "--symbols", "NOPE,ZZZ")
    assert code == 2 and "--symbols: NOPE, ZZZ are not in" in err
    # one of them there: it is scored, and the missing one is named in a warning
    code, out, err = backtest(str(path), "--symbols", "ETH,NOPE", "--horizons", "1h")
    assert code == 0 and "200 bars of 1h" in out
    assert f"perptop backtest: warning: --symbols: NOPE is not in {path} (it has BTCUSDT, ETHUSDT)\n" in err


def test_counts_of_one_are_singular(tmp_path: Path) -> None:
    code, out, _ = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h,4h")
    assert code == 0
    # hourly bars: a 1h horizon is one bar ahead, 4h four
    assert "\nhorizon 1h (1 bar)\n" in out and "\nhorizon 4h (4 bars)\n" in out


def test_a_file_without_a_price_column_exits_2_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("time,oi\n1,2\n")
    code, _, err = backtest(str(path))
    assert code == 2 and err == f"perptop backtest: error: {path}: no price column in the header (line 1)\n"


def test_json_and_plot_together_are_refused() -> None:
    with pytest.raises(SystemExit):
        parse("x.csv", "--json", "--plot")
    args = argparse.Namespace(file=Path("x.csv"), horizons="4h", symbols=None, json=True, plot=True)
    err = io.StringIO()
    assert run(AppConfig(), args, out=io.StringIO(), err=err) == 2 and "cannot be combined" in err.getvalue()


REAL = DATA / "binance-btc-1h-funding-ggcmk"


def test_real_binance_btc_hourly_candles_and_funding(tmp_path: Path) -> None:
    klines, funding = REAL / "BTCUSDT-1h-futures.csv", REAL / "BTCUSDT-funding.csv"
    if not klines.exists():
        pytest.skip(f"real data not found at {REAL}")
    # funding as known at each bar's close: the latest settlement at or before it
    settled = [tuple(r.split(",")) for r in funding.read_text().splitlines()[1:]]
    lines, k = ["time,price,funding,funding_interval_h,futures_volume_usd"], -1
    for row in klines.read_text().splitlines()[1:]:
        f = row.split(",")
        close = int(f[0]) + H
        while k + 1 < len(settled) and int(settled[k + 1][0]) <= close:
            k += 1
        lines.append(f"{f[0]},{f[4]},{settled[k][2]},{settled[k][1]},{f[7]}")
    path = tmp_path / "btc.csv"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = backtest(str(path), "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["bars"] == 13_848 and doc["step_s"] == 3600.0 and doc["missing_bars"] == 0
    # candles and funding only: the OI, long/short, liquidation and spot flags cannot be scored
    assert set(doc["unscorable"]) == {
        "weak_rally",
        "bull_momentum",
        "bear_momentum",
        "weak_selloff",
        "short_squeeze_risk",
        "long_squeeze_risk",
        "cascade_risk",
        "leverage_driven",
        "premium_extreme",  # the added columns of SIGNALS.md are not in this file either
        "flow_divergence",
        "top_trader_divergence",
        "funding_dispersion",
    }
    assert doc["unscorable"]["leverage_driven"] == "needs spot_volume_usd, not in the file"
    fx = doc["flags"]["funding_extreme"]["horizons"]["24h"]
    # 24 bars of 1h: every bar but the last 24 has a full horizon for the baseline
    assert fx["baseline_bars"] == 13_848 - 24
    assert doc["flags"]["funding_flip"]["events"] > 0


def test_json_adds_the_dependence_aware_figures_q_values_and_verdict(tmp_path: Path) -> None:
    code, out, _ = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h,24h", "--json")
    assert code == 0
    doc = json.loads(out)
    # Tested: short_squeeze_risk at 1h and 24h; long_squeeze_risk and funding_extreme have no event.
    assert doc["tests"] == 2
    sq = doc["flags"]["short_squeeze_risk"]["horizons"]
    one, day = sq["1h"], sq["24h"]
    # 1h: events 10 bars apart never overlap a one-bar window: all 20 count, all hit.
    assert (one["n_independent"], one["hits_independent"]) == (20, 20)
    assert one["ci95_dependent"][0] == pytest.approx(20 / (20 + 1.959964**2), abs=1e-5)
    p = (20 / 199) ** 20  # P[Bin(20, 20/199) >= 20]
    assert one["p_value"] == pytest.approx(p, rel=1e-3)
    assert one["q_value"] == pytest.approx(2 * p, rel=1e-3)  # rank 1 of 2 tests: 2 p / 1
    assert one["verdict"] == "beats"
    # excess: +3 % at each event; all 199 bars: (20 * 0.03 - 179 * 0.01) / 199 = -0.5980 %
    assert one["excess_return_bp"] == pytest.approx(300 + 1e4 * 1.19 / 199, abs=0.01)
    assert one["excess_ci95"] == pytest.approx([one["excess_return_bp"]] * 2, abs=0.01)  # no spread
    # 24h (24 bars): events 5, 15, ..., 175 have a full horizon; counted 5, 35, 65, 95, 125, 155 (each the
    # first at least 24 bars after the last counted): 6 of 18. No 24-bar window rises: 0 hits, baseline 0.
    assert (day["n"], day["n_independent"], day["hits_independent"]) == (18, 6, 0)
    assert day["p_value"] == 1.0 and day["q_value"] == 1.0
    assert day["verdict"] == "no edge measured"
    assert doc["flags"]["long_squeeze_risk"]["horizons"]["1h"]["p_value"] is None


def test_q_values_are_corrected_over_every_symbol_and_the_pool(tmp_path: Path) -> None:
    path = squeeze_file(tmp_path, symbols=("BTCUSDT", "ETHUSDT"))
    doc = json.loads(backtest(str(path), "--horizons", "1h,24h", "--json")[1])
    # short_squeeze_risk x 2 horizons x (2 symbols + the pool)
    assert doc["tests"] == 6
    pooled = doc["flags"]["short_squeeze_risk"]["horizons"]
    assert pooled["1h"]["n_independent"] == 40 and pooled["24h"]["n_independent"] == 12  # per symbol, summed
    eth = doc["symbols"]["ETHUSDT"]["flags"]["short_squeeze_risk"]["horizons"]["1h"]
    # the three 1h tests have p = (20/199)^20 (symbols) and (20/199)^40 (pool); the symbols' q: rank 3 of 6
    # ties with rank 2 -> 6 p / 3 = 2 p
    assert eth["q_value"] == pytest.approx(2 * (20 / 199) ** 20, rel=1e-3)


def test_the_table_shows_the_non_overlapping_row_and_q_within_120_columns(tmp_path: Path) -> None:
    code, out, _ = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h,24h")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines[1:]) <= 120  # the first line names the file: its length
    assert "Benjamini-Hochberg q-value over all 2 tests of this run" in out.replace("\n", " ")
    day = lines.index("horizon 24h (24 bars)")
    sq = next(i for i in range(day, len(lines)) if lines[i].startswith("short_squeeze_risk"))
    assert lines[sq].endswith("no edge measured")
    below = lines[sq + 1].split()
    # non-overlapping: 6 events, 0 hits, 0.0 %, interval, q 1.000
    assert lines[sq + 1].startswith("  non-overlapping") and below[1:4] == ["6", "0", "0.0%"]
    assert "q 1.000" in lines[sq + 1]
    one = lines.index("horizon 1h (1 bar)")
    assert "q <0.001, excess +360 bp" in lines[one + 3]


def test_json_splits_each_flag_by_regime_with_the_regimes_own_baseline(tmp_path: Path) -> None:
    code, out, _ = backtest(str(squeeze_file(tmp_path)), "--horizons", "1h", "--json")
    assert code == 0
    doc = json.loads(out)
    regimes = doc["flags"]["short_squeeze_risk"]["regimes"]
    # no spot/futures volume in the file: no leverage_driven split
    assert set(regimes) == set(doc["regime_definitions"]) == {"trend", "volatility", "funding"}
    assert set(regimes["trend"]) == {"up", "chop", "down"}
    # Trend needs 168 bars back: bars 168..199 are labelled, all "down" (17 rises of 3 % and 151 falls of
    # 1 % in a week: -64 %). Of them 168..198 have a next bar (31); rises at 175, 185, 195: baseline 3/31.
    # Events in it: 175, 185, 195, all hits.
    down = regimes["trend"]["down"]["1h"]
    assert (down["n"], down["hits"], down["baseline_bars"]) == (3, 3, 31)
    assert down["baseline"] == pytest.approx(3 / 31, abs=1e-6)
    assert down["n_independent"] == 3 and down["p_value"] == pytest.approx((3 / 31) ** 3, rel=1e-3)
    assert regimes["trend"]["up"]["1h"]["n"] == 0 and regimes["trend"]["up"]["1h"]["baseline_bars"] == 0
    # funding is -0.0001 on every bar: the "negative" cell is the whole score
    neg = regimes["funding"]["negative"]["1h"]
    assert (neg["n"], neg["hits"], neg["baseline_bars"]) == (20, 20, 199)
    assert regimes["funding"]["positive"]["1h"]["n"] == 0
    assert neg["verdict"] == "beats"
    # the q-values of the regime cells form their own family: tested cells are those with an event
    # volatility: the first 24 h value is at bar 23 and terciles need 168 values, so labels start at bar
    # 190 and only event 195 falls in a tercile; tested cells are trend down, funding negative and that one
    vol = regimes["volatility"]
    assert sum(vol[v]["1h"]["n"] for v in ("low", "mid", "high")) == 1
    assert doc["regime_tests"] == 3
    assert doc["tests"] == 1  # the main family is unchanged


def test_by_period_buckets_events_and_bars_by_utc_quarter(tmp_path: Path) -> None:
    # Starts 100 hours before 2025-04-01T00:00Z: bars 0..99 are in 2025Q1, bars 100..199 in 2025Q2.
    q2 = 1_743_465_600_000
    path = squeeze_file(tmp_path)
    text = path.read_text().replace(str(T0), "T0")  # rebase the times
    lines = text.splitlines()
    rebased = [lines[0]] + [
        f"{q2 - 100 * H + i * H}," + line.split(",", 1)[1] for i, line in enumerate(lines[1:])
    ]
    path.write_text("\n".join(rebased) + "\n")
    doc = json.loads(backtest(str(path), "--horizons", "1h", "--json")[1])
    periods = doc["flags"]["short_squeeze_risk"]["by_period"]
    assert list(periods) == ["2025Q1", "2025Q2"]
    # events at 5, 15, ..., 95 in Q1 (10) and 105, ..., 195 in Q2 (10), all hits; Q1's bars 0..99 all have a
    # next bar, with rises at 5..95 (10 of 100); Q2's 100..198 (99), rises at 105..195 (10 of 99)
    q1, q2d = periods["2025Q1"]["1h"], periods["2025Q2"]["1h"]
    assert (q1["n"], q1["hits"], q1["n_independent"], q1["baseline_bars"]) == (10, 10, 10, 100)
    assert q1["baseline"] == pytest.approx(0.1)
    assert (q2d["n"], q2d["hits"], q2d["baseline_bars"]) == (10, 10, 99)
    assert q2d["baseline"] == pytest.approx(10 / 99, abs=1e-6)
    assert q1["ci95"][0] == pytest.approx(10 / (10 + 1.959964**2), abs=1e-5)


def _leverage_file(tmp_path: Path) -> Path:
    """The squeeze file plus volumes: spot 10 against futures 100 for bars 0..99, then 100 against 100."""
    lines = squeeze_file(tmp_path).read_text().splitlines()
    out = [lines[0] + ",spot_volume_usd,futures_volume_usd"]
    out += [line + (",10,100" if i < 100 else ",100,100") for i, line in enumerate(lines[1:])]
    path = tmp_path / "leverage.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def test_the_leverage_driven_split_is_a_measured_row_in_json_and_table(tmp_path: Path) -> None:
    path = _leverage_file(tmp_path)
    doc = json.loads(backtest(str(path), "--horizons", "1h", "--json")[1])
    lev = doc["flags"]["short_squeeze_risk"]["regimes"]["leverage_driven"]
    # 24 h ratio (24 bars, none before bar 23): 0.1 up to bar 99; bar 100: 330/2400, 101: 420/2400 (on);
    # from 102: 510/2400 = 0.2125 > 0.2 (off). On: bars 23..101, events 25, ..., 95 (8); off: 105..195 (10).
    on, off = lev["on"]["1h"], lev["off"]["1h"]
    assert (on["n"], on["baseline_bars"]) == (8, 79) and (off["n"], off["baseline_bars"]) == (10, 97)
    code, out, _ = backtest(str(path), "--horizons", "1h")
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines[1:]) <= 120
    block = lines.index("short_squeeze_risk", lines.index("cannot be scored on this file:"))
    row = next(line for line in lines[block:] if line.startswith("  leverage_driven"))
    # on: 8 events apart, all hits, baseline 8/79 = 10.1 %; off: 10 of 10, baseline 10/97 = 10.3 %
    assert row.split() == [
        "leverage_driven",
        "on",
        "100.0%",
        "vs",
        "10.1%",
        "n",
        "8+",
        "off",
        "100.0%",
        "vs",
        "10.3%",
        "n",
        "10+",
    ]
    quarter = next(line for line in lines[block:] if line.startswith("  by quarter"))
    assert quarter.split()[2:4] == ["2025Q1", "100.0%"]
