"""The arguments of perptop's history subcommands (backtest, record, store, export, replay, import).

Only argparse and pathlib here: ``perptop --help`` builds every subcommand's parser, and must not pay for
numpy, pandas or Textual. Each command's work lives in its own module, imported when it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_backtest(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``backtest`` to the ``perptop`` subcommands and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "backtest",
        help="score every flag on a history CSV: hit rate, interval, baseline",
        description="Score every flag of SIGNALS.md on a history CSV: events (rising edges), hits, hit rate "
        "with its Wilson 95 %% interval, the baseline of the same bet on every bar, mean forward return, "
        "and the split by leverage_driven, for each horizon. A file with a symbol column is scored per "
        "symbol and pooled.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.csv", help="history CSV (columns of SIGNALS.md)")
    parser.add_argument("--horizons", default="4h,24h", metavar="LIST",
                        help="comma-separated forward horizons (default 4h,24h)")
    parser.add_argument("--symbols", default=None, metavar="SYMBOLS",
                        help="comma-separated symbols to score (default: every symbol in the file)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON (the shape of SIGNALS.md) instead")
    output.add_argument("--plot", action="store_true",
                        help="also draw each flag's hit rate against its baseline in the terminal")
    return parser


def retention_days(text: str) -> float:
    """``--retention``: a duration (``30d``, ``12h``, ``2w``) in days, at least an hour."""
    from tui.config_values import BadValue, parse_duration

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

    from tui.config_values import BadValue, parse_duration

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
    from tui.config_symbols import SymbolError, parse_symbol_list

    try:
        return parse_symbol_list(text)
    except SymbolError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def number_arg(what: str, lo: float, hi: float, *, open_lo: bool = False) -> Any:
    """An argparse type: a number from ``lo`` to ``hi`` (above ``lo`` when ``open_lo``), named ``what``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not (lo < value if open_lo else lo <= value) or not value <= hi:
            raise argparse.ArgumentTypeError(f"expected {what} from {lo:g} to {hi:g}, got {text!r}")
        return value

    return parse


def expand_path(text: str) -> Path:
    """A path argument with ``~`` expanded."""
    return Path(text).expanduser()


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store PATH``, shared by record, store, export and replay."""
    parser.add_argument(
        "--store", type=expand_path, metavar="PATH", default=None,
        help="the history store file (default: the config's [store] path, else the user data folder; "
        "--demo uses a file of its own)",
    )


def add_record(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``record`` (the feeds headless, into the history store) and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "record",
        help="run the feeds headless and write every bar to the history store",
        description="Run the feeds without a terminal UI and write every closed bar (and live liquidation) "
        "to the local history store; one status line a minute; Ctrl-C or SIGTERM stops cleanly.",
    )
    add_store_option(parser)
    parser.add_argument("--speed", type=float, metavar="N", default=argparse.SUPPRESS,
                        help="with --demo: simulated time runs N times faster")
    parser.add_argument("--retention", type=retention_days, default=None, metavar="DURATION",
                        help="keep this much history, pruned hourly (default: the config's, else 30d)")
    parser.add_argument("--status-every", type=number_arg("seconds", 0, 86_400, open_lo=True), default=60.0, metavar="S",
                        help="seconds between status lines (default 60)")
    return parser


def add_store(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``store`` (where the history store is and what it holds) and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "store",
        help="print where the history store is and what it holds",
        description="Print the history store's path, size on disk, rows, symbols, time range and retention.",
    )
    add_store_option(parser)
    return parser


def add_export(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``export`` (stored bars as a history CSV) and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write the stored bars as a history CSV (for backtest and replay)",
        description="Write the history store's bars as the history CSV of SIGNALS.md: one "
        "series per symbol, the cross-venue aggregate unless --venue names one venue.",
    )
    add_store_option(parser)
    parser.add_argument("--csv", type=expand_path, metavar="FILE", required=True, help="the CSV file to write")
    parser.add_argument("--symbols", type=symbols_arg, metavar="LIST", default=None,
                        help="comma-separated symbols (default: every stored symbol)")
    parser.add_argument("--since", type=since_ms, metavar="WHEN", default=None,
                        help="only bars from then on: a duration back (7d) or a date (2025-01-31)")
    parser.add_argument("--venue", default="all", metavar="NAME",
                        help="'all' (the cross-venue series, default) or one venue's own bars")
    return parser
