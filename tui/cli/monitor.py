"""The monitor itself (``perptop`` and ``perptop --demo``): the default handler, which starts the Textual app.

Textual is imported here only when the app starts; the live monitor also opens the history store it
records into (``[store]`` in the config).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from tui.config.loader import AppConfig

if TYPE_CHECKING:
    from feeds.history.writer import HistoryWriter

EXIT_USAGE = 2


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: run the app on the simulated market (``--demo``) or the live venues."""
    return run_app(config, mode="demo" if args.demo else "live", seed=args.seed, speed=args.speed or 1.0)


def run_app(config: AppConfig, *, mode: str, seed: int | None, speed: float) -> int:
    """Start the Textual app and return its exit status.

    Args:
        config: the resolved config.
        mode: ``"demo"`` (simulated market) or ``"live"``.
        seed: seed of the simulated market (None: the app's default).
        speed: how much faster than real time the simulated market runs.

    Without a terminal (stdin from /dev/null, output to a file) it is one line on stderr and status 2:
    Textual would spin on the input it cannot read.
    """
    from tui.lifeline import terminal_problem  # before Textual: refusing takes no time

    problem = terminal_problem()
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("NO_COLOR") == "":
        # no-color.org: an empty NO_COLOR means colour; Textual would treat it as set and grey the screen.
        del os.environ["NO_COLOR"]
    from tui.app import PerptopApp
    from tui.memory import map_large_blocks

    map_large_blocks()  # the start's large temporaries (the simulated week, a backfill) handed back as freed
    source = None
    history, recording_off = None, ""
    if mode == "live":
        from feeds.live.source import LiveSource

        source = LiveSource(config.watchlist, config.venues, config.poll_interval, config.venue_options)
        history, recording_off = open_history(config, source.step_ms)
    # Without --seed the app's own default applies, so a plain --demo run is the same market every time.
    if seed is None:
        app = PerptopApp(
            config=config, mode=mode, speed=speed, source=source, history=history, recording_off=recording_off
        )
    else:
        app = PerptopApp(
            config=config,
            mode=mode,
            seed=seed,
            speed=speed,
            source=source,
            history=history,
            recording_off=recording_off,
        )
    try:
        app.run()
    finally:
        if not app.close_history():
            print("perptop: the history store did not finish writing in time", file=sys.stderr)
    return app.return_code or 0


def open_history(config: AppConfig, step_ms: int) -> tuple[HistoryWriter | None, str]:
    """The live monitor's history writer (``[store]`` in the config), and why recording is off.

    Returns:
        (writer, "") when recording; (None, "") when ``[store] record = false`` asked for no recording;
        (None, reason) when the store cannot be used (busy, another bar step, not a database, no
        permission). That is one line on stderr, which the screen hides at once, so the app says it too
        ("recording off" in the status bar): a history problem never keeps the market off the screen,
        and never passes unnoticed either.
    """
    if not config.store_record:
        return None, ""
    from feeds.history.writer import START_ERRORS, HistoryWriter
    from tui.cli.store import store_path

    path = store_path(config, argparse.Namespace())
    writer = HistoryWriter(path, config.store_retention_days, step_ms=step_ms)
    try:
        writer.start()
    except START_ERRORS as exc:
        from feeds.history.store_check import StoreError

        said = (
            str(exc) if isinstance(exc, StoreError) else f"history store {path}: {exc}"
        )  # it names the file
        print(f"perptop: {said}; running without it", file=sys.stderr)
        return None, said
    return writer, ""
