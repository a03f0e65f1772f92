"""``perptop snapshot``: the watchlist once, as a table or as JSON, then exit (the scripting interface).

Exit status 0 when at least one venue produced data, 3 when none did. The rows and the JSON document
are built by ``tui.model.snapshot``, imported when the command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

from signals.times import wall_ms
from tui.cli import args as types
from tui.config.loader import AppConfig

EXIT_OK = 0
EXIT_NO_DATA = 3


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``snapshot`` to the CLI's ``subparsers`` and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "snapshot",
        help="print the watchlist once and exit",
        description="Print the watchlist's current table once and exit.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--timeout",
        type=types.timeout,
        default=15.0,
        metavar="S",
        help="live: wait at most S seconds for data, then report what came (default 15)",
    )
    parser.set_defaults(handler=run)
    return parser


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: the snapshot of the simulated market (``--demo``) or the live venues."""
    args.mode = "demo" if args.demo else "live"
    return print_snapshot(config, args)


def print_snapshot(config: AppConfig, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the snapshot for ``args.mode``; returns the exit status (0 with data, 3 with none)."""
    from feeds.messages import ALL
    from tui.model.snapshot import demo_store, live_store, ordered_rows, to_json, write_table

    out = out or sys.stdout
    mode = getattr(args, "mode", "demo")
    if mode == "demo":
        store, venues = demo_store(config, int(getattr(args, "seed", 0) or 0))
    else:
        store, venues = live_store(config, float(getattr(args, "timeout", 15.0)))
    now_ms = wall_ms()
    rows = ordered_rows(store, config) if store.count else []
    try:
        if getattr(args, "json", False):
            # One write of the whole text: json.dump's many small writes took twice as long.
            out.write(json.dumps(to_json(rows, venues, mode, now_ms), indent=1) + "\n")
        else:
            write_table(rows, venues, mode, now_ms, out)
        out.flush()
    except BrokenPipeError:  # `perptop snapshot | head`: the reader had enough, which is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if mode != "demo" and not any(r.venue != ALL and r.price == r.price for r in rows):
        print(
            "perptop: no venue produced data; check the network or proxy, or try 'perptop snapshot --demo'",
            file=sys.stderr,
        )
        return EXIT_NO_DATA
    return EXIT_OK if rows else EXIT_NO_DATA
