"""The arguments of perptop's history subcommands (backtest, record, store, export, replay, import).

Only argparse and pathlib here: ``perptop --help`` builds every subcommand's parser, and must not pay for
numpy, pandas or Textual. Each command's work lives in its own module, imported when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_backtest(subparsers: Any) -> argparse.ArgumentParser:
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
    parser.add_argument("--horizons", default="4h,24h", metavar="LIST",
                        help="comma-separated forward horizons (default 4h,24h)")
    parser.add_argument("--symbols", default=None, metavar="SYMBOLS",
                        help="comma-separated symbols to score (default: every symbol in the file)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON (the shape of SIGNALS.md) instead")
    output.add_argument("--plot", action="store_true",
                        help="also draw each flag's hit rate against its baseline in the terminal")
    return parser
