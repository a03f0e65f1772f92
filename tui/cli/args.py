"""Argument types of the ``perptop`` command line: each turns one string into a checked value.

Only argparse, pathlib and the light config helpers here: ``perptop --help`` builds every subcommand's
parser, and must not pay for numpy, pandas or Textual. A bad value raises ``ArgumentTypeError`` with
one line, which argparse prints as ``perptop: error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from feeds.venues import VENUE_NAMES
from tui.config import paths
from tui.config.limits import TooManySymbols, check_symbol_count, list_length

MAX_SPEED = 10_000.0


def seed(text: str) -> int:
    """``--seed``: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def speed(text: str) -> float:
    """``--speed`` of the simulated market: above 0, at most ``MAX_SPEED``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(
            f"expected a number greater than 0 and at most {MAX_SPEED:g}, got {text!r}"
        )
    return value


def venues(text: str) -> tuple[str, ...]:
    """``--venues``: comma-separated venue names, repeats dropped, each one perptop knows."""
    names = tuple(dict.fromkeys(x.strip().lower() for x in text.split(",") if x.strip()))
    unknown = [n for n in names if n not in VENUE_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown venue {unknown[0]!r}" if unknown else "no venue named"
        ) from None
    return names


def base_url(text: str) -> tuple[str, str, str]:
    """``VENUE=URL`` -> (venue, config key, url): http(s) is the REST base, ws(s) the stream's."""
    venue, sep, url = text.partition("=")
    venue = venue.strip().lower()
    if not sep or venue not in VENUE_NAMES:
        raise argparse.ArgumentTypeError(
            f"expected VENUE=URL with VENUE one of {', '.join(VENUE_NAMES)}, got {text!r}"
        )
    url = url.strip()
    if url.startswith(("http://", "https://")):
        return venue, "base_url", url
    if url.startswith(("ws://", "wss://")):
        return venue, "ws_url", url
    raise argparse.ArgumentTypeError(f"{venue}: expected an http(s):// or ws(s):// URL, got {url!r}")


def timeout(text: str) -> float:
    """``--timeout``: seconds above 0, at most an hour."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds above 0 and at most 3600, got {text!r}")
    return value


def retention_days(text: str) -> float:
    """``--retention``: a duration (``30d``, ``12h``, ``2w``) in days, at least an hour."""
    from tui.config.values import BadValue, parse_duration

    try:
        hours = parse_duration(text)
    except BadValue as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not hours >= 1:
        raise argparse.ArgumentTypeError(f"expected at least 1h, got {text!r}")
    return hours / 24


def since_ms(text: str, now_ms: int | None = None) -> int:
    """``--since``: a duration back from now (``7d``), or a date or time (``2025-01-31``, ISO-8601, UTC)."""
    import datetime as dt

    from tui.config.values import BadValue, parse_duration

    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000) if now_ms is None else now_ms
    try:
        return now - int(parse_duration(text) * 3_600_000)
    except BadValue:
        pass
    try:
        when = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a duration like 7d or a date like 2025-01-31, got {text!r}"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp() * 1000)


def symbols_arg(text: str) -> tuple[str, ...]:
    """A comma-separated symbol list (``BTC,ethusdt``) as normalised base coins."""
    from feeds.symbols import SymbolError, parse_symbol_list

    try:
        return parse_symbol_list(text)
    except SymbolError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def watchlist_arg(text: str) -> tuple[str, ...]:
    """``--watchlist``: a comma-separated symbol list of at most ``MAX_SYMBOLS``, as normalised base coins.

    The items are counted before any is normalised, so 10,000 symbols are refused at once.
    """
    return symbols_arg(symbol_choice(text))


def symbol_choice(text: str) -> str:
    """``--symbols`` of replay and backtest: at most ``MAX_SYMBOLS`` items, the text returned as written.

    The commands match these names against a history's own (as written or as base coins) themselves.
    Items are counted as written, as for ``--watchlist``.
    """
    try:
        check_symbol_count(list_length(text))
    except TooManySymbols as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def number_arg(what: str, lo: float, hi: float, *, open_lo: bool = False) -> Callable[[str], float]:
    """An argparse type: a number from ``lo`` to ``hi`` (above ``lo`` when ``open_lo``), named ``what``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (lo < value if open_lo else lo <= value) or not value <= hi:
            # "from 0 to ..." would include the 0 that an open range refuses: say which end is excluded.
            span = f"above {lo:g} and at most {hi:g}" if open_lo else f"from {lo:g} to {hi:g}"
            raise argparse.ArgumentTypeError(f"expected {what} {span}, got {text!r}")
        return value

    return parse


def expand_path(text: str) -> Path:
    """A path argument with ``~`` and ``$VAR`` expanded (a quoted ``'$HOME/x'`` reaches us unexpanded);
    an unset variable is an error naming the option (argparse adds ``argument --store:``)."""
    try:
        return paths.expand_path(text)
    except paths.BadPath as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store PATH``, shared by record, store, export and replay."""
    parser.add_argument(
        "--store",
        type=expand_path,
        metavar="PATH",
        default=None,
        help="the history store file (default: the config's [store] path, else the user data folder; "
        "--demo uses a file of its own)",
    )
