"""``perptop import binance-vision DIR [--out FILE.csv]``: Binance's public data dumps into a history CSV.

The reading lives in ``feeds.history.binance_vision``, imported when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from tui.config.loader import AppConfig

EXIT_USAGE = 2
SHOWN_PROBLEMS = 20


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``import`` (with its source ``binance-vision``) to the CLI's ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="turn public data dumps into a history CSV",
        description="Turn public data dumps into the history CSV that backtest and replay read.",
    )
    sources = parser.add_subparsers(dest="import_source", metavar="{binance-vision}", required=True)
    vision = sources.add_parser(
        "binance-vision",
        help="Binance's data.binance.vision files (futures klines, metrics, fundingRate)",
        description="Read Binance public data dump files (.csv or .zip) under DIR: USD-M futures klines, "
        "metrics (open interest, long/short accounts), fundingRate, and spot klines under a 'spot' folder.",
    )
    vision.add_argument(
        "dir", type=Path, metavar="DIR", help="folder holding the dump files (searched recursively)"
    )
    vision.add_argument(
        "--out",
        type=Path,
        metavar="FILE.csv",
        default=Path("binance-vision.csv"),
        help="the history CSV to write (default: binance-vision.csv here)",
    )
    vision.add_argument(
        "--interval",
        metavar="I",
        default=None,
        help="klines interval of the bars, e.g. 5m or 1h (default: the shortest found)",
    )
    vision.set_defaults(handler=run)
    return parser


def run(config: AppConfig, args: argparse.Namespace, err: TextIO = sys.stderr) -> int:
    """Run ``perptop import binance-vision``; returns 0, or 2 when nothing could be imported."""
    from feeds.history.binance_vision import import_dir, interval_ms
    from feeds.history.csvfile import write_history_csv
    from tui.cli.outfile import OutputError, write_whole

    root: Path = args.dir
    if not root.is_dir():
        print(f"perptop import: {root} is not a folder", file=err)
        return EXIT_USAGE
    try:
        if args.interval is not None:
            interval_ms(args.interval)
        series, step, problems = import_dir(root, args.interval, err)
    except ValueError as exc:
        print(f"perptop import: {exc}", file=err)
        return EXIT_USAGE
    for line in problems[:SHOWN_PROBLEMS]:
        print(f"import: skipped {line}", file=err)
    if len(problems) > SHOWN_PROBLEMS:
        print(f"import: ... and {len(problems) - SHOWN_PROBLEMS} more", file=err)
    if not series:
        print("perptop import: no bars to write", file=err)
        return EXIT_USAGE
    try:
        write_whole(args.out, lambda fh: write_history_csv(fh, series, step))
    except OutputError as exc:
        print(f"perptop import: {exc}", file=err)
        return exc.status
    bars = sum(len(b) for b in series.values())
    print(f"import: wrote {bars:,} bars of {', '.join(series)} to {args.out}", file=err)
    return 0
