"""The combined model (issue 12): IRLS against hand-computed fits, walk-forward folds that never see their
future, a planted 60 % edge found, noise scored at its baseline, and ``perptop backtest --combined``."""

from __future__ import annotations

import argparse
import io
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from signals.columns import COLUMNS, INDEX
from signals.evaluate import evaluate
from signals.logistic import fit
from signals.params import SignalParams
from signals.walkforward import LeakError, Samples, check_no_leak, design, folds, walk_forward
from tui.cli.backtest import add_parser
from tui.cli.backtest_combined import run_combined
from tui.config.loader import AppConfig

H_MS = 3_600_000
T0 = 1_735_689_600_000


def _sig(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


# --- the fit ---------------------------------------------------------------------------------------------


def test_irls_matches_the_closed_form_fit_of_a_binary_feature() -> None:
    # x = 0: 1 up of 4 -> P = 1/4; x = 1: 3 up of 4 -> P = 3/4. The unpenalised MLE reproduces both rates:
    # intercept = logit(1/4) = -ln 3, slope = logit(3/4) - logit(1/4) = 2 ln 3.
    x = np.array([[0.0]] * 4 + [[1.0]] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    w = fit(x, y, l2=0.0)
    assert w[0] == pytest.approx(-math.log(3), abs=1e-7)
    assert w[1] == pytest.approx(2 * math.log(3), abs=1e-7)


def test_irls_with_a_penalty_stops_where_the_penalised_gradient_is_zero() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 3))
    y = (rng.random(400) < _sig(0.3 + x @ np.array([1.0, -0.5, 0.0]))).astype(float)
    w = fit(x, y, l2=5.0)
    xa = np.hstack([np.ones((400, 1)), x])
    grad = xa.T @ (_sig(xa @ w) - y) + 5.0 * np.concatenate(([0.0], w[1:]))  # intercept not penalised
    assert np.abs(grad).max() < 1e-6
    # and the penalty pulls the slopes towards 0 against the unpenalised fit
    assert np.abs(w[1:]).sum() < np.abs(fit(x, y, l2=0.0)[1:]).sum()


def test_irls_keeps_a_separable_column_finite() -> None:
    x = np.array([[-1.0], [-0.5], [0.5], [1.0]])
    w = fit(x, np.array([0, 0, 1, 1]), l2=1.0)
    assert np.isfinite(w).all()


# --- folds and leaks -------------------------------------------------------------------------------------


def _times(n: int) -> np.ndarray:
    return T0 + H_MS * np.arange(n, dtype=np.float64)


def test_no_training_target_reaches_into_its_test_fold() -> None:
    time, h_ms = _times(600), 24 * H_MS
    fl = folds(time, h_ms, k=5)
    assert len(fl) == 5
    for f in fl:
        # the last training bar's 24 h target ends at or before the fold's first bar...
        assert time[f.train].max() + h_ms <= time[f.test].min()
        # ... and the 23 bars between are left out (they would see the fold's prices)
        assert time[f.test].min() - time[f.train].max() == h_ms
    # expanding: each fold trains on at least what the one before did
    assert [f.train.size for f in fl] == sorted(f.train.size for f in fl)


def test_a_planted_overlap_is_caught() -> None:
    time, h_ms = _times(600), 24 * H_MS
    check_no_leak(folds(time, h_ms), time, h_ms)  # the embargoed folds pass
    with pytest.raises(LeakError, match="fold 1: a training bar"):
        check_no_leak(folds(time, h_ms, embargo=False), time, h_ms)


def _random_bars(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    bars = np.full((n, len(COLUMNS)), np.nan)
    bars[:, INDEX["time"]] = _times(n)
    bars[:, INDEX["price"]] = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, INDEX["oi"]] = 1e6 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, INDEX["funding"]] = rng.normal(0, 3e-4, n)
    bars[:, INDEX["ls_ratio"]] = np.exp(rng.normal(0.3, 0.5, n))
    return bars


def _looks_ahead(make_x: Callable[[np.ndarray], np.ndarray], bars: np.ndarray, t: int) -> bool:
    """Whether features up to bar ``t`` change when every bar after ``t`` is replaced."""
    other = bars.copy()
    other[t + 1 :, INDEX["price"]] *= 1.5
    other[t + 1 :, INDEX["oi"]] *= 0.5
    other[t + 1 :, INDEX["funding"]] *= -1
    a, b = make_x(bars)[: t + 1], make_x(other)[: t + 1]
    return not np.array_equal(a, b, equal_nan=True)


def test_the_features_use_nothing_after_their_bar_and_a_planted_future_return_is_caught() -> None:
    bars = _random_bars(400)
    params = SignalParams()

    def honest(b: np.ndarray) -> np.ndarray:
        return design(evaluate(b, params, H_MS))

    def leaky(b: np.ndarray) -> np.ndarray:
        price = b[:, INDEX["price"]]
        future = np.append(price[1:] / price[:-1] - 1, np.nan)  # the next bar's return: the leak
        return np.column_stack([honest(b), future])

    assert not any(_looks_ahead(honest, bars, t) for t in (200, 250, 300))
    assert _looks_ahead(leaky, bars, 250)


# --- the model on series whose truth is known -------------------------------------------------------------


def _planted(n: int, edge: float, up_rate: float, seed: int) -> Samples:
    """One hourly series, horizon one bar: ``x[:, 0]`` says the sign right with probability ``edge``
    (0.5: no edge), the targets are up with probability ``up_rate``; three more columns of noise."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < up_rate).astype(np.int8)
    right = rng.random(n) < edge
    signal = np.where(right, 2 * y - 1, 1 - 2 * y).astype(float)
    x = np.column_stack([signal, rng.normal(size=(n, 3))])
    return Samples(x, y, _times(n), np.zeros(n, dtype=np.int64), np.arange(n))


def test_a_planted_60_percent_edge_is_found() -> None:
    s = _planted(20_000, edge=0.6, up_rate=0.5, seed=11)
    c = walk_forward(s, 1, H_MS)
    assert c.n == 20_000 - 20_000 // 6  # the first cut is at row 20,000 // 6: the rest is tested
    lo, hi = c.ci95 or (0.0, 1.0)
    assert lo <= 0.6 <= hi and lo > 0.5
    assert c.balanced_accuracy == pytest.approx(0.6, abs=0.02)
    # Brier of a model that says 60 % each time and is right 60 % of the time: 0.6 * 0.4^2 + 0.4 * 0.6^2
    assert c.brier == pytest.approx(0.24, abs=0.005)


def test_noise_scores_at_the_majority_baseline() -> None:
    s = _planted(20_000, edge=0.5, up_rate=0.55, seed=12)
    c = walk_forward(s, 1, H_MS)
    assert all(f.majority == 1 for f in c.folds)  # 55 % up: every training fold's majority is up
    assert c.baseline == pytest.approx(0.55, abs=0.015)
    lo, hi = c.ci95 or (0.0, 0.0)
    assert c.baseline is not None and lo <= c.baseline <= hi
    # a calibrated model of noise: the predictions sit near 55 % and each decile is observed near it
    assert all(abs(b.mean_predicted - 0.55) < 0.05 for b in c.reliability)


def test_the_interval_to_believe_counts_one_test_bar_per_horizon() -> None:
    s = _planted(6_000, edge=0.6, up_rate=0.5, seed=13)
    c = walk_forward(s, 10, 10 * H_MS)
    # 5 test folds of 1,000 bars each, one bar in ten kept (fold edges on the horizon grid here)
    assert c.n == 5_000 and c.n_independent == 500


# --- the command ------------------------------------------------------------------------------------------


def _csv(tmp_path: Path, n: int, symbols: tuple[str, ...] = ("",)) -> Path:
    lines = ["time,price,oi,funding,ls_ratio" + (",symbol" if symbols != ("",) else "")]
    for i, sym in enumerate(symbols):
        bars = _random_bars(n, seed=20 + i)
        for row in bars:
            cells = [
                f"{int(row[0])}",
                *(repr(float(row[INDEX[c]])) for c in ("price", "oi", "funding", "ls_ratio")),
            ]
            lines.append(",".join(cells) + (f",{sym}" if sym else ""))
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    out, err = io.StringIO(), io.StringIO()
    code = run_combined(AppConfig(), parser.parse_args(["backtest", *argv]), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_combined_prints_the_claim_sentence_for_each_horizon(tmp_path: Path) -> None:
    code, out, _ = _run(str(_csv(tmp_path, 1_200)), "--combined", "--horizons", "4h,24h")
    assert code == 0
    assert "short_squeeze_risk" in out  # the ordinary table is still there, before the model
    said = [line for line in out.splitlines() if "claimed 71.4 %; measured " in line]
    assert [line.split(":")[0] for line in said] == ["horizon 4h", "horizon 24h"]
    assert all(", baseline " in line and ", n = " in line for line in said)


def test_combined_json_adds_the_combined_key_and_keeps_the_rest(tmp_path: Path) -> None:
    code, out, err = _run(
        str(_csv(tmp_path, 600, ("AAA", "BBB"))), "--combined", "--json", "--horizons", "4h"
    )
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert "flags" in doc and "symbols" in doc
    c = doc["combined"]["horizons"]["4h"]
    assert {"n", "accuracy", "ci95", "baseline", "balanced_accuracy", "brier", "folds", "reliability"} <= set(
        c
    )
    # pooled over both symbols: each fold's test bars come from the two series
    assert c["n"] == sum(f["test_n"] for f in c["folds"]) and c["n"] > 600
    assert len(c["folds"]) == 5 and sum(b["n"] for b in c["reliability"]) == c["n"]


def test_a_file_too_short_for_the_folds_says_so(tmp_path: Path) -> None:
    code, out, _ = _run(str(_csv(tmp_path, 100)), "--combined", "--horizons", "24h")
    assert code == 0
    assert "horizon 24h: too few bars to score" in out
