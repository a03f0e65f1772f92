"""``perptop backtest --sweep`` and ``--walk-forward`` (issue 12, "Thresholds"): the grid, a planted edge found at
the one setting that has it and labelled in-sample, folds that never see their test block (a planted leak is
caught), noise scored as no edge out of sample, and one-line errors for a bad grid."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
import pytest

from signals.columns import COLUMNS, INDEX
from signals.params import SignalParams
from signals.significance import BEATS, NO_EDGE, assess
from signals.sweep import (
    Axis,
    LeakError,
    blocks,
    expand,
    fold_masks,
    horizon_ms,
    out_of_sample,
    score_point,
)
from tui.cli import backtest as backtest_cmd
from tui.cli.backtest import add_parser
from tui.cli.backtest_sweep import parse_axes, run_sweep
from tui.config.loader import AppConfig

H = 3_600_000
T0 = 1_735_689_600_000
CYCLE = 90


# --- the planted edge ------------------------------------------------------------------------------------
#
# Each 90-bar cycle holds three 30-bar segments. In each, price falls by a factor d a bar for m bars and
# climbs back for m bars (a V), while open interest stays flat and then falls by d a bar over the climb; the
# bar after the V, price moves once (the outcome) and open interest is flat again. weak_rally (price up >= 1 %
# and OI down >= 1 % over the window W; a fall expected) then fires exactly once per segment, at the V's end,
# and only for the window equal to the climb: over a longer window the V nets to nothing, over a shorter one
# the climb is under 1 %. With d^m - 1 = 1.2 %:
#   segment A (m=4, d=1.003):  fires at window 4h only; the outcome falls 0.3 %: a hit.
#   segment B (m=8, d=1.0015): fires at window 8h only; the outcome rises 0.3 %: a miss.
#   segment C (m=2, d=1.006):  fires at window 2h only; the outcome rises 0.3 %: a miss.
# At 1h the baseline (falling bars) is 15 a cycle: 4 + 8 + 2 down-leg bars and A's outcome.
SEGMENTS = ((4, 1.003, 0.997), (8, 1.0015, 1.003), (2, 1.006, 1.003))


def planted_prices(cycles: int) -> tuple[list[float], list[float]]:
    price: list[float] = []
    oi: list[float] = []
    p, level = 100.0, 1e6
    for _ in range(cycles):
        for m, d, outcome in SEGMENTS:
            seg_p = [p / d ** (s if s <= m else 2 * m - s) for s in range(2 * m + 1)]
            seg_o = [level if s <= m else level / d ** (s - m) for s in range(2 * m + 1)]
            p *= outcome
            seg_p += [p] * (30 - len(seg_p))
            seg_o += [level] * (30 - len(seg_o))
            price += seg_p
            oi += seg_o
    return price, oi


def planted_csv(tmp_path: Path, cycles: int, symbols: tuple[str, ...] = ("",)) -> Path:
    price, oi = planted_prices(cycles)
    lines = ["time,price,oi,funding" + ("" if symbols == ("",) else ",symbol")]
    for sym in symbols:
        tail = f",{sym}" if sym else ""
        lines += [
            f"{T0 + i * H},{p!r},{o!r},0.0001{tail}" for i, (p, o) in enumerate(zip(price, oi, strict=True))
        ]
    path = tmp_path / "planted.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    return parser.parse_args(["backtest", *argv])


def sweep(*argv: str, config: AppConfig | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_sweep(config or AppConfig(), parse(*argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# --- the grid --------------------------------------------------------------------------------------------


def test_the_grid_is_the_product_in_the_order_given_last_key_fastest() -> None:
    axes = parse_axes(["window=2h,4h", "price_change_pct=0.5,1,2"])
    points, skipped = expand(axes, SignalParams())
    assert skipped == []
    assert [p.label for p in points] == [
        "window=2h price_change_pct=0.5",
        "window=2h price_change_pct=1",
        "window=2h price_change_pct=2",
        "window=4h price_change_pct=0.5",
        "window=4h price_change_pct=1",
        "window=4h price_change_pct=2",
    ]
    # values in the loader's units: durations in hours, percentages as fractions; other keys untouched
    assert (points[0].params.window_h, points[0].params.price_change) == (2.0, 0.005)
    assert (points[5].params.window_h, points[5].params.price_change) == (4.0, 0.02)
    assert all(p.params.oi_change == SignalParams().oi_change for p in points)


def test_ls_short_above_ls_long_is_skipped_and_said_so(tmp_path: Path) -> None:
    code, out, _ = sweep(
        str(planted_csv(tmp_path, 2)), "--sweep", "ls_short=0.5,3", "ls_long=2", "--horizons", "1h"
    )
    assert code == 0
    assert "1 setting scored" in out
    assert "skipped ls_short=3 ls_long=2: ls_short (3) must not exceed ls_long (2)" in out


# --- in-sample: the planted edge -------------------------------------------------------------------------


def test_the_planted_edge_is_the_in_sample_best_and_is_labelled_so(tmp_path: Path) -> None:
    code, out, _ = sweep(str(planted_csv(tmp_path, 40)), "--sweep", "window=2h,4h,8h", "--horizons", "1h")
    assert code == 0
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("weak_rally "))
    block = lines[start + 1 : start + 5]
    # 40 events per setting; only 4h's are hits; baseline 600 falling bars of 3,599 with a next bar
    assert block[0].startswith("  window=2h") and " 0.0% " in block[0]
    assert block[1].startswith("* window=4h") and "100.0%" in block[1] and "16.7%" in block[1]
    assert "in-sample: chosen on the data it is scored on, of 3 settings tried" in block[2]
    assert "not an out-of-sample result" in block[2]
    assert block[3].startswith("  window=8h")
    assert sum(line.startswith("* ") for line in lines) == 1  # the other flags have no events: no best
    assert "IN-SAMPLE" in out


def test_json_best_in_sample_names_the_setting_and_says_in_sample(tmp_path: Path) -> None:
    path = planted_csv(tmp_path, 40)
    code, out, err = sweep(str(path), "--sweep", "window=2h,4h,8h", "--horizons", "1h", "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)["sweep"]
    best = doc["best_in_sample"]["weak_rally"]["1h"]
    assert best["settings"] == {"window": "4h"} and best["point"] == 1
    assert best["label"].startswith("in-sample")
    assert best["stats"]["n_independent"] == 40 and best["stats"]["hits_independent"] == 40
    assert best["stats"]["baseline"] == pytest.approx(600 / 3599, abs=1e-6)
    assert doc["keys"] == {"window": ["2h", "4h", "8h"]}
    assert [p["settings"] for p in doc["points"]] == [{"window": w} for w in ("2h", "4h", "8h")]
    assert doc["points"][2]["flags"]["weak_rally"]["1h"]["hits_independent"] == 0
    # one test per setting with events: weak_rally x 3 settings (the other flags never fire)
    assert doc["tests"] == 3


def test_q_values_are_corrected_over_every_symbol_and_the_pool(tmp_path: Path) -> None:
    path = planted_csv(tmp_path, 40, symbols=("AAA", "BBB"))
    code, out, _ = sweep(str(path), "--sweep", "window=2h,4h,8h", "--horizons", "1h", "--json")
    assert code == 0
    doc = json.loads(out)["sweep"]
    # weak_rally x 3 settings x (2 symbols + their pool), as the plain backtest counts one run's tests
    assert doc["tests"] == 9
    assert doc["best_in_sample"]["weak_rally"]["1h"]["stats"]["n_independent"] == 80


# --- walk-forward folds ----------------------------------------------------------------------------------


def test_no_training_bar_sees_its_test_block_and_a_planted_leak_is_caught() -> None:
    time = T0 + H * np.arange(600, dtype=np.float64)
    h_ms = {"4h": 4 * H, "24h": 24 * H}
    bl = blocks(time)
    assert len(bl) == 5 and bl[0].start == time[100]  # 600 bars in 6 blocks of 100
    for f in fold_masks(time, bl, h_ms):
        for h, ms in h_ms.items():
            # the last training bar's forward window ends exactly at the block's first bar: one horizon
            # of embargo, no more
            assert time[f.train[h]].max() + ms == f.block.start
        assert time[f.test].min() == f.block.start and time[f.test].max() < f.block.end

    def leaky(t: np.ndarray, start: float, ms: float) -> np.ndarray:
        return np.asarray(t < start)  # every bar before the block, windows reaching into it included

    with pytest.raises(LeakError, match="fold 1, horizon 4h: a training bar"):
        fold_masks(time, bl, h_ms, rule=leaky)


def test_walk_forward_picks_the_planted_setting_in_every_fold_and_scores_only_the_test_blocks(
    tmp_path: Path,
) -> None:
    path = planted_csv(tmp_path, 240)
    code, out, _ = sweep(
        str(path), "--sweep", "window=2h,4h,8h", "--horizons", "1h", "--walk-forward", "--json"
    )
    assert code == 0
    wf = json.loads(out)
    assert "sweep" not in wf  # no in-sample figures at all
    doc = wf["walk_forward"]
    assert len(doc["folds"]) == 5
    wr = doc["flags"]["weak_rally"]["1h"]
    assert wr["picked"] == [{"window": "4h"}] * 5
    # block 0 (the first 21,600 / 6 = 3,600 bars = 40 cycles) only trains: 200 of 240 events are tested
    assert (wr["n_independent"], wr["hits_independent"]) == (200, 200)
    assert wr["verdict"] == BEATS
    # flags with no event anywhere: no fold can pick, nothing is scored
    assert doc["flags"]["bull_momentum"]["1h"]["picked"] == [None] * 5
    assert doc["flags"]["bull_momentum"]["1h"]["n"] == 0


def _noise(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    bars = np.full((n, len(COLUMNS)), np.nan)
    bars[:, INDEX["time"]] = T0 + H * np.arange(n, dtype=np.float64)
    bars[:, INDEX["price"]] = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, INDEX["oi"]] = 1e6 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, INDEX["funding"]] = rng.normal(0, 3e-4, n)
    bars[:, INDEX["ls_ratio"]] = np.exp(rng.normal(0.3, 0.5, n))
    return bars


def _walk_forward_verdicts(bars: np.ndarray) -> list[str]:
    horizons = {"4h": 4.0, "24h": 24.0}
    h_ms = {h: horizon_ms(v, H) for h, v in horizons.items()}
    masks = {"": fold_masks(bars[:, INDEX["time"]], blocks(bars[:, INDEX["time"]]), h_ms)}
    points, _ = expand([Axis("window", "window_h", (2.0, 4.0, 8.0), ("2h", "4h", "8h"))], SignalParams())
    scores = [score_point(p, {"": bars}, H, horizons, masks, whole=False) for p in points]
    cells = [o for by_h in out_of_sample(scores, list(horizons)).values() for o in by_h.values()]
    assert sum(o.score.independent.n for o in cells) > 1000  # enough events that an edge could show
    return [s.verdict for s in assess([o.score for o in cells])]


def test_on_pure_noise_the_out_of_sample_verdict_is_no_edge_measured() -> None:
    assert set(_walk_forward_verdicts(_noise(6000, seed=0))) == {NO_EDGE}
    # and whatever the draw, picking the best of three settings on the past never makes noise "beat"
    for seed in range(1, 4):
        assert BEATS not in _walk_forward_verdicts(_noise(6000, seed=seed))


def test_the_walk_forward_table_shows_only_out_of_sample_figures(tmp_path: Path) -> None:
    path = planted_csv(tmp_path, 240)
    code, out, _ = sweep(str(path), "--sweep", "window=2h,4h,8h", "--horizons", "1h", "--walk-forward")
    assert code == 0
    assert "in-sample" not in out.lower() and "* window" not in out
    assert "ONLY OUT-OF-SAMPLE" in out
    assert "  picked per block (window): 4h, 4h, 4h, 4h, 4h" in out
    assert "bull_momentum        not scored: no setting had 30 non-overlapping events" in out


# --- bad grids and arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--sweep", "windw=2h,4h"),
            "--sweep: unknown key 'windw'; the [signals] keys are window, price_change_pct, oi_change_pct",
        ),
        (
            ("--sweep", "window=2h,90d"),
            "--sweep: key 'window': must be at least 1m and at most 30d, got \"90d\"",
        ),
        (
            ("--sweep", "price_change_pct=1,abc"),
            "--sweep: key 'price_change_pct': expected a number in percent, got \"abc\"",
        ),
        (("--sweep", "price_change_pct=0,1"), "--sweep: key 'price_change_pct': must be greater than 0"),
        (
            (
                "--sweep",
                f"window={','.join(f'{i}h' for i in range(1, 16))}",
                f"oi_change_pct={','.join(map(str, range(1, 16)))}",
            ),
            "--sweep: 15 x 15 = 225 settings; at most 200",
        ),
        (("--sweep", "window"), "--sweep: expected KEY=LIST like window=2h,4h,8h, got 'window'"),
        (
            ("--sweep", "ls_short=3", "ls_long=2"),
            "every one of the 1 settings is refused: ls_short (3) must not exceed",
        ),
        (("--sweep", "window=2h", "--combined"), "--sweep cannot be combined with --combined"),
    ],
)
def test_a_bad_grid_is_one_line_and_exit_2(tmp_path: Path, argv: tuple[str, ...], message: str) -> None:
    code, out, err = sweep(str(planted_csv(tmp_path, 2)), *argv)
    assert code == 2 and out == ""
    assert err.startswith("perptop backtest: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_walk_forward_without_sweep_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # through the command's own handler, which sends --walk-forward to the sweep
    code = backtest_cmd.run(AppConfig(), parse(str(planted_csv(tmp_path, 2)), "--walk-forward"))
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert (
        captured.err
        == "perptop backtest: error: --walk-forward needs --sweep KEY=LIST ... (the settings to choose among)\n"
    )
