"""``perptop store [--migrate]``: where the history store is, and what it holds; an older layout updated.

It prints the file's path, size on disk, rows, symbols, time range and retention; a store it cannot
read is one line (``feeds.history.store_check``). ``--migrate`` brings a store of an older layout up to
the current one, keeping every row (``feeds.history.migrate``). ``store_path`` is the one answer to
"which store file" for every command (``--store``, the config, the mode's default).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from signals.formats import fmt_bytes
from signals.times import MINUTE_MS, utc_text
from tui.cli.args import add_store_option
from tui.config.loader import AppConfig


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``store`` (where the history store is and what it holds) and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "store",
        help="print where the history store is and what it holds",
        description="Print the history store's path, size on disk, rows, symbols, time range and retention.",
    )
    add_store_option(parser)
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="bring a store of an older layout up to the current one, keeping every row (one transaction)",
    )
    parser.set_defaults(handler=run)
    return parser


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: the summary on standard output (or, with ``--migrate``, what the migration changed)."""
    if getattr(args, "migrate", False):
        return migrate_store(config, args, sys.stdout, sys.stderr)
    return print_store(config, args, sys.stdout, sys.stderr)


def store_path(config: AppConfig, args: argparse.Namespace) -> Path:
    """``--store``, else the config's ``[store] path``, else the default store of the mode.

    The simulated market always records into a file of its own unless ``--store`` names one: made-up
    bars must never mix with real ones.
    """
    from tui.config.paths import default_store_path

    given = getattr(args, "store", None)
    if given is not None:
        return Path(given)
    demo = bool(getattr(args, "demo", False))
    configured = config.store_path
    return Path(configured) if configured is not None and not demo else default_store_path(demo=demo)


def _iso(ms: int | None) -> str:
    return "-" if ms is None else utc_text(ms)


def print_store(config: AppConfig, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``perptop store``: 0, or the ``StoreError`` status (one line) when the file is not a readable store."""
    from feeds.history.store import HistoryStore
    from feeds.history.store_check import StoreError, as_store_error

    path = store_path(config, args)
    if not path.exists():
        out.write(f"history store: {path}\n  not created yet: 'perptop record' (or the app) creates it\n")
        return 0
    try:
        with as_store_error(path):
            reader = HistoryStore(path, None, readonly=True)
            try:
                info = reader.summary()
            finally:
                reader.close()
    except StoreError as exc:
        err.write(f"perptop store: {exc}\n")
        return exc.status
    symbols = info["symbols"]
    shown = ", ".join(symbols[:20]) + (f" and {len(symbols) - 20} more" if len(symbols) > 20 else "")
    retention = info["retention_days"]
    kept = f"{retention:g} days (pruned hourly by the writer)" if retention is not None else "not set"
    out.write(
        f"history store: {info['path']}\n"
        f"  size on disk: {fmt_bytes(info['bytes'])}\n"
        f"  rows: {info['bars']:,} bars, {info['liquidations']:,} liquidations\n"
        f"  symbols ({len(symbols)}): {shown or '-'}\n"
        f"  venues: {', '.join(info['venues']) or '-'}\n"
        f"  time range: {_iso(info['first_ms'])} to {_iso(info['last_ms'])}"
        + (f" ({info['step_ms'] // MINUTE_MS}-minute bars)" if info["step_ms"] else "")
        + "\n"
        f"  retention: {kept}\n"
    )
    return 0


def migrate_store(config: AppConfig, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``perptop store --migrate``: 0 when the store is current (migrated, or already), else one line."""
    from feeds.history.migrate import migrate
    from feeds.history.store_check import StoreError

    path = store_path(config, args)
    try:
        done = migrate(path)
    except StoreError as exc:
        err.write(f"perptop store: {exc}\n")
        return exc.status
    out.write(f"history store {path}: {'; '.join(done) if done else 'already current, nothing changed'}\n")
    return 0
