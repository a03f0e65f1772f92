"""The report of ``perptop backtest``: read a history CSV, score every flag, pool, print.

``run_backtest`` reads the arguments and the file with ``tui.cli.backtest_input``, scores each series
with ``signals.scoring``, pools them and prints. Output is a table that says in words whether
each flag beats its baseline beyond its 95 % interval, or ``--json`` in the shape of SIGNALS.md (plus
per-symbol results, ``unscorable`` with reasons and the file's ``problems``), or ``--plot``: hit rate
against baseline with the interval, drawn in the terminal with plotext. Exit status 0, or 2 with one line
on stderr for a bad file or argument.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TextIO

from feeds.history.csvfile import HistoryFile
from signals.columns import Col
from signals.evaluate import evaluate
from signals.formats import counted
from signals.regimes import RegimeScores, pool_splits, score_splits
from signals.scoring import SeriesScore, fill_gaps, missing_columns, pool, score_table
from tui.cli.backtest_input import (
    EXIT_OK,
    Progress,
    UsageError,
    colour_wanted,
    fail,
    print_problems,
    read_history,
    read_request,
)
from tui.cli.backtest_json import (
    regime_significance,
    significance_of,
)
from tui.cli.backtest_result import BacktestResult as BacktestResult
from tui.cli.backtest_table import NO_EVENT_AT_ALL as NO_EVENT_AT_ALL
from tui.cli.backtest_table import VERDICT_WORDS as VERDICT_WORDS
from tui.cli.backtest_table import plot as plot
from tui.cli.backtest_table import write_table as write_table
from tui.config.loader import AppConfig


def run_backtest(
    config: AppConfig, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``perptop backtest`` and return the exit status.

    Args:
        config: the resolved config (its ``signals`` thresholds are the ones scored).
        args: ``file``, ``horizons``, ``symbols``, ``json``, ``plot``, ``bootstrap``, ``bootstrap_seed`` as
            ``add_parser`` defines them (the last two may be absent: no bootstrap).
        out: where results go (default stdout).
        err: where progress, file problems and errors go (default stderr).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        request = read_request(args)
        progress = Progress(err, enabled=not request.quiet)
        started = time.perf_counter()
        history = read_history(args, request.wanted, err)
    except UsageError as exc:
        return fail(err, str(exc))
    rows = sum(len(b) for b in history.series.values())
    progress.note(f"read {args.file}: {counted(rows, 'row')} in {time.perf_counter() - started:.1f} s")
    result = score_file(
        history, config, request.horizons, progress, bootstrap=request.resamples, seed=request.seed
    )
    progress.done(
        f"scored {counted(result.rows, 'bar')} of {len(history.series)} series in "
        f"{time.perf_counter() - started:.1f} s"
    )
    if request.quiet:
        json.dump(result.as_json(), out, indent=1)
        out.write("\n")
        return EXIT_OK
    print_problems(history.problems, err)
    write_table(result, out)
    if getattr(args, "plot", False):
        out.write(plot(result, color=colour_wanted(out)))
    return EXIT_OK


def score_file(
    history: HistoryFile,
    config: AppConfig,
    horizons: dict[str, float],
    progress: Progress | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> BacktestResult:
    """Score every series of a history file with ``config.signals`` and pool them.

    With ``bootstrap`` resamples (0: off), each series' whole-series scores also get their moving-block
    bootstrap replicates, drawn with ``seed`` and the series' key (``signals.bootstrap``); the regime and
    period splits never do.
    """
    scores: dict[str, SeriesScore] = {}
    splits: list[RegimeScores] = []
    rows = missing = 0
    for i, (key, bars) in enumerate(history.series.items()):
        if progress is not None:
            progress.step(i, len(history.series), key or str(history.path.name))
        rows += len(bars)
        # Windows count bars, so a hole in the file is put back as empty bars rather than closed up.
        grid, added = fill_gaps(bars, history.step_ms)
        missing += added
        # evaluated once for the whole-series score and the splits (as signals.regimes.score_series_split
        # does), the whole one with the bootstrap when asked for
        table = evaluate(grid, config.signals, history.step_ms)
        price, absent = grid[:, Col.PRICE], missing_columns(grid)
        scores[key] = score_table(
            table, price, absent, history.step_ms, horizons, bootstrap=bootstrap, seed=seed, key=key
        )
        splits.append(score_splits(table, price, grid[:, Col.TIME], absent, history.step_ms, horizons))
    pooled = pool(scores.values()) if len(scores) > 1 else next(iter(scores.values()))
    pooled_splits = pool_splits(splits) if len(splits) > 1 else splits[0]
    # One family of tests per run: every symbol's and the pool's flag x horizon, corrected together.
    sig = significance_of([*scores.values(), pooled])
    # The regime cells (of the pool, the only ones reported) are a second family, corrected on their own.
    split_sig = regime_significance(pooled_splits)
    return BacktestResult(
        history, horizons, scores, pooled, rows, missing, sig, pooled_splits, split_sig, bootstrap, seed
    )
