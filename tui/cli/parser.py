"""The ``perptop`` argument parser: the monitor's options, and every subcommand from its own module.

Each subcommand module (``tui.cli.snapshot``, ``tui.cli.backtest``, ...) adds its parser and sets its
handler with ``set_defaults(handler=...)``; the monitor itself is the default handler. Building the
parser imports only those light modules: Textual, pandas and numpy are imported by a handler when it
runs, so ``perptop --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
from typing import NoReturn

from feeds.venues import VENUE_NAMES
from themes import theme_names
from tui import __version__
from tui.cli import args as types
from tui.cli import (
    backtest,
    download,
    events,
    export,
    importer,
    monitor,
    record,
    replay,
    serve,
    snapshot,
    store,
    venues,
    watch,
)
from tui.config.loader import AppConfig, load_config, resolve_config
from tui.config.paths import default_config_path, state_path_for

EXIT_USAGE = 2

SUBCOMMANDS = (
    snapshot,
    venues,
    watch,
    record,
    events,
    store,
    export,
    backtest,
    replay,
    importer,
    download,
    serve,
)
"""Every subcommand, in ``--help`` order; each has ``add_parser`` (setting its ``handler``)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _help_text() -> tuple[str, str]:
    config_path = default_config_path()
    description = (
        "A terminal monitor of crypto-derivatives positioning: open interest, funding, long/short,\n"
        "liquidations and spot/futures volume, with flags that say which pattern is on and why."
    )
    epilog = f"""\
modes:
  perptop --demo            a simulated market, no network (try it, or work offline)
  perptop                   live data from {", ".join(VENUE_NAMES)} (public APIs, no key)
  perptop snapshot          print the watchlist once and exit (--json: machine-readable)
  perptop venues            print each venue's request plan and rate-limit budget
  perptop watch             run the feeds and the [[alerts]] rules headless, one line per event
                            (--replay FILE --speed max: test the rules on the past)
  perptop record            run the feeds headless, writing every bar and event to the history store
  perptop events            list the events (flags on/off, thresholds crossed) the store kept
  perptop store             print where the history store is, its size and what it holds
  perptop export --csv F    write the stored bars as a history CSV
  perptop backtest FILE     score every flag on a history CSV (hit rate, interval, baseline)
  perptop replay FILE       drive the screen from a history CSV (space pause, . step, +/- speed)
  perptop import binance-vision DIR   Binance public data dumps -> history CSV
  perptop serve             the app in a browser tab, on localhost:8765 (perptop[serve]; --demo works)

keys in the app (? shows them all):
  up/down move   enter drill into a symbol   a add a symbol   d remove it   / filter
  s sort   f flagged only   h heatmap   l event log   t next theme   p pause   q quit

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
        type=types.seed,
        metavar="N",
        default=default(None),
        help="seed of the simulated market, for a repeatable run (with --demo)",
    )
    parser.add_argument(
        "--config",
        type=types.expand_path,
        metavar="PATH",
        default=default(None),
        help="config file to read instead of the default location",
    )
    parser.add_argument(
        "--watchlist",
        type=types.watchlist_arg,
        metavar="SYMBOLS",
        default=default(None),
        help="comma-separated symbols (BTC,ETH or BTCUSDT,...) replacing the config's "
        "watchlist; ignores the a/d state file",
    )
    parser.add_argument(
        "--venues",
        type=types.venues,
        metavar="LIST",
        default=default(None),
        help=f"comma-separated venues to use (default: the config's; all of {','.join(VENUE_NAMES)})",
    )
    parser.add_argument(
        "--base-url",
        type=types.base_url,
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
        type=types.speed,
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
    parser.set_defaults(handler=monitor.run)
    commands = parser.add_subparsers(dest="command")
    for module in SUBCOMMANDS:
        _add_config_options(module.add_parser(commands), suppress=True)
    commands.metavar = "{" + ",".join(commands.choices) + "}"
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
    if getattr(args, "venues", None):
        config = dataclasses.replace(config, venues=args.venues)
    if getattr(args, "base_url", None):
        options = {v: dict(o) for v, o in config.venue_options.items()}
        for venue, key, url in args.base_url:
            options.setdefault(venue, {})[key] = url
        config = dataclasses.replace(config, venue_options=options)
    return config
