"""The ``perptop`` command line: parse arguments, build the config, start the app or a snapshot.

``perptop --help``, ``--version`` and ``--print-config`` never import Textual, pandas or numpy: the app
(``tui.app``), the snapshot (``tui.snapshot``) and the live feeds (``tui.live``) are imported only when
they run. Every user error (bad arguments, bad config file) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from themes import theme_names
from tui import __version__
from tui.config import VENUES, AppConfig, ConfigError, load_config, resolve_config
from tui.config_symbols import SymbolError, parse_symbol_list
from tui.paths import default_config_path, state_path_for

EXIT_USAGE = 2
MAX_SPEED = 10_000.0
LIVE_UNAVAILABLE = (
    "perptop: live venues are not available in this version; run 'perptop --demo' for the simulated market"
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _symbols(text: str) -> tuple[str, ...]:
    try:
        return parse_symbol_list(text)
    except SymbolError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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


def _path(text: str) -> Path:
    return Path(os.path.expanduser(text))


def live_available() -> bool:
    """Whether this install has the live venue feeds (``tui.live``)."""
    return importlib.util.find_spec("tui.live") is not None


def _help_text() -> tuple[str, str]:
    config_path = default_config_path()
    live = "" if live_available() else "  [not in this version: exits with status 2]"
    description = (
        "A terminal monitor of crypto-derivatives positioning: open interest, funding, long/short,\n"
        "liquidations and spot/futures volume, with flags that say which pattern is on and why."
    )
    epilog = f"""\
modes:
  perptop --demo            a simulated market, no network (try it, or work offline)
  perptop                   live data from {", ".join(VENUES)}{live}
  perptop snapshot          print the watchlist once and exit (--json: machine-readable)

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
        type=_symbols,
        metavar="SYMBOLS",
        default=default(None),
        help="comma-separated symbols (BTC,ETH or BTCUSDT,...) replacing the config's "
        "watchlist; ignores the a/d state file",
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
    commands = parser.add_subparsers(dest="command", metavar="{snapshot}")
    snapshot = commands.add_parser(
        "snapshot",
        help="print the watchlist once and exit",
        description="Print the watchlist's current table once and exit.",
    )
    _add_config_options(snapshot, suppress=True)
    snapshot.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def build_config(args: argparse.Namespace, environ: dict[str, str] | None = None) -> AppConfig:
    """Load the config file and apply the state file, ``--watchlist``, ``--theme`` and ``NO_COLOR``.

    Raises:
        ConfigError: if the config file cannot be used.
    """
    config = load_config(args.config)
    return resolve_config(
        config,
        cli_watchlist=args.watchlist,
        cli_theme=args.theme,
        environ=os.environ if environ is None else environ,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``perptop`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 0
    if not args.demo and (args.seed is not None or args.speed is not None):
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
    if not args.demo and not live_available():
        print(LIVE_UNAVAILABLE, file=sys.stderr)
        return EXIT_USAGE
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

    # Without --seed the app's own default applies, so a plain --demo run is the same market every time.
    if seed is None:
        app = PerptopApp(config=config, mode=mode, speed=speed)
    else:
        app = PerptopApp(config=config, mode=mode, seed=seed, speed=speed)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
