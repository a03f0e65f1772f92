"""``perptop events [--since 8h] [--symbols ...] [--kind ...] [--json]``: the events the history store kept.

The monitor and ``perptop record`` keep every flag edge and threshold crossing in the store's ``events``
table (a monitor that does not record keeps them in memory, shown by its ``l`` screen). Newest last,
as a log reads; ``--json`` prints one JSON array of the event objects of the README.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from tui.cli.args import add_store_option, since_ms, symbols_arg
from tui.config.loader import AppConfig

KINDS = ("flag_on", "flag_off", "threshold")


def _kinds(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    bad = [k for k in names if k not in KINDS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"expected kinds from {', '.join(KINDS)}, got {text!r}")
    return names


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``events`` to the CLI's ``subparsers`` and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "events",
        help="list the flag and threshold events the history store kept",
        description="List the events (flags coming on and off, thresholds crossed) that the monitor or "
        "'perptop record' kept in the history store, oldest first.",
    )
    add_store_option(parser)
    parser.add_argument(
        "--since",
        type=since_ms,
        metavar="WHEN",
        default=None,
        help="only events from then on (bar time): a duration back (8h) or a date (default 24h)",
    )
    parser.add_argument(
        "--symbols",
        type=symbols_arg,
        metavar="LIST",
        default=None,
        help="comma-separated symbols (default: all)",
    )
    parser.add_argument(
        "--kind",
        type=_kinds,
        metavar="LIST",
        default=None,
        help=f"comma-separated kinds from {', '.join(KINDS)} (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array of the events")
    parser.set_defaults(handler=run)
    return parser


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: the events on standard output; 0, or (one line) 2 when there is no readable store."""
    return print_events(config, args, sys.stdout, sys.stderr)


def print_events(config: AppConfig, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print the stored events ``args`` ask for."""
    from feeds.history.store import HistoryStore
    from feeds.history.store_check import StoreError, as_store_error
    from signals.times import DAY_MS, wall_ms
    from tui.alerts.events import Event
    from tui.cli.store import store_path

    path = store_path(config, args)
    since = args.since if args.since is not None else wall_ms() - DAY_MS
    try:
        with as_store_error(path):
            reader = HistoryStore(path, None, readonly=True)
            try:
                rows = reader.events(
                    since,
                    list(args.symbols) if args.symbols else None,
                    list(args.kind) if args.kind else None,
                )
            finally:
                reader.close()
    except StoreError as exc:
        # a monitor that does not record keeps its events in memory only: its l screen shows them
        hint = "; a monitor that does not record shows its events with l" if not path.exists() else ""
        err.write(f"perptop events: {exc}{hint}\n")
        return exc.status
    events = [Event.from_json(json.loads(doc), t, w) for t, _, _, _, _, w, doc in rows]
    # `perptop events | head`: the closed pipe is ``tui.cli.main``'s to end quietly
    if args.json:
        json.dump([e.as_json() for e in events], out, indent=1)
        out.write("\n")
    else:
        out.writelines(e.line() + "\n" for e in events)
        if not events:
            err.write("perptop events: none in that range\n")
    out.flush()
    return 0
