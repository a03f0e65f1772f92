"""``perptop record``: the feeds run headless and every bar goes into the history store.

The bars go through a bar store observed by ``tui.model.recording.HistoryRecorder``, as the app's do.
No Textual here: the recorder runs on a server without a terminal, prints one status line a minute (the
current bar is written at each), and on SIGINT, SIGTERM or SIGHUP stops the feeds, writes the current bar
and waits for the writer to commit.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from signals.formats import counted, shorten
from signals.times import utc_text
from tui.cli.args import add_store_option, number_arg, retention_days
from tui.cli.stopping import STOP_SIGNALS, say
from tui.config.loader import AppConfig

if TYPE_CHECKING:  # numpy, sqlite and asyncio come with these: only a running recorder pays for them
    import asyncio

    from feeds.history.writer import HistoryWriter
    from feeds.messages import VenueStatus
    from feeds.source import Source
    from tui.alerts.service import EventService
    from tui.model.bars import BarStore
    from tui.model.recording import HistoryRecorder

STATUS_EVERY_S = 60.0
DETAIL_WIDTH = 60  # characters of a venue's error in the status line: room for the gist, one line in all


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``record`` (the feeds headless, into the history store) and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "record",
        help="run the feeds headless and write every bar to the history store",
        description="Run the feeds without a terminal UI and write every closed bar (and live liquidation) "
        "to the local history store; one status line a minute; Ctrl-C, SIGTERM or SIGHUP stops cleanly.",
    )
    add_store_option(parser)
    parser.add_argument(
        "--speed",
        type=float,
        metavar="N",
        default=argparse.SUPPRESS,
        help="with --demo: simulated time runs N times faster",
    )
    parser.add_argument(
        "--retention",
        type=retention_days,
        default=None,
        metavar="DURATION",
        help="keep this much history, pruned hourly (default: the config's, else 30d)",
    )
    parser.add_argument(
        "--status-every",
        type=number_arg("seconds", 0, 86_400, open_lo=True),
        default=60.0,
        metavar="S",
        help="seconds between status lines (default 60)",
    )
    parser.set_defaults(handler=run_record)
    return parser


def status_line(
    now_ms: int,
    symbols: int,
    writer: HistoryWriter,
    health: Iterable[VenueStatus],
    path: Path,
    since_last: int,
    events: EventService | None = None,
    *,
    liquidation_events: bool = True,
) -> str:
    """The one-line status the recorder prints every minute.

    ``liquidation_events`` is False for a source with no liquidation events to write (the simulated
    market: its liquidations are bar totals), whose count would read as "no liquidations at all".
    """
    from feeds.history.store import file_size

    when = utc_text(now_ms, seconds=True, suffix="Z")
    venues = ", ".join(
        f"{s.venue} {s.state}"
        + (f" ({shorten(s.detail, DETAIL_WIDTH)})" if s.state in ("error", "blocked") and s.detail else "")
        for s in health
    )
    parts = [
        when,
        counted(symbols, "symbol"),
        f"bars written {writer.bars_written} (+{since_last})",
        f"liquidations {writer.liquidations_written}" if liquidation_events else "liquidations in bars",
        venues,
        f"store {file_size(path) / 1e6:.1f} MB",
    ]
    if events is not None:
        parts.append(f"events {events.seen}, alerts {events.counts.sent} ({events.counts.suppressed} held)")
        if events.delivery is not None:
            parts.extend(events.delivery.errors()[-1:])
    if writer.dropped:
        parts.append(f"dropped {writer.dropped} rows")
    if writer.busy or writer.error:
        parts.append(writer.error or "store busy")
    return " | ".join(parts)


async def record_loop(
    source: Source,
    store: BarStore,
    recorder: HistoryRecorder,
    path: Path,
    out: TextIO,
    *,
    status_every_s: float = STATUS_EVERY_S,
    stop: asyncio.Event | None = None,
    events: EventService | None = None,
) -> None:
    """Run ``source`` into ``store`` until ``stop`` is set or a stop signal comes; a status line each interval.

    The caller closes the recorder's writer afterwards (its thread commits what is queued).
    """
    import asyncio

    from feeds.aio import wait_event

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        # Not the main thread, or Windows: Ctrl-C still interrupts.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    writer = recorder.writer
    source.attach(store)
    task = asyncio.ensure_future(source.run())
    written = writer.bars_written
    try:
        while not stop.is_set():
            await wait_event(stop, status_every_s)
            recorder.write_current(store)
            if task.done() and not task.cancelled() and task.exception() is not None:
                say(out, f"perptop record: the feed stopped: {task.exception()}\n")
                stop.set()
            # after SIGHUP the terminal may be gone: say() drops the line rather than stop the recorder
            say(
                out,
                status_line(
                    source.clock(),
                    len(store.symbols),
                    writer,
                    source.health(source.clock()).venues,
                    path,
                    writer.bars_written - written,
                    events,
                    liquidation_events=source.mode != "demo",
                )
                + "\n",
            )
            written = writer.bars_written
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        recorder.write_current(store)
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


def make_source(config: AppConfig, args: argparse.Namespace) -> Source:
    """The demo or live source the recorder runs (the same ones the app uses)."""
    if getattr(args, "demo", False):
        from feeds.sim.source import demo_source

        seed = args.seed if getattr(args, "seed", None) is not None else 0
        return demo_source(config.watchlist, seed, getattr(args, "speed", None) or 1.0)
    from feeds.live.source import LiveSource

    return LiveSource(config.watchlist, config.venues, config.poll_interval, config.venue_options)


def run_record(
    config: AppConfig, args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """``perptop record``: returns 0 after a clean stop; a store it cannot write is refused at start.

    The refusal is one line: 2 for a store that cannot serve (an older layout, with the migration that
    mends it; read-only; damaged; not SQLite; another bar step), 1 for one busy with another process.
    """
    import asyncio

    from feeds.history.store_check import StoreError
    from feeds.history.writer import START_ERRORS, HistoryWriter
    from tui.alerts.measuring import BackfillHold, ThreadMeasure
    from tui.alerts.service import EventService
    from tui.alerts.sinks import Deliverer
    from tui.cli.store import store_path
    from tui.memory import map_large_blocks
    from tui.model import hit_rates
    from tui.model.bars import BarStore, capacity_for, hot_rows_for
    from tui.model.recording import HistoryRecorder

    path = store_path(config, args)
    retention = args.retention if args.retention is not None else config.store_retention_days
    source = make_source(config, args)
    writer = HistoryWriter(path, retention, step_ms=source.step_ms)
    try:
        writer.start()
    except START_ERRORS as exc:
        err.write(f"perptop record: {exc}\n")
        return exc.status if isinstance(exc, StoreError) else 2 if isinstance(exc, ValueError) else 1
    map_large_blocks()  # as the monitor: a backfill's large temporaries handed back as they are freed
    step = source.step_ms
    store = BarStore(
        config.watchlist,
        source.venues,
        capacity_for(config.signals, step),
        step,
        hot_rows_for(config.signals, step),
    )
    recorder = HistoryRecorder(writer, lambda: store.symbols)
    recorder.attach(store)
    source.listen_liquidations(recorder.liquidations)
    # Events go into the store and alerts are delivered too, so a server under systemd both records and
    # alerts; a recorder has no terminal, so its bell and OSC sinks are skipped.
    deliverer = Deliverer(None)
    events = EventService(
        config.signals,
        config.events,
        config.alerts,
        lambda: store.symbols,
        source.clock,
        delivery=deliverer,
        writer=writer,
    )
    measure = ThreadMeasure(
        events.records,
        lambda s: hit_rates.prepare_stored(path, s, config.signals, source.venues),
        lambda symbols: hit_rates.prepare_stored_many(path, symbols, config.signals, source.venues),
    )
    events.measure = measure
    # as the monitor does: after a backfill, its days packed first
    events.measure_held = BackfillHold(lambda: source.health(source.clock()).backfilling, writer.pack_soon)
    events.attach(store)
    origin = "the simulated market" if source.mode == "demo" else ", ".join(source.venues)
    out.write(
        f"perptop record: {counted(len(config.watchlist), 'symbol')} from {origin} "
        f"into {path} (kept {retention:g} days); a status line every {args.status_every:g} s; "
        "Ctrl-C stops\n"
    )
    out.flush()
    try:
        asyncio.run(
            record_loop(source, store, recorder, path, out, status_every_s=args.status_every, events=events)
        )
    finally:
        measure.close()
        deliverer.close(10.0)
        done = writer.close()
    written = [counted(writer.bars_written, "bar"), counted(writer.events_written, "event")]
    if source.mode != "demo":  # the simulated market has no liquidation events, only bar totals
        written.insert(1, counted(writer.liquidations_written, "liquidation"))
    say(
        out,
        f"perptop record: stopped; {', '.join(written[:-1])} and {written[-1]} written"
        f"{' (liquidations in bars)' if source.mode == 'demo' else ''}, "
        f"{counted(events.counts.sent, 'alert')} delivered"
        f"{'' if done else ' (the writer did not finish in time)'}\n",
    )
    return 0 if done else 1
