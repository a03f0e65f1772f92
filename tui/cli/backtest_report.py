"""The report of ``perptop backtest``: read a history, score every flag, pool, print.

``run_backtest`` reads the arguments with ``tui.cli.backtest_input`` and streams the history (a CSV, a
Parquet file or a partitioned Parquet folder) one series at a time: each is scored with
``signals.scoring`` and ``signals.regimes``, added to the running pools, and let go, so memory follows one
symbol's series plus the small per-series counts, not the data set (with ``--bootstrap``, each series'
replicates are turned into its interval at once and only the pool's are kept). Then it prints.
Output is a table that says in words whether each flag beats its baseline beyond its 95 % interval,
or ``--json`` in the shape of SIGNALS.md (plus per-symbol results, ``unscorable`` with reasons and the
file's ``problems``), or ``--plot``: hit rate against baseline with the interval, drawn in the terminal
with plotext. Exit status 0, or 2 with one line
on stderr for a bad file or argument.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from typing import TextIO

import numpy as np

from feeds.history.csvfile import HistoryCsvError, HistoryFile
from feeds.history.source import HistoryMeta
from signals.formats import counted
from signals.regimes import RegimeScores, SplitPooler
from signals.scoring import Pooler, SeriesScore
from tui.cli.backtest_input import (
    EXIT_OK,
    Progress,
    UsageError,
    colour_wanted,
    fail,
    print_problems,
    read_request,
    stream_input,
)
from tui.cli.backtest_json import (
    regime_significance,
    significance_of,
)
from tui.cli.backtest_parallel import Scoring, scored_in_order
from tui.cli.backtest_result import BacktestResult as BacktestResult
from tui.cli.backtest_result import HistoryInfo
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
        meta, series = stream_input(args, request.wanted, err)
        progress.note(f"reading {args.file}: {counted(len(meta.symbols), 'series', 'series')}")
        result = score_file(
            meta,
            config,
            request.horizons,
            progress,
            bootstrap=request.resamples,
            seed=request.seed,
            series=series,
            jobs=request.jobs,
        )
    except UsageError as exc:
        return fail(err, str(exc))
    except HistoryCsvError as exc:  # a partition found unreadable while streaming
        return fail(err, str(exc))
    progress.done(
        f"read {counted(result.history.rows, 'row')}, scored {counted(result.rows, 'bar')} of "
        f"{len(result.per_series)} series in {time.perf_counter() - started:.1f} s"
    )
    if request.quiet:
        # Indented for a person at a terminal; compact otherwise, which json encodes in C (only dumps
        # without indent does; dump and indent use the pure-Python encoder, 4x slower). Same document.
        doc = result.as_json()
        if out.isatty():
            json.dump(doc, out, indent=1)
        else:
            out.write(json.dumps(doc, separators=(",", ":")))
        out.write("\n")
        return EXIT_OK
    print_problems(result.history.problems, err)
    write_table(result, out)
    if getattr(args, "plot", False):
        out.write(plot(result, color=colour_wanted(out)))
    return EXIT_OK


def score_file(
    history: HistoryFile | HistoryMeta,
    config: AppConfig,
    horizons: dict[str, float],
    progress: Progress | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
    series: Iterable[tuple[str, np.ndarray]] | None = None,
    jobs: int = 1,
) -> BacktestResult:
    """Score every series of a history with ``config.signals`` and pool them, one series at a time.

    Args:
        history: a history read whole (its series are scored), or a streamed one's metadata with its
            ``series`` iterator (``feeds.history.source.stream_history``).
        config: the thresholds scored.
        horizons: label -> hours.
        progress: the progress line, if any.
        bootstrap: moving-block bootstrap resamples (0: off). Each series' whole-series scores get their
            replicates, drawn with ``seed`` and the series' key (``signals.bootstrap``); the regime and
            period splits never do. A series' replicates are reduced to its interval as soon as they are
            added to the pool's.
        seed: the bootstrap's seed.
        series: the ``(key, bars)`` to score, for a streamed history; default: ``history.series``.
        jobs: worker processes scoring series side by side (``tui.cli.backtest_parallel``; 1: here).

    Raises:
        UsageError: when no series has a usable bar.
    """
    if series is None:
        assert isinstance(history, HistoryFile), "a streamed history needs its series"
        series = history.series.items()
    step = history.step_ms
    info = HistoryInfo(
        history.path, history.columns, step, problems=history.problems, missing=history.missing
    )
    total = len(history.symbols if isinstance(history, HistoryMeta) else history.series)
    scores: dict[str, SeriesScore] = {}
    whole, parts = Pooler(), SplitPooler()
    first_split: RegimeScores | None = None
    missing = 0
    how = Scoring(config.signals, step, horizons, bootstrap, seed)
    for i, done in enumerate(scored_in_order(series, how, jobs, total)):
        if progress is not None:
            progress.step(i, total, done.key or str(history.path.name))
        info.saw(done.key, done.first, done.last, done.rows)
        missing += done.added
        scores[done.key] = score = done.score
        whole.add(score)
        parts.add(done.split)
        # a single series is its own pool (the same objects, so its tests are not counted twice)
        first_split = done.split if i == 0 else None
        for f in score.flags.values():
            for hs in f.horizons.values():
                hs.settle_boot()  # the pool has summed the draws; this series keeps its interval
        del done, score  # not held while the next series is scored
    if not scores:
        raise UsageError(f"{history.path}: no series with a usable bar")
    pooled = whole.result() if len(scores) > 1 else next(iter(scores.values()))
    if len(scores) == 1 and first_split is not None:
        pooled_splits = first_split
    else:
        pooled_splits = parts.result()
    # One family of tests per run: every symbol's and the pool's flag x horizon, corrected together.
    sig = significance_of([*scores.values(), pooled])
    # The regime cells (of the pool, the only ones reported) are a second family, corrected on their own.
    split_sig = regime_significance(pooled_splits)
    return BacktestResult(
        info, horizons, scores, pooled, info.rows, missing, sig, pooled_splits, split_sig, bootstrap, seed
    )
