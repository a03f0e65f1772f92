"""``perptop watch``: the feeds and the alert rules with no screen; one line (or JSON line) per event.

``perptop watch`` follows the live venues, ``--demo`` the simulated market, ``--replay FILE.csv`` a history
file (``--speed N`` replayed time per wall time, or ``max``: as fast as it can, exiting 0 at the end of
the file, which is how a user tests their ``[[alerts]]`` rules on the past before trusting them live).
Alerts are delivered as the app delivers them; the bell and OSC sinks go to standard error when it is a
terminal. Ctrl-C, SIGTERM or SIGHUP stops a watch cleanly, with its summary line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from typing import TYPE_CHECKING, Any, TextIO

from signals.formats import counted
from tui.cli.args import expand_path, number_arg
from tui.cli.stopping import STOP_SIGNALS, reader_gone, say, silence
from tui.config.loader import AppConfig

if TYPE_CHECKING:  # numpy comes with these: only a watch that runs pays for them
    import asyncio

    from feeds.source import Source
    from tui.alerts.events import Event
    from tui.alerts.rules import Alert
    from tui.alerts.service import EventService
    from tui.alerts.sinks import Deliverer
    from tui.model.bars import BarStore

EXIT_USAGE = 2
_replay_speed = number_arg("a speed", 1.0, 1000.0)


MAX_SPEED = math.inf
"""``--speed max``. Not None: None is what the top-level ``--speed`` leaves when it is not given, and
the watch's own (a subcommand's default is suppressed) must not read that as ``max``."""


def speed_arg(text: str) -> float:
    """``--speed``: a number (replayed or simulated time per wall time), or ``max`` (``MAX_SPEED``)."""
    return MAX_SPEED if text.strip().lower() == "max" else _replay_speed(text)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``watch`` to the CLI's ``subparsers`` and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "watch",
        help="run the feeds and the alert rules headless, printing each event",
        description="Run the feeds (live, --demo, or --replay of a history CSV) and the [[alerts]] rules "
        "with no screen: each event is printed as a line (--jsonl: a JSON object per line) and alerts are "
        "delivered. --replay FILE.csv --speed max plays the file as fast as it can and exits 0 at its end.",
    )
    parser.add_argument(
        "--replay",
        type=expand_path,
        metavar="FILE.csv",
        default=None,
        help="replay a history CSV instead of following a market",
    )
    parser.add_argument(
        "--speed",
        type=speed_arg,
        metavar="N|max",
        default=argparse.SUPPRESS,
        help="with --replay: replayed time per wall time (1 to 1000) or max (default: a bar a second); "
        "with --demo: simulated time per wall time (default 1)",
    )
    parser.add_argument(
        "--symbols",
        metavar="LIST",
        default=None,
        help="with --replay: comma-separated symbols to replay (default: all of the file)",
    )
    parser.add_argument("--jsonl", action="store_true", help="print each event as one JSON object per line")
    parser.set_defaults(handler=run)
    return parser


def _stderr_terminal() -> Any:
    """A writer of raw sequences to standard error when it is a terminal (bell, OSC), else None."""
    if not sys.stderr.isatty():
        return None

    def write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    return write


def _printer(out: TextIO, jsonl: bool) -> Any:
    def show(events: list[Event], alerts: list[Alert]) -> None:
        try:
            for e in events:
                out.write((json.dumps(e.as_json(), separators=(",", ":")) if jsonl else e.line()) + "\n")
            out.flush()
        except OSError as exc:  # `perptop watch | head`, a terminal that hung up, a full disk
            if not reader_gone(exc):  # a failing file is news to the user; a reader who left is not
                say(
                    sys.stderr,
                    f"perptop watch: cannot write the events to standard output ({exc.strerror}); "
                    "the alerts go on, the events are no longer printed\n",
                )
            silence(out)

    return show


def run(
    config: AppConfig, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """The handler: 0 after a clean stop (or the end of a replay), 2 for a history that cannot be replayed."""
    from tui.alerts.sinks import Deliverer

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err

    if args.replay is None and getattr(args, "speed", None) == MAX_SPEED:
        err.write("perptop watch: --speed max only applies with --replay (see perptop watch --help)\n")
        return EXIT_USAGE
    if args.replay is not None and args.demo:
        err.write("perptop watch: --replay and --demo cannot be combined\n")
        return EXIT_USAGE
    deliverer = Deliverer(_stderr_terminal())
    try:
        if args.replay is not None:
            code = _watch_replay(config, args, deliverer, out, err)
        else:
            code = _watch_market(config, args, deliverer, out, err)
    finally:
        deliverer.close(10.0)
    for line in deliverer.errors():
        say(err, f"perptop watch: {line}\n")
    return code


def _service(
    config: AppConfig,
    store: BarStore,
    deliverer: Deliverer,
    out: TextIO,
    jsonl: bool,
    inline: bool,
    what: str,
) -> EventService:
    from signals.times import wall_ms
    from tui.alerts.measuring import InlineMeasure, ThreadMeasure
    from tui.alerts.service import EventService
    from tui.model import hit_rates

    service = EventService(
        config.signals,
        config.events,
        config.alerts,
        lambda: store.symbols,
        wall_ms,
        delivery=deliverer,
        listener=_printer(out, jsonl),
    )

    def job(symbol: str) -> Any:
        return hit_rates.prepare_memory(store, symbol, config.signals, what)

    service.measure = (InlineMeasure if inline else ThreadMeasure)(service.records, job)
    service.attach(store)
    return service


def _summary(service: EventService, err: TextIO) -> None:
    c = service.counts
    say(  # after SIGHUP the terminal may be gone: the line is dropped, the exit status stays 0
        err,
        f"perptop watch: {counted(service.seen, 'event')}, {counted(c.sent, 'alert')} delivered, "
        f"{c.suppressed} held back "
        f"({c.cooldown} by cooldown, {c.rate_cap} by the rate cap)\n",
    )


def _watch_replay(
    config: AppConfig, args: argparse.Namespace, deliverer: Deliverer, out: TextIO, err: TextIO
) -> int:
    import asyncio

    from feeds.aio import wait_event
    from tui.cli.replay import load_source
    from tui.model.bars import BarStore, capacity_for

    speed = getattr(args, "speed", None)  # None: not given, a bar a second as ``perptop replay`` plays
    spec = argparse.Namespace(
        file=args.replay,
        from_store=False,
        store=None,
        symbols=args.symbols,
        speed=1.0 if speed == MAX_SPEED else speed,
    )
    try:
        source = load_source(config, spec, err)
    except ValueError as exc:
        err.write(f"perptop watch: {exc}\n")
        return EXIT_USAGE
    store = BarStore(
        source.symbols, source.venues, capacity_for(config.signals, source.step_ms, 24.0), source.step_ms
    )
    service = _service(config, store, deliverer, out, args.jsonl, True, "bars replayed so far")
    source.attach(store)
    if speed == MAX_SPEED:
        while source.step_bar():
            pass
    else:
        source.live = True

        async def play() -> None:
            stop = _stop_on_signals()
            task = asyncio.ensure_future(source.run())
            try:
                while not source.finished and not task.done() and not stop.is_set():
                    await wait_event(stop, 0.05)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(play())
    service.finish(store)
    _summary(service, err)
    return 0


def _watch_market(
    config: AppConfig, args: argparse.Namespace, deliverer: Deliverer, out: TextIO, err: TextIO
) -> int:
    import asyncio

    from feeds.aio import wait_event
    from tui.memory import map_large_blocks
    from tui.model.bars import BarStore, capacity_for, hot_rows_for

    source = _market_source(config, args)
    map_large_blocks()  # as the monitor: the start's large temporaries handed back as they are freed
    step = source.step_ms
    store = BarStore(  # the older bars in float32, as the monitor keeps them
        config.watchlist,
        source.venues,
        capacity_for(config.signals, step, 24.0),
        step,
        hot_rows_for(config.signals, step),
    )
    service = _service(config, store, deliverer, out, args.jsonl, False, "bars in memory")
    origin = "the simulated market" if source.mode == "demo" else ", ".join(source.venues)
    err.write(
        f"perptop watch: {counted(len(config.watchlist), 'symbol')} from {origin}, "
        f"{counted(len(config.alerts), 'alert rule')}; "
        "events print as each bar closes; Ctrl-C stops\n"
    )

    async def follow() -> None:
        stop = _stop_on_signals()
        source.attach(store)
        task = asyncio.ensure_future(source.run())
        try:
            while not stop.is_set() and not task.done():
                await wait_event(stop, 1.0)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(follow())
    _summary(service, err)
    return 0


def _stop_on_signals() -> asyncio.Event:
    """An event that SIGINT, SIGTERM or SIGHUP sets, so the watch ends with its summary and exit 0.

    Called in the running loop; where the loop cannot handle signals (Windows), Ctrl-C still interrupts.
    """
    import asyncio

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def _market_source(config: AppConfig, args: argparse.Namespace) -> Source:
    if args.demo:
        from feeds.sim.source import demo_source

        return demo_source(config.watchlist, args.seed or 0, getattr(args, "speed", 1.0) or 1.0)
    from feeds.live.source import LiveSource

    return LiveSource(config.watchlist, config.venues, config.poll_interval, config.venue_options)
