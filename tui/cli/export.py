"""``perptop export``: the history store's bars as a history CSV or Parquet (for backtest and replay).

It writes the history CSV of SIGNALS.md (via ``feeds.history.csvfile``), or with ``--parquet`` the
research store of docs/research-store.md (a ``symbol=``/``year=`` partitioned folder, or one
``FILE.parquet``; via ``feeds.history.parquet_store``), one series per symbol. By default
that series is the cross-venue one (``--venue all``): the ``ALL`` row the monitor shows, rebuilt from the
stored venue bars by the bar store's own aggregation (OI summed, funding OI-weighted per 8 h, flows
summed), so the file scores the flags the screen showed; ``--venue NAME`` exports one venue's own bars.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from signals.formats import counted
from tui.cli.args import add_store_option, expand_path, since_ms, symbols_arg
from tui.cli.store import store_path
from tui.config.loader import AppConfig


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``export`` (stored bars as a history CSV) and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write the stored bars as a history CSV or Parquet (for backtest and replay)",
        description="Write the history store's bars as the history CSV of SIGNALS.md: one "
        "series per symbol, the cross-venue aggregate unless --venue names one venue.",
    )
    add_store_option(parser)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--csv",
        type=expand_path,
        metavar="FILE",
        help="the CSV file to write (whole or not at all; a symbolic link there is replaced, not followed)",
    )
    target.add_argument(
        "--parquet",
        type=expand_path,
        metavar="DIR|FILE.parquet",
        help="write Parquet instead: a folder partitioned by symbol and year (each exported symbol "
        "replaces its own partitions), or one FILE.parquet (docs/research-store.md)",
    )
    parser.add_argument(
        "--symbols",
        type=symbols_arg,
        metavar="LIST",
        default=None,
        help="comma-separated symbols (default: every stored symbol)",
    )
    parser.add_argument(
        "--since",
        type=since_ms,
        metavar="WHEN",
        default=None,
        help="only bars from then on: a duration back (7d) or a date (2025-01-31)",
    )
    parser.add_argument(
        "--venue",
        default="all",
        metavar="NAME",
        help="'all' (the cross-venue series, default) or one venue's own bars",
    )
    parser.set_defaults(handler=run)
    return parser


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: write the CSV (or Parquet); 0, 1 when there was nothing to write, 2 for a store it cannot read."""
    return run_export(config, args, sys.stdout, sys.stderr)


def run_export(config: AppConfig, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``perptop export``: 0 when the CSV was written, 1 when there was nothing to write.

    A store it cannot read (missing, empty, damaged, not SQLite, an older layout) and a CSV it cannot
    write are one line on ``err`` with the status they call for (``StoreError``, ``OutputError``); the
    CSV is written whole or not at all (``tui.cli.outfile``), and so is each Parquet file or partition
    (``feeds.history.parquet_store``).
    """
    from feeds.history.csvfile import write_history_csv
    from feeds.history.parquet_store import ParquetWriteError
    from feeds.history.store import HistoryStore
    from feeds.history.store_check import StoreError, as_store_error
    from tui.cli.outfile import OutputError, write_whole
    from tui.model.stored import stored_series

    path = store_path(config, args)
    try:
        with as_store_error(path):
            reader = HistoryStore(path, None, readonly=True)
            try:
                stored = sorted({s for s, _ in reader.series_keys()})
                symbols = list(args.symbols) if args.symbols else stored
                missing = [s for s in symbols if s not in stored]
                wanted = [s for s in symbols if s in stored]
                series, step = stored_series(reader, wanted, args.venue, args.since or 0)
            finally:
                reader.close()
    except StoreError as exc:
        err.write(f"perptop export: {exc}\n")
        return exc.status
    if missing:
        err.write(f"perptop export: not in the store: {', '.join(missing)}\n")
    if not series:
        err.write(
            f"perptop export: no bars to write from {path}"
            f"{' for venue ' + args.venue if args.venue != 'all' else ''}\n"
        )
        return 1
    try:
        if args.parquet is not None:
            _write_parquet(args.parquet, series, step)
        else:
            write_whole(args.csv, lambda fh: write_history_csv(fh, series, step))
    except (OutputError, ParquetWriteError) as exc:
        err.write(f"perptop export: {exc}\n")
        return exc.status
    except ValueError as exc:  # a symbol that cannot name a partition folder
        err.write(f"perptop export: {exc}\n")
        return 2
    n = sum(len(b) for b in series.values())
    venue = "cross-venue" if args.venue == "all" else args.venue
    target = args.parquet if args.parquet is not None else args.csv
    out.write(f"wrote {counted(n, 'bar')} of {counted(len(series), 'symbol')} ({venue}) to {target}\n")
    return 0


def _write_parquet(target: Path, series: dict[str, Any], step: float) -> None:
    """``FILE.parquet`` is one file; any other name is the partitioned folder (created if missing)."""
    from feeds.history.parquet_store import write_parquet_file, write_store

    if target.suffix.lower() == ".parquet":
        write_parquet_file(target, series, step)
    else:
        write_store(target, series, step)
