"""``perptop record``: the feeds run headless and every bar goes into the history store.

The bars go through ``tui.recording.RecordingBarStore``, as the app's do. No Textual here: the
recorder runs on a server without a terminal, prints one status line a minute (the current bar is
written at each), and on SIGINT/SIGTERM stops the feeds, writes the current bar and waits for the
writer to commit.

``run`` is the command-line entry point for ``record``, ``store`` and ``export`` (the last two live in
``tui.export_cmd``; their arguments in ``tui.commands``).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from feeds.aio import wait_event
from signals.times import utc_text
from tui.history_store import file_size
from tui.history_writer import START_ERRORS, HistoryWriter
from tui.recording import RecordingBarStore, tap_liquidations

STATUS_EVERY_S = 60.0


def status_line(
    now_ms: int, symbols: int, writer: HistoryWriter, health: Iterable[Any], path: Path, since_last: int
) -> str:
    """The one-line status the recorder prints every minute."""
    when = utc_text(now_ms, seconds=True, suffix="Z")
    venues = ", ".join(
        f"{s.venue} {s.state}"
        + (f" ({s.detail[:60]})" if s.state in ("error", "blocked") and s.detail else "")
        for s in health
    )
    parts = [
        when,
        f"{symbols} symbols",
        f"bars written {writer.bars_written} (+{since_last})",
        f"liquidations {writer.liquidations_written}",
        venues,
        f"store {file_size(path) / 1e6:.1f} MB",
    ]
    if writer.dropped:
        parts.append(f"dropped {writer.dropped} rows")
    if writer.busy or writer.error:
        parts.append(writer.error or "store busy")
    return " | ".join(parts)


async def record_loop(
    source: Any,
    store: RecordingBarStore,
    writer: HistoryWriter,
    path: Path,
    out: TextIO,
    *,
    status_every_s: float = STATUS_EVERY_S,
    stop: asyncio.Event | None = None,
) -> None:
    """Run ``source`` into ``store`` until ``stop`` is set (or SIGINT/SIGTERM); a status line each interval.

    The caller closes ``writer`` afterwards (its thread commits what is queued).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (
            NotImplementedError,
            RuntimeError,
        ):  # not the main thread, or Windows: Ctrl-C still interrupts
            pass
    source.attach(store)
    task = asyncio.ensure_future(source.run())
    written = writer.bars_written
    try:
        while not stop.is_set():
            await wait_event(stop, status_every_s)
            store.write_current()
            if task.done() and not task.cancelled() and task.exception() is not None:
                out.write(f"perptop record: the feed stopped: {task.exception()}\n")
                stop.set()
            out.write(
                status_line(
                    source.clock(),
                    len(store.symbols),
                    writer,
                    source.health(),
                    path,
                    writer.bars_written - written,
                )
                + "\n"
            )
            out.flush()
            written = writer.bars_written
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        store.write_current()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError):
                pass


def make_source(config: Any, args: argparse.Namespace) -> Any:
    """The demo or live source the recorder runs (the same ones the app uses)."""
    if getattr(args, "demo", False):
        from feeds.sim import SimulatedMarket
        from tui.sources import DemoSource

        seed = args.seed if getattr(args, "seed", None) is not None else 0
        return DemoSource(
            SimulatedMarket(list(config.watchlist), seed=seed),
            speed=getattr(args, "speed", None) or 1.0,
            rng_seed=seed,
        )
    from tui.live import LiveSource

    return LiveSource(config.watchlist, config.venues, config.poll_interval, config.venue_options)


def run_record(
    config: Any, args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """``perptop record``: returns 0 after a clean stop, 1 when the store cannot be opened."""
    from tui.export_cmd import store_path
    from tui.store import capacity_for

    path = store_path(config, args)
    retention = args.retention if args.retention is not None else config.store_retention_days
    source = make_source(config, args)
    writer = HistoryWriter(path, retention, step_ms=source.step_ms)
    try:
        writer.start()
    except START_ERRORS as exc:
        err.write(f"perptop record: {exc}\n")
        return 1
    store = RecordingBarStore(
        config.watchlist, source.venues, capacity_for(config.signals, source.step_ms), source.step_ms, writer
    )
    if source.mode == "live":
        tap_liquidations(source.adapters, writer, lambda: source.symbols)
    origin = "the simulated market" if source.mode == "demo" else ", ".join(source.venues)
    out.write(
        f"perptop record: {len(config.watchlist)} symbols from {origin} "
        f"into {path} (kept {retention:g} days); a status line every {args.status_every:g} s; "
        "Ctrl-C stops\n"
    )
    out.flush()
    try:
        asyncio.run(record_loop(source, store, writer, path, out, status_every_s=args.status_every))
    finally:
        done = writer.close()
    out.write(
        f"perptop record: stopped; {writer.bars_written} bars and {writer.liquidations_written} liquidations "
        f"written{'' if done else ' (the writer did not finish in time)'}\n"
    )
    out.flush()
    return 0 if done else 1


def run(config: Any, args: argparse.Namespace) -> int:
    """Run ``record``, ``store`` or ``export`` (``args.command``); returns the exit status."""
    if args.command == "record":
        return run_record(config, args)
    from tui.export_cmd import print_store, run_export

    if args.command == "store":
        return print_store(config, args, sys.stdout, sys.stderr)
    return run_export(config, args, sys.stdout, sys.stderr)
