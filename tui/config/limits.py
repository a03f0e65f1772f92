"""The one limit on how many symbols perptop watches at once, and the checks every entry point shares.

Every watched symbol costs the app a bar store per venue, signal windows, venue requests and rows on
screen, so memory and CPU grow with the watchlist; a list of thousands of symbols took gigabytes and left
the screen blank. ``MAX_SYMBOLS`` is written here once and used wherever a symbol list enters: the config's
``watchlist``, ``--watchlist``, the state file (symbols added with ``a``), the ``a`` key itself, and the
``--symbols`` of ``replay`` and ``backtest``. A list the user typed just now (an option, the config file) is
refused with one line, since the user can fix it; a list perptop finds in a file it keeps or replays (the
state file, a history) is cut to its first ``MAX_SYMBOLS`` with one warning, so the app still starts.

No imports beyond the standard library: ``perptop --help`` builds the parsers that use this module.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_SYMBOLS = 200


class TooManySymbols(ValueError):
    """More symbols than ``MAX_SYMBOLS``; ``str()`` is one line saying how many (see ``too_many``)."""


def too_many(count: int) -> str:
    """``"1,000 symbols, more than the 200 perptop watches at once"``: what the caller prefixes with where."""
    return f"{count:,} symbols, more than the {MAX_SYMBOLS} perptop watches at once"


def list_length(text: str) -> int:
    """How many items a comma-separated list holds, as written (repeats and blanks counted).

    It only counts commas: a list of 10,000 symbols is measured before anything is built for any of them.
    """
    return text.count(",") + 1


def check_symbol_count(count: int, where: str = "") -> None:
    """Refuse more than ``MAX_SYMBOLS`` symbols.

    Args:
        count: how many symbols the list holds.
        where: what the list came from (``"--symbols"``), put in front of the message; empty when the
            caller (argparse) names the option itself.

    Raises:
        TooManySymbols: ``"--symbols: 1,000 symbols, more than the 200 perptop watches at once"``.
    """
    if count > MAX_SYMBOLS:
        raise TooManySymbols(f"{where}: {too_many(count)}" if where else too_many(count))


def kept_symbols(symbols: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """The first ``MAX_SYMBOLS`` of ``symbols`` (in their order), and how many were left out."""
    kept = tuple(symbols[:MAX_SYMBOLS])
    return kept, len(symbols) - len(kept)
