"""``perptop backtest FILE.csv``: score every flag on a history CSV, as SIGNALS.md "Events and scoring"
defines.

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
        help="score every flag on a history CSV: hit rate, interval, baseline",
        description="Score every flag of SIGNALS.md on a history CSV: events (rising edges), hits, hit rate "
        "with its Wilson 95 %% interval, the baseline of the same bet on every bar, mean forward return, "
        "and the split by leverage_driven, for each horizon. A file with a symbol column is scored per "
        "symbol and pooled.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.csv", help="history CSV (columns of SIGNALS.md)")
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
    output.add_argument("--json", action="store_true", help="print JSON (the shape of SIGNALS.md) instead")
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
    parser.set_defaults(handler=run)
    return parser


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: score the file and print the report; 0, or 2 for a bad file or argument."""
    if getattr(args, "combined", False):
        from tui.cli.backtest_combined import run_combined

        return run_combined(config, args)
    from tui.cli.backtest_report import run_backtest

    return run_backtest(config, args)
