"""``perptop backtest PATH``: score every flag on a history (a CSV, a Parquet file or a partitioned Parquet
folder), as SIGNALS.md "Events and scoring" defines.

The plain backtest streams the history one symbol at a time (memory follows one series); ``--sweep``,
``--walk-forward``, ``--combined`` and ``--report`` (its combined model) need every series at once and
read the whole history first.

The arguments live here; the scoring and the report (``tui.cli.backtest_report``) are imported when the
command runs, so ``perptop --help`` does not pay for numpy.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.cli.args import symbol_choice
from tui.config.limits import MAX_SYMBOLS
from tui.config.loader import AppConfig


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``backtest`` to the ``perptop`` subcommands and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "backtest",
        help="score every flag on a history (CSV or Parquet): hit rate, interval, baseline",
        description="Score every flag of SIGNALS.md on a history: events (rising edges), hits, hit rate "
        "with its Wilson 95 %% interval, the baseline of the same bet on every bar, mean forward return, "
        "and the split by leverage_driven, for each horizon. A history of several symbols is scored per "
        "symbol and pooled, one symbol at a time, so memory follows one series, not the data set; "
        "--sweep, --walk-forward, --combined and --report need every series at once and read the whole "
        "history into memory first.",
    )
    parser.add_argument(
        "file",
        type=Path,
        metavar="PATH",
        help="history CSV (columns of SIGNALS.md), a .parquet file, or a partitioned Parquet folder "
        "(DIR/symbol=S/year=Y/*.parquet, as perptop import and export --parquet write it)",
    )
    parser.add_argument(
        "--horizons",
        default="4h,24h",
        metavar="LIST",
        help="comma-separated forward horizons (default 4h,24h)",
    )
    parser.add_argument(
        "--symbols",
        type=symbol_choice,
        default=None,
        metavar="SYMBOLS",
        help=f"comma-separated symbols to score, at most {MAX_SYMBOLS} (default: every symbol in the file, "
        "however many: they are scored one at a time)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help="print JSON (the shape of SIGNALS.md) instead: indented at a terminal, one compact line when piped",
    )
    output.add_argument(
        "--plot",
        action="store_true",
        help="also draw each flag's hit rate against its baseline in the terminal",
    )
    parser.add_argument(
        "--combined",
        action="store_true",
        help="also measure the claimed '71.4 %%' accuracy of combined signals: a walk-forward logistic model on "
        "every flag and its inputs, scored out of sample against the majority-class baseline",
    )
    parser.add_argument(
        "--bootstrap",
        type=_count,
        default=0,
        metavar="N",
        help="also give each flag a moving-block bootstrap 95%% interval over N resamples (blocks as long as the "
        "horizon; e.g. 999; default off)",
    )
    parser.add_argument(
        "--bootstrap-seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the bootstrap's random draws (default 0: the same file gives the same interval)",
    )
    parser.add_argument(
        "--jobs",
        type=_count_jobs,
        default=None,
        metavar="N",
        help="worker processes that score series side by side (default: one per usable core, for 8 series or "
        "more; 1: all in this process). The report is the same whatever N",
    )
    parser.add_argument(
        "--sweep",
        nargs="+",
        action="extend",  # --sweep a=.. --sweep b=.. is one grid, as if written after one --sweep
        default=None,
        metavar="KEY=LIST",
        help="score a grid of [signals] settings, e.g. window=2h,4h,8h price_change_pct=0.5,1,2; the best "
        "setting picked on the same data is labelled in-sample",
    )
    parser.add_argument(
        "--walk-forward",
        action="store_true",
        help="with --sweep: pick each flag's setting on the past folds and score it on the next (expanding "
        "window); only the out-of-sample result is reported",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="FILE",
        help="also write a self-contained scorecard to FILE.html (plots drawn with matplotlib, from "
        "perptop[report]) or FILE.md (plots as text)",
    )
    parser.set_defaults(handler=run)
    return parser


def _whole(text: str) -> int:
    """A whole number from the command line, or argparse's one-line error."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _count(text: str) -> int:
    """``--bootstrap``: a whole number of resamples, 0 (off) or at least 99."""
    n = _whole(text)
    if n != 0 and not 99 <= n <= 100_000:
        raise argparse.ArgumentTypeError(f"{n} resamples: use 0 (off) or 99 to 100000")
    return n


def _count_jobs(text: str) -> int:
    """``--jobs``: a whole number of worker processes, at least 1."""
    n = _whole(text)
    if not 1 <= n <= 256:
        raise argparse.ArgumentTypeError(f"{n} worker processes: use 1 to 256")
    return n


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: score the file and print the report; 0, or 2 for a bad file or argument."""
    if getattr(args, "sweep", None) or getattr(args, "walk_forward", False):
        from tui.cli.backtest_sweep import run_sweep

        return run_sweep(config, args)
    if getattr(args, "report", None) is not None:
        from tui.cli.backtest_scorecard import run_scorecard

        return run_scorecard(config, args)
    if getattr(args, "combined", False):
        from tui.cli.backtest_combined import run_combined

        return run_combined(config, args)
    from tui.cli.backtest_report import run_backtest

    return run_backtest(config, args)
