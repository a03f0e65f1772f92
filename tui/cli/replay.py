"""``perptop replay FILE.csv [--speed N]`` and ``perptop replay --from-store``: the full UI driven by history.

``add_parser`` adds the subcommand to the CLI's subparsers without importing Textual or numpy;
``run`` reads the history (a history CSV, or the local history store), builds a ``ReplaySource`` and
runs the ``ReplayApp``. A file without a symbol column replays as one symbol named after the file.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tui.cli.args import expand_path, number_arg
from tui.config.loader import AppConfig

if TYPE_CHECKING:  # numpy comes with it: only a replay that runs pays for it
    from feeds.history.replay import ReplaySource

EXIT_USAGE = 2
SHOWN_PROBLEMS = 10


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``replay`` to the CLI's ``subparsers`` and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "replay",
        help="drive the full UI from history: a history CSV or the local store",
        description="Replay history through the full UI, bar by bar. The flags on screen are the ones "
        "'perptop backtest' scores at that bar. Keys: space pause/resume, . step one bar, + / - speed.",
    )
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE.csv",
        help="a history CSV (the SIGNALS.md columns; 'perptop export' or 'perptop import' write one)",
    )
    parser.add_argument(
        "--from-store", action="store_true", help="replay the local history store instead of a file"
    )
    parser.add_argument(
        "--store",
        type=expand_path,
        metavar="PATH",
        default=None,
        help="with --from-store: the store file (default: the config's [store] path, else "
        "the user data folder)",
    )
    parser.add_argument(
        "--speed",
        type=number_arg("a speed", 1.0, 1000.0),
        metavar="N",
        default=None,
        help="replayed time runs N times faster than real time, 1 to 1000 "
        "(default: one bar a second, at most 1000)",
    )
    parser.add_argument(
        "--symbols",
        metavar="LIST",
        default=None,
        help="comma-separated symbols to replay (default: every symbol of the history)",
    )
    parser.set_defaults(handler=run)
    return parser


def default_speed(step_ms: float) -> float:
    """One bar per wall second, within 1x..1000x."""
    return float(min(1000.0, max(1.0, step_ms / 1000.0)))


def _problems(problems: list[str], err: TextIO) -> None:
    for line in problems[:SHOWN_PROBLEMS]:
        print(f"perptop replay: skipped {line}", file=err)
    if len(problems) > SHOWN_PROBLEMS:
        print(f"perptop replay: ... and {len(problems) - SHOWN_PROBLEMS} more skipped rows", file=err)


def _wanted(args: argparse.Namespace) -> set[str] | None:
    if not args.symbols:
        return None
    return {s.strip() for s in args.symbols.split(",") if s.strip()} or None


def load_source(config: AppConfig, args: argparse.Namespace, err: TextIO = sys.stderr) -> ReplaySource:
    """The ``ReplaySource`` that ``args`` asks for.

    Raises:
        ValueError: with a one-line message when the history cannot be replayed.
    """
    from feeds.history.replay import ReplaySource

    wanted = _wanted(args)
    if args.from_store:
        return _store_source(config, args, wanted)
    if args.file is None:
        raise ValueError("name a history CSV to replay, or use --from-store")
    from feeds.history.csvfile import HistoryCsvError, read_history_csv

    try:
        history = read_history_csv(args.file, symbols=wanted)
    except HistoryCsvError as exc:
        raise ValueError(str(exc)) from None
    _problems(history.problems, err)
    # A file without a symbol column is one series: it is named after the file.
    series = {(key or Path(args.file).stem): bars for key, bars in history.series.items()}
    step = round(history.step_ms)
    speed = args.speed if args.speed is not None else default_speed(step)
    return ReplaySource(series, step, config.signals, speed, name=Path(args.file).name)


def _store_source(config: AppConfig, args: argparse.Namespace, wanted: set[str] | None) -> ReplaySource:
    from feeds.history.replay import ReplaySource
    from feeds.history.store import HistoryStore
    from feeds.history.store_check import StoreError, as_store_error
    from feeds.messages import BAR_STEP_MS
    from tui.cli.store import store_path

    path = store_path(config, args)
    try:
        with as_store_error(path):  # missing, empty, damaged, not SQLite, an older layout: one line
            reader = HistoryStore(Path(path), None, readonly=True)
            try:
                keys = reader.series_keys()
                step = int(reader.meta("step_ms") or BAR_STEP_MS)
                symbols = sorted({s for s, _ in keys if wanted is None or s in wanted})
                venues = sorted({v for _, v in keys})
                histories = reader.load(symbols, venues, 0)
            finally:
                reader.close()
    except StoreError as exc:
        raise ValueError(str(exc)) from None
    if not histories:
        raise ValueError(f"{path}: no stored bars" + (" for those symbols" if wanted else ""))
    speed = args.speed if args.speed is not None else default_speed(step)
    return ReplaySource.from_histories(histories, step, config.signals, speed, name=Path(path).name)


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """Run ``perptop replay``; returns the exit status (2 when the history cannot be replayed)."""
    try:
        source = load_source(config, args)
    except ValueError as exc:
        print(f"perptop replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("NO_COLOR") == "":
        # no-color.org: an empty NO_COLOR means colour; Textual would treat it as set and grey the screen.
        del os.environ["NO_COLOR"]
    from tui.replay_app import replay_app

    app = replay_app(config, source)
    try:
        app.run()
    finally:
        app.close_history()  # a replay records nothing; this lets its alert sinks finish
    return app.return_code or 0
