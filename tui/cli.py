"""The ``perptop`` command line: parse arguments, build the config, start the app or a snapshot.

``perptop --help``, ``--version`` and ``--print-config`` never import Textual, pandas or numpy: the app
(``tui.app``), the snapshot (``tui.snapshot``) and the live feeds (``tui.live``) are imported only when
they run. Every user error (bad arguments, bad config file) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from themes import theme_names
from tui import __version__
from tui.commands import symbols_arg
from tui.config import VENUES, AppConfig, ConfigError, load_config, resolve_config
from tui.paths import default_config_path, state_path_for

EXIT_USAGE = 2
MAX_SPEED = 10_000.0


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(
            f"expected a number greater than 0 and at most {MAX_SPEED:g}, got {text!r}"
        )
    return value


def _venues(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(x.strip().lower() for x in text.split(",") if x.strip()))
    unknown = [n for n in names if n not in VENUES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown venue {unknown[0]!r}" if unknown else "no venue named") from None
    return names


def _base_url(text: str) -> tuple[str, str, str]:
    """``VENUE=URL`` -> (venue, config key, url): http(s) is the REST base, ws(s) the stream's."""
    venue, sep, url = text.partition("=")
    venue = venue.strip().lower()
    if not sep or venue not in VENUES:
        raise argparse.ArgumentTypeError(f"expected VENUE=URL with VENUE one of {', '.join(VENUES)}, got {text!r}")
    url = url.strip()
    if url.startswith(("http://", "https://")):
        return venue, "base_url", url
    if url.startswith(("ws://", "wss://")):
        return venue, "ws_url", url
    raise argparse.ArgumentTypeError(f"{venue}: expected an http(s):// or ws(s):// URL, got {url!r}")


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 3600, got {text!r}")
    return value


def _path(text: str) -> Path:
    return Path(os.path.expanduser(text))


def _help_text() -> tuple[str, str]:
    config_path = default_config_path()
    description = (
        "A terminal monitor of crypto-derivatives positioning: open interest, funding, long/short,\n"
        "liquidations and spot/futures volume, with flags that say which pattern is on and why."
    )
    epilog = f"""\
modes:
  perptop --demo            a simulated market, no network (try it, or work offline)
  perptop                   live data from {", ".join(VENUES)} (public APIs, no key)
  perptop snapshot          print the watchlist once and exit (--json: machine-readable)
  perptop venues            print each venue's request plan and rate-limit budget
  perptop record            run the feeds headless, writing every bar to the history store
  perptop store             print where the history store is, its size and what it holds
  perptop export --csv F    write the stored bars as a history CSV
  perptop backtest FILE     score every flag on a history CSV (hit rate, interval, baseline)
  perptop replay FILE       drive the screen from a history CSV (space pause, . step, +/- speed)
  perptop import binance-vision DIR   Binance public data dumps -> history CSV

keys in the app (? shows them all):
  up/down move   enter drill into a symbol   a add a symbol   d remove it   / filter
  s sort   f flagged only   h heatmap   t next theme   p pause   q quit

config:
  file   {config_path}  (absent: defaults; --config PATH to use another)
  start one with:  perptop --print-config > {config_path}
  a/d changes are saved in {state_path_for(config_path)} (beside the config file;
  the config file itself is never rewritten). --watchlist ignores those changes and does not save new ones.

environment:
  NO_COLOR    set and non-empty: no colour (the monochrome theme), unless --theme is given
"""
    return description, epilog


def _add_config_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Add the options shared by the app and ``snapshot``.

    On the subcommand (``suppress``) they default to SUPPRESS, so a value given before the word
    ``snapshot`` is not reset by the subcommand's own default.
    """

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--demo", action="store_true", default=default(False), help="use the simulated market (no network)"
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        metavar="N",
        default=default(None),
        help="seed of the simulated market, for a repeatable run (with --demo)",
    )
    parser.add_argument(
        "--config",
        type=_path,
        metavar="PATH",
        default=default(None),
        help="config file to read instead of the default location",
    )
    parser.add_argument(
        "--watchlist",
        type=symbols_arg,
        metavar="SYMBOLS",
        default=default(None),
        help="comma-separated symbols (BTC,ETH or BTCUSDT,...) replacing the config's "
        "watchlist; ignores the a/d state file",
    )
    parser.add_argument(
        "--venues",
        type=_venues,
        metavar="LIST",
        default=default(None),
        help=f"comma-separated venues to use (default: the config's; all of {','.join(VENUES)})",
    )
    parser.add_argument(
        "--base-url",
        type=_base_url,
        action="append",
        metavar="VENUE=URL",
        default=default(None),
        help="point a venue at a mirror, proxy, testnet or test server: http(s):// for its REST API, "
        "ws(s):// for its stream (repeatable; overrides [venue.NAME] in the config)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``perptop`` argument parser (the ``snapshot`` subcommand included)."""
    description, epilog = _help_text()
    parser = _Parser(
        prog="perptop",
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_config_options(parser, suppress=False)
    parser.add_argument(
        "--speed",
        type=_speed,
        metavar="N",
        help="simulated time runs N times faster than real time (with --demo; default 1)",
    )
    parser.add_argument(
        "--theme",
        choices=theme_names(),
        metavar="NAME",
        help=f"colour theme: {', '.join(theme_names())} (default: the config's, else dark)",
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the effective config as TOML and exit"
    )
    parser.add_argument("--version", action="version", version=f"perptop {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{snapshot,venues,record,store,export,backtest,replay,import}")
    snapshot = commands.add_parser(
        "snapshot",
        help="print the watchlist once and exit",
        description="Print the watchlist's current table once and exit.",
    )
    _add_config_options(snapshot, suppress=True)
    snapshot.add_argument("--json", action="store_true", help="print JSON instead of a table")
    snapshot.add_argument("--timeout", type=_timeout, default=15.0, metavar="S",
                          help="live: wait at most S seconds for data, then report what came (default 15)")
    venues = commands.add_parser(
        "venues",
        help="print each venue's request plan and budget for the watchlist",
        description="Print what perptop asks each venue, how often, and how much of each published rate "
        "limit that spends, for the current watchlist and for 500 symbols.",
    )
    _add_config_options(venues, suppress=True)
    from tui import import_cmd, replay_cmd
    from tui.commands import add_backtest, add_export, add_record, add_store

    for add in (add_backtest, add_record, add_store, add_export, replay_cmd.add_parser, import_cmd.add_parser):
        _add_config_options(add(commands), suppress=True)
    return parser


def build_config(args: argparse.Namespace, environ: dict[str, str] | None = None) -> AppConfig:
    """Load the config file and apply the state file, ``--watchlist``, ``--theme`` and ``NO_COLOR``.

    Raises:
        ConfigError: if the config file cannot be used.
    """
    import dataclasses

    config = load_config(args.config)
    config = resolve_config(
        config,
        cli_watchlist=args.watchlist,
        cli_theme=getattr(args, "theme", None),
        environ=os.environ if environ is None else environ,
    )
    changes: dict[str, object] = {}
    if getattr(args, "venues", None):
        changes["venues"] = args.venues
    if getattr(args, "base_url", None):
        options = {v: dict(o) for v, o in config.venue_options.items()}
        for venue, key, url in args.base_url:
            options.setdefault(venue, {})[key] = url
        changes["venue_options"] = options
    return dataclasses.replace(config, **changes) if changes else config


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``perptop`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 0
    # replay has a --speed of its own: replayed time, not the simulated market's
    speed = None if args.command == "replay" else getattr(args, "speed", None)
    if not args.demo and (args.seed is not None or speed is not None):
        print(
            "perptop: error: --seed and --speed only apply with --demo (see perptop --help)", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        config = build_config(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    for warning in config.warnings:
        print(warning, file=sys.stderr)
    if args.print_config:
        from tui.config_toml import dump_config

        sys.stdout.write(dump_config(config))
        return 0
    if args.command in ("backtest", "replay", "import"):
        import importlib

        module = importlib.import_module(f"tui.{args.command}_cmd")
        return int(module.run(config, args))
    if args.command in ("record", "store", "export"):
        from tui.recorder import run as run_history_command

        return run_history_command(config, args)
    if args.command == "venues":
        from tui.venues_cmd import print_plans

        return print_plans(config, sys.stdout)
    mode = "demo" if args.demo else "live"
    if args.command == "snapshot":
        from tui.snapshot import run

        args.mode = mode
        return int(run(config, args))
    return run_app(config, mode=mode, seed=args.seed, speed=args.speed or 1.0)


def run_app(config: AppConfig, *, mode: str, seed: int | None, speed: float) -> int:
    """Start the Textual app and return its exit status.

    Args:
        config: the resolved config.
        mode: ``"demo"`` (simulated market) or ``"live"``.
        seed: seed of the simulated market (None: the app's default).
        speed: how much faster than real time the simulated market runs.
    """
    if os.environ.get("NO_COLOR") == "":
        # no-color.org: an empty NO_COLOR means colour; Textual would treat it as set and grey the screen.
        del os.environ["NO_COLOR"]
    from tui.app import PerptopApp

    source = None
    history = None
    if mode == "live":
        from tui.live import LiveSource

        source = LiveSource(config.watchlist, config.venues, config.poll_interval, config.venue_options)
        history = open_history(config, source.step_ms)
    # Without --seed the app's own default applies, so a plain --demo run is the same market every time.
    if seed is None:
        app = PerptopApp(config=config, mode=mode, speed=speed, source=source, history=history)
    else:
        app = PerptopApp(config=config, mode=mode, seed=seed, speed=speed, source=source, history=history)
    try:
        app.run()
    finally:
        if not app.close_history():
            print("perptop: the history store did not finish writing in time", file=sys.stderr)
    return app.return_code or 0


def open_history(config: AppConfig, step_ms: int) -> Any:
    """The live monitor's history writer (``[store]`` in the config), or None without one.

    A store that cannot be used (busy, another bar step, not a database, no permission) is one line on
    stderr and the monitor runs without it: a history problem never keeps the market off the screen.
    """
    if not config.store_record:
        return None
    from tui.export_cmd import store_path
    from tui.history_writer import START_ERRORS, HistoryWriter

    path = store_path(config, argparse.Namespace())
    writer = HistoryWriter(path, config.store_retention_days, step_ms=step_ms)
    try:
        writer.start()
    except START_ERRORS as exc:
        print(f"perptop: history store {path}: {exc}; running without it", file=sys.stderr)
        return None
    return writer


if __name__ == "__main__":
    sys.exit(main())
