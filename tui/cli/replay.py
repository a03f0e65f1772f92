"""``perptop replay FILE.csv|FILE.parquet|DIR [--speed N]`` and ``perptop replay --from-store``: history in the UI.

``add_parser`` adds the subcommand to the CLI's subparsers without importing Textual or numpy;
``run`` reads the history (a history CSV, a Parquet file or partitioned folder, or the local history
store), builds a ``ReplaySource`` and runs the ``ReplayApp``. A file without a symbol column replays as
one symbol named after the file.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tui.cli.args import expand_path, number_arg, symbol_choice
from tui.config.limits import MAX_SYMBOLS, too_many
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
        metavar="FILE.csv|FILE.parquet|DIR",
        help="a history CSV (the SIGNALS.md columns), a Parquet file, or a Parquet folder partitioned "
        "by symbol ('perptop export' or 'perptop import' write each)",
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
        type=symbol_choice,
        metavar="LIST",
        default=None,
        help=f"comma-separated symbols to replay, at most {MAX_SYMBOLS} (default: every symbol of the "
        f"history, the first {MAX_SYMBOLS} of a longer one)",
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


def _left_out(name: str, count: int, err: TextIO, notes: list[str] | None) -> None:
    """Say that a history of ``count`` symbols replays its first ``MAX_SYMBOLS`` only (stderr and the app)."""
    line = f"{name} holds {too_many(count)}: replaying the first {MAX_SYMBOLS}; choose others with --symbols"
    print(f"perptop replay: warning: {line}", file=err)
    if notes is not None:
        notes.append(f"replay warning: {line}")


def load_source(
    config: AppConfig,
    args: argparse.Namespace,
    err: TextIO = sys.stderr,
    notes: list[str] | None = None,
) -> ReplaySource:
    """The ``ReplaySource`` that ``args`` asks for.

    A history of more than ``MAX_SYMBOLS`` symbols, without ``--symbols``, replays its first ones: a user
    who names no symbols wants to see the history, not to type 200 names; the warning (on ``err``, and
    appended to ``notes`` for the app to show) says so and how to choose others.

    Raises:
        ValueError: with a one-line message when the history cannot be replayed.
    """
    from feeds.history.replay import ReplaySource

    wanted = _wanted(args)
    if args.from_store:
        source, stored = _store_source(config, args, wanted)
        if stored > MAX_SYMBOLS:  # only the first MAX_SYMBOLS were loaded
            _left_out(str(source.name), stored, err, notes)
        return source
    if args.file is None:
        raise ValueError("name a history CSV or Parquet file or folder to replay, or use --from-store")
    from feeds.history.csvfile import HistoryCsvError
    from feeds.history.source import open_history

    try:  # a CSV, a Parquet file or a partitioned Parquet folder, by what the path is
        history = open_history(args.file, symbols=wanted, max_symbols=MAX_SYMBOLS)
    except HistoryCsvError as exc:
        raise ValueError(str(exc)) from None
    _problems(history.problems, err)
    # A file without a symbol column is one series: it is named after the file.
    series = {(key or Path(args.file).stem): bars for key, bars in history.series.items()}
    if history.left_out:  # only the kept series were read, so what the replay holds scales with them
        _left_out(Path(args.file).name, len(series) + history.left_out, err, notes)
    step = round(history.step_ms)
    speed = args.speed if args.speed is not None else default_speed(step)
    return ReplaySource(series, step, config.signals, speed, name=Path(args.file).name)


def _store_source(
    config: AppConfig, args: argparse.Namespace, wanted: set[str] | None
) -> tuple[ReplaySource, int]:
    """The replay of the stored bars of ``wanted`` (or of the first ``MAX_SYMBOLS``), and how many the store has."""
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
                # Only the kept symbols are read, so memory follows them, not the store's size.
                histories = reader.load(symbols[:MAX_SYMBOLS], venues, 0)
            finally:
                reader.close()
    except StoreError as exc:
        raise ValueError(str(exc)) from None
    if not histories:
        raise ValueError(f"{path}: no stored bars" + (" for those symbols" if wanted else ""))
    speed = args.speed if args.speed is not None else default_speed(step)
    source = ReplaySource.from_histories(histories, step, config.signals, speed, name=Path(path).name)
    return source, len(symbols)


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """Run ``perptop replay``; returns the exit status (2 when the history cannot be replayed)."""
    notes: list[str] = []
    try:
        source = load_source(config, args, notes=notes)
    except ValueError as exc:
        print(f"perptop replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tui.lifeline import terminal_problem  # after the history's own errors, which need no terminal

    problem = terminal_problem("perptop replay")
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    if notes:  # the screen hides stderr: the app shows these as it shows the config's warnings
        import dataclasses

        config = dataclasses.replace(config, warnings=(*config.warnings, *notes))
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
