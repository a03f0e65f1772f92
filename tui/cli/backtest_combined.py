"""``perptop backtest --combined``: the walk-forward model of ``signals.walkforward`` against the "71.4 %" claim.

``run_combined`` runs the ordinary backtest first (its table, or its ``--json`` document), then reads the
file again, fits the combined model and adds its result: the lines of ``combined_lines`` after the table,
or the key ``combined`` (``combined_json``) at the top of the JSON document. Reading the file twice keeps
the backtest's own modules untouched; the second read costs about as much as the first (a few hundredths
of a second on the real data sets) and is only paid with ``--combined``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

from feeds.history.csvfile import HistoryCsvError
from feeds.history.source import open_history
from signals.formats import counted
from signals.times import utc_text
from signals.walkforward import CLAIMED, FEATURE_NAMES, K_FOLDS, MIN_TRAIN, CombinedScore, combined
from tui.cli.backtest_input import PROG, UsageError, parse_horizons
from tui.cli.backtest_report import run_backtest
from tui.config.loader import AppConfig

EXIT_OK = 0
EXIT_USAGE = 2

METHOD_LINES = (
    "logistic regression (L2-penalised, fitted by Newton's method) on every flag's state and its inputs;",
    f"walk-forward over {K_FOLDS} expanding folds in time, each fitted only on bars whose target ends before the",
    "fold starts (an embargo of one horizon), all symbols in one model per fold; target: sign of the forward return",
)
METHOD = " ".join(METHOD_LINES)


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits)


def _pair(ci: tuple[float, float] | None) -> list[float | None] | None:
    return None if ci is None else [_r(ci[0]), _r(ci[1])]


def _when(ms: float) -> str | None:
    return None if ms == float("inf") else utc_text(ms)


def horizon_json(c: CombinedScore) -> dict[str, Any]:
    """One horizon's scores: the keys of issue 12 and the non-overlapping figures beside them."""
    return {
        "n": c.n,
        "accuracy": _r(c.accuracy),
        "ci95": _pair(c.ci95),
        "baseline": _r(c.baseline),
        "balanced_accuracy": _r(c.balanced_accuracy),
        "brier": _r(c.brier),
        "n_independent": c.n_independent,
        "accuracy_independent": _r(c.accuracy_independent),
        "ci95_dependent": _pair(c.ci95_dependent),
        "horizon_bars": c.horizon_bars,
        "folds": [
            {
                "test_from": _when(f.start_ms),
                "test_to": _when(f.end_ms),
                "train_n": f.train_n,
                "test_n": f.test_n,
                "accuracy": _r(f.hits / f.test_n),
                "majority": "up" if f.majority else "down",
                "baseline": _r(f.baseline_hits / f.test_n),
            }
            for f in c.folds
        ],
        "reliability": [
            {
                "p_low": _r(b.p_low),
                "p_high": _r(b.p_high),
                "mean_predicted": _r(b.mean_predicted),
                "observed": _r(b.observed),
                "n": b.n,
            }
            for b in c.reliability
        ],
    }


def combined_json(scores: Mapping[str, CombinedScore]) -> dict[str, Any]:
    """The top-level ``combined`` of ``--json``: ``horizons`` -> label -> ``horizon_json``, and the method."""
    return {
        "claimed_accuracy": CLAIMED,
        "method": METHOD,
        "features": list(FEATURE_NAMES),
        "horizons": {h: horizon_json(c) for h, c in scores.items()},
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f} %"


def _ci(ci: tuple[float, float] | None) -> str:
    return "no interval" if ci is None else f"{ci[0] * 100:.1f}-{ci[1] * 100:.1f} %"


def claim_sentence(c: CombinedScore) -> str:
    """``claimed 71.4 %; measured X % (interval), baseline Y %, n = N``."""
    return (
        f"claimed {CLAIMED * 100:.1f} %; measured {_pct(c.accuracy)} ({_ci(c.ci95)}), "
        f"baseline {_pct(c.baseline)}, n = {c.n:,}"
    )


def combined_lines(scores: Mapping[str, CombinedScore]) -> list[str]:
    """The text after the backtest's table: per horizon the claim sentence, then the honest interval,
    balanced accuracy, Brier score, folds and the reliability table."""
    lines = [
        "",
        f'the combined claim ("{CLAIMED * 100:.1f} % prediction accuracy"), measured out of sample:',
        *(f"  {line}" for line in METHOD_LINES),
    ]
    for h, c in scores.items():
        lines.append("")
        if not c.n:
            lines.append(
                f"horizon {h}: too few bars to score (each fold needs {MIN_TRAIN} training bars after the embargo)"
            )
            continue
        lines.append(f"horizon {h}: {claim_sentence(c)}")
        lines.append(
            f"  non-overlapping test bars (one per horizon per symbol): {_pct(c.accuracy_independent)} "
            f"({_ci(c.ci95_dependent)}), n = {c.n_independent:,}: the interval to believe"
        )
        bal = "-" if c.balanced_accuracy is None else f"{c.balanced_accuracy * 100:.1f} %"
        brier = "-" if c.brier is None else f"{c.brier:.4f}"
        lines.append(f"  balanced accuracy {bal}; Brier score {brier} (0.25 is a constant 50 % guess)")
        lines.append(
            "  folds (test accuracy / baseline): "
            + ", ".join(f"{_pct(f.hits / f.test_n)} / {_pct(f.baseline_hits / f.test_n)}" for f in c.folds)
        )
        lines.append("  reliability (predicted-probability deciles): predicted -> observed up, n")
        for b in c.reliability:
            lines.append(f"    {b.mean_predicted * 100:5.1f} % -> {b.observed * 100:5.1f} %  {b.n:>8,}")
    return lines


def _symbols(text: str | None) -> set[str] | None:
    if text is None:
        return None
    names = {s.strip() for s in text.split(",") if s.strip()}
    return names or None


def run_combined(
    config: AppConfig, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """The backtest with the combined model added; the same exit statuses as ``run_backtest``."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    quiet = bool(getattr(args, "json", False))
    held = io.StringIO()
    code = run_backtest(config, args, out=held if quiet else out, err=err)
    if code != EXIT_OK:
        return code
    started = time.perf_counter()
    try:
        horizons = parse_horizons(getattr(args, "horizons", None) or "4h,24h")
        history = open_history(args.file, _symbols(getattr(args, "symbols", None)))
    except (UsageError, HistoryCsvError) as exc:  # the first pass read it: only a file changed meanwhile
        err.write(f"{PROG}: error: {exc}\n")
        return EXIT_USAGE
    scores = combined(history.series, config.signals, history.step_ms, horizons)
    if quiet:
        doc = json.loads(held.getvalue())
        doc["combined"] = combined_json(scores)
        json.dump(doc, out, indent=1)
        out.write("\n")
        return EXIT_OK
    err.write(
        f"combined model: {counted(len(horizons), 'horizon')} x {K_FOLDS} folds in "
        f"{time.perf_counter() - started:.1f} s\n"
    )
    out.writelines(f"{line}\n" for line in combined_lines(scores))
    return EXIT_OK
