"""What ``perptop download binance-vision`` fetches: the file list, its URLs and folders, checksums, resume.

data.binance.vision keeps each file under the same path on the server and in the folder it is saved to::

    data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip     (USD-M klines, whole months)
    data/futures/um/daily/klines/BTCUSDT/5m/BTCUSDT-5m-2024-02-03.zip    (days of the current month)
    data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2024-01-15.zip (open interest, long/short: daily only)
    data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-01.zip (monthly only)
    data/spot/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip           (spot klines, as the futures ones)

and each file has a ``NAME.CHECKSUM`` beside it: ``<sha256 hex>  NAME``. Months before the current one
come as monthly files; the current month (not complete, so not published as a month) as daily files up to
yesterday. A month that only partly overlaps ``--since``/``--until`` is fetched whole (one file, not 30).

Resume: every verified file is appended to a state file (``.perptop-verified.tsv`` in the output folder:
hash, size, path). A file whose path is there and whose size on disk matches is not fetched again, and
no request is made for it. Nothing else is trusted: a file is written under ``NAME.part`` and takes its
real name only once its hash matched, so a half-written file never has a real name, and the ``.part``
left by a killed run is removed on the next start (``remove_parts``).

No network here and no printing: ``feeds.history.vision_fetch`` does the fetching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from feeds.history.binance_vision import interval_ms
from feeds.symbols import SymbolError, normalize_symbol, split_instrument

STATE_NAME = ".perptop-verified.tsv"
PART_SUFFIX = ".part"
KINDS = ("klines", "metrics", "funding", "spot")
# The kline intervals data.binance.vision publishes (1s is spot only, and far too many rows for bars).
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
# Binance's contract multipliers, tried in this order when a bare coin has no plain USDT perpetual.
MULTIPLIER_PREFIXES = ("", "1000", "1000000", "1M")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_QUOTED = re.compile(r"^[A-Z0-9]+USDT$")


@dataclass(frozen=True)
class Archive:
    """One file of the archive: which coin and instrument it belongs to, what it holds, where it lives."""

    symbol: str  # perptop's name: the base coin (PEPE)
    instrument: str  # the archive's name (1000PEPEUSDT; PEPEUSDT for spot)
    kind: str  # one of KINDS
    path: str  # relative to the server's root and to the output folder, with "/" separators

    @property
    def name(self) -> str:
        """The file name (``BTCUSDT-5m-2024-01.zip``), as the ``.CHECKSUM`` names it."""
        return self.path.rsplit("/", 1)[-1]


def parse_day(text: str, what: str) -> date:
    """``2022-01-31`` as a date.

    Raises:
        ValueError: naming ``what`` (``--since``) and the text, for anything else.
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a date like 2022-01-31") from None


def check_interval(text: str) -> str:
    """``text`` if the archive publishes klines at that interval.

    Raises:
        ValueError: for an interval it does not publish.
    """
    if text not in INTERVALS:
        raise ValueError(f"--interval {text!r} is not one the archive has ({', '.join(INTERVALS)})")
    interval_ms(text)
    return text


def periods(since: date, until: date, today: date) -> tuple[list[str], list[str]]:
    """The months (``2024-01``) to fetch as monthly files and the days (``2024-02-03``) as daily ones.

    Every month from ``since``'s to ``until``'s that ended before ``today``'s month is a monthly file;
    days of ``today``'s month from ``since`` (or the 1st) to ``until`` or yesterday, whichever is first,
    are daily files (today's file is not published before the day is over).
    """
    this_month = today.replace(day=1)
    months: list[str] = []
    first = since.replace(day=1)
    while first <= until and first < this_month:
        months.append(f"{first:%Y-%m}")
        first = (first + timedelta(days=32)).replace(day=1)
    days = list(_days(max(since, this_month), min(until, today - timedelta(days=1))))
    return months, days


def _days(first: date, last: date) -> Iterator[str]:
    while first <= last:
        yield f"{first:%Y-%m-%d}"
        first += timedelta(days=1)


def metric_days(since: date, until: date, today: date) -> list[str]:
    """The days of the daily ``metrics`` files: ``since`` to ``until`` or yesterday."""
    return list(_days(since, min(until, today - timedelta(days=1))))


def klines_path(market: str, instrument: str, interval: str, period: str) -> str:
    """The path of a klines file; ``market`` is ``futures/um`` or ``spot``, ``period`` a month or a day."""
    every = "daily" if len(period) == 10 else "monthly"
    return f"data/{market}/{every}/klines/{instrument}/{interval}/{instrument}-{interval}-{period}.zip"


def metrics_path(instrument: str, day: str) -> str:
    """The path of one day's ``metrics`` file."""
    return f"data/futures/um/daily/metrics/{instrument}/{instrument}-metrics-{day}.zip"


def funding_path(instrument: str, month: str) -> str:
    """The path of one month's ``fundingRate`` file."""
    return f"data/futures/um/monthly/fundingRate/{instrument}/{instrument}-fundingRate-{month}.zip"


def spot_instrument(instrument: str) -> str:
    """The spot pair of a USD-M perpetual: ``1000PEPEUSDT`` -> ``PEPEUSDT`` (spot has no multiplier)."""
    base, _ = split_instrument("binance", instrument)
    return f"{base}USDT"


def instrument_candidates(text: str) -> tuple[str, list[str]]:
    """The base coin a user's symbol names and the perpetuals it may be, most likely first.

    ``BTC`` -> (BTC, [BTCUSDT, 1000BTCUSDT, ...]); a full instrument (``1000PEPEUSDT``) is taken as written.

    Raises:
        SymbolError: for text that is not a symbol.
    """
    raw = text.strip().upper()
    if _QUOTED.match(raw) and raw != "USDT":
        return split_instrument("binance", raw)[0], [raw]
    base = normalize_symbol(text)
    return base, [f"{prefix}{base}USDT" for prefix in MULTIPLIER_PREFIXES]


def plan_symbol(
    symbol: str,
    instrument: str,
    since: date,
    until: date,
    today: date,
    interval: str,
    spot: bool = True,
    metrics: bool = True,
) -> list[Archive]:
    """Every file of one instrument for the span: klines, then funding, metrics and spot klines."""
    months, days = periods(since, until, today)
    out = [
        Archive(symbol, instrument, "klines", klines_path("futures/um", instrument, interval, p))
        for p in months + days
    ]
    out += [Archive(symbol, instrument, "funding", funding_path(instrument, m)) for m in months]
    if metrics:
        out += [
            Archive(symbol, instrument, "metrics", metrics_path(instrument, d))
            for d in metric_days(since, until, today)
        ]
    if spot:
        pair = spot_instrument(instrument)
        out += [Archive(symbol, pair, "spot", klines_path("spot", pair, interval, p)) for p in months + days]
    return out


def parse_checksum(text: str, name: str) -> str:
    """The sha256 (lower-case hex) a ``.CHECKSUM`` body gives for ``name``.

    The body is ``<64 hex digits>  NAME`` (``sha256sum`` output; a ``*`` before the name marks binary mode).

    Raises:
        ValueError: a body that is not that, or that names another file.
    """
    fields = text.strip().split()
    if len(fields) != 2 or not _HEX64.match(fields[0]):
        raise ValueError(f"{name}.CHECKSUM is not '<sha256>  {name}'")
    if fields[1].lstrip("*") != name:
        raise ValueError(f"{name}.CHECKSUM names another file ({fields[1][:80]})")
    return fields[0].lower()


class VerifiedState:
    """The state file of verified files (``hash<TAB>size<TAB>path`` lines), appended as files verify."""

    def __init__(self, root: Path) -> None:
        self.path = root / STATE_NAME
        self.known: dict[str, tuple[str, int]] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                fields = line.split("\t")
                # A line cut short by a killed run is passed over: its file is simply fetched again.
                if len(fields) == 3 and _HEX64.match(fields[0]) and fields[1].isdigit():
                    self.known[fields[2]] = (fields[0], int(fields[1]))

    def is_verified(self, root: Path, relpath: str) -> bool:
        """Whether ``relpath`` was verified and is still there at the size it had."""
        entry = self.known.get(relpath)
        if entry is None:
            return False
        try:
            return (root / relpath).stat().st_size == entry[1]
        except OSError:
            return False

    def add(self, relpath: str, sha256: str, size: int) -> None:
        """Record a verified file (written through at once, so an interrupted run keeps it).

        Raises:
            OSError: the state file cannot be written.
        """
        self.known[relpath] = (sha256, size)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(f"{sha256}\t{size}\t{relpath}\n")


def remove_parts(root: Path) -> int:
    """Delete the ``.part`` files a killed run left under ``root``; how many there were."""
    count = 0
    if not root.is_dir():
        return 0
    for part in root.rglob(f"*{PART_SUFFIX}"):
        if part.is_file():
            part.unlink(missing_ok=True)
            count += 1
    return count


def symbols_arg(text: str) -> list[tuple[str, list[str]]]:
    """``--symbols BTC,1000PEPEUSDT`` as (base, candidate instruments) pairs, repeats dropped.

    Raises:
        ValueError: for an empty list or a bad symbol (naming it).
    """
    items = [t for t in (x.strip() for x in text.split(",")) if t]
    if not items:
        raise ValueError("--symbols names no symbol: write a comma-separated list like BTC,ETH")
    out: dict[str, list[str]] = {}
    for item in items:
        try:
            base, candidates = instrument_candidates(item)
        except SymbolError as exc:
            raise ValueError(f"--symbols: {exc}") from None
        out.setdefault(base, candidates)
    return list(out.items())


def by_symbol(files: Iterable[Archive]) -> dict[str, list[Archive]]:
    """``files`` grouped by base coin, in first-seen order."""
    out: dict[str, list[Archive]] = {}
    for f in files:
        out.setdefault(f.symbol, []).append(f)
    return out
