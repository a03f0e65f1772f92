"""``perptop import binance-vision DIR [--out FILE.csv|DIR|FILE.parquet]``: Binance's dumps into a history.

The reading lives in ``feeds.history.binance_vision``, imported when the command runs. ``--out`` ending in
``.csv`` (the default) writes the history CSV; any other name writes the Parquet research store of
docs/research-store.md: ``FILE.parquet`` one file, anything else a folder partitioned by symbol and year,
in which each imported symbol replaces its own partitions and leaves the others.
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
        help="turn public data dumps into a history CSV or Parquet",
        description="Turn public data dumps into the history (CSV or Parquet) that backtest and replay read.",
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
        metavar="FILE.csv|DIR|FILE.parquet",
        default=Path("binance-vision.csv"),
        help="where to write: a history CSV (a .csv name; default: binance-vision.csv here), one "
        "FILE.parquet, or a Parquet folder partitioned by symbol and year (any other name)",
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
    from feeds.history.parquet_store import ParquetWriteError
    from tui.cli.outfile import OutputError

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
        _write(args.out, series, step)
    except (OutputError, ParquetWriteError) as exc:
        print(f"perptop import: {exc}", file=err)
        return exc.status
    except ValueError as exc:  # a symbol that cannot name a partition folder
        print(f"perptop import: {exc}", file=err)
        return EXIT_USAGE
    bars = sum(len(b) for b in series.values())
    print(f"import: wrote {bars:,} bars of {', '.join(series)} to {args.out}", file=err)
    return 0


def _write(out: Path, series: dict[str, Any], step: float) -> None:
    """Write ``series`` where ``out`` says: the CSV for ``.csv``, else one ``.parquet`` file or the folder."""
    from feeds.history.parquet_store import is_parquet_target, write_parquet_file, write_store

    if not is_parquet_target(out):
        from feeds.history.csvfile import write_history_csv
        from tui.cli.outfile import write_whole

        write_whole(out, lambda fh: write_history_csv(fh, series, step))
    elif out.suffix.lower() == ".parquet":
        write_parquet_file(out, series, step)
    else:
        write_store(out, series, step)
