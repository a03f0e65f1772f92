"""The history CSV of SIGNALS.md: read it into bar arrays, write bar arrays out as it.

``read_history_csv`` takes any file whose header names SIGNALS.md's input columns (only ``time`` and
``price`` required, ``oi_usd`` accepted for ``oi``, an optional ``symbol`` column giving one series per
symbol) and returns a ``HistoryFile``: bar arrays of ``signals.columns.COLUMNS`` per symbol, the step (median
time difference), the columns present, and one line per problem ("FILE line N: ...") for every row it had
to skip. ``write_history_csv`` writes the same shape back (time as ISO-8601 UTC). A file it cannot use at all
raises ``HistoryCsvError`` with a one-line message naming the file (``SymbolsNotInFile`` when none of the
wanted symbols is in it, with the ones it has).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from feeds.symbols import SymbolError, normalize_symbol
from signals.columns import COLUMNS, INDEX, Col
from signals.times import iso_utc

SYMBOL = "symbol"
OI_USD = "oi_usd"
# Below this a numeric time is taken as epoch seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
_SECONDS_BELOW = 1e11
_NON_NEGATIVE = frozenset(COLUMNS) - {"time", "funding", "premium"}  # the signed columns
_POSITIVE = frozenset({"price", "funding_interval_h"})


class HistoryCsvError(ValueError):
    """A history CSV that cannot be used at all; the message is one line naming the file."""


class SymbolsNotInFile(HistoryCsvError):
    """None of the wanted symbols has a row in the file, which does have other symbols.

    Attributes:
        missing: the wanted symbols, as given, sorted.
        present: the file's symbols, as written in it, in file order.
    """

    def __init__(self, name: str, missing: list[str], present: list[str]) -> None:
        self.missing = missing
        self.present = present
        super().__init__(f"{name}: no rows of {', '.join(missing)} (it has {symbol_listing(present)})")


def symbol_listing(symbols: list[str], shown: int = 10) -> str:
    """The first ``shown`` symbols and how many more: ``BTC, ETH and 3 more`` (a file may hold hundreds)."""
    head = ", ".join(symbols[:shown])
    return head + (f" and {len(symbols) - shown} more" if len(symbols) > shown else "")


@dataclass
class HistoryFile:
    """A history CSV as bar arrays.

    Attributes:
        path: the file read.
        series: symbol -> bars (n, len(COLUMNS)) oldest first, NaN where unknown; the key is ``""`` when
            the file has no symbol column.
        step_ms: the bar step, the median difference of consecutive times (within each series).
        columns: the signal columns with at least one value, in COLUMNS order (``oi`` when ``oi_usd`` was given).
        problems: one line per skipped row or ignored column, ``"FILE line N: ..."``.
        missing: the wanted symbols (as given, sorted) that have no row in the file.
        in_file: every symbol of the file (as written, in file order) when a wanted list filtered it, so
            a message can say what it has; empty without a filter (``series`` then holds them all).
        left_out: how many more symbols the file holds than ``max_symbols`` let through (0: none).
    """

    path: Path
    series: dict[str, np.ndarray]
    step_ms: float
    columns: tuple[str, ...]
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    in_file: list[str] = field(default_factory=list)
    left_out: int = 0


def parse_time_ms(text: str) -> float:
    """Epoch milliseconds of ``text``: epoch ms or s (told apart by size), or ISO-8601 (UTC if no offset).

    Raises:
        ValueError: if ``text`` is none of these.
    """
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        iso = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
        when = dt.datetime.fromisoformat(iso)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        return round(when.timestamp() * 1000)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"not a time: {text!r}")
    return value * 1000 if value < _SECONDS_BELOW else value


def _reader_columns(header: list[str], name: str) -> tuple[dict[str, int], int | None, list[str]]:
    """Map the header onto signal columns: (column -> field index, symbol field index, notes)."""
    where: dict[str, int] = {}
    notes = []
    symbol_at = None
    for i, raw in enumerate(header):
        col = raw.strip().lower()
        if col == SYMBOL:
            symbol_at = i
        elif col in INDEX or col == OI_USD:
            if col in where:
                notes.append(f"{name} line 1: column {col!r} appears twice; the first one is used")
            else:
                where[col] = i
        elif col:
            notes.append(f"{name} line 1: column {raw.strip()!r} is not a SIGNALS.md column; ignored")
    return where, symbol_at, notes


_NAN = float("nan")
_INF = float("inf")
# Plain ints for the per-row code: indexing a list with the Col enum costs ~80 ns a time, 5 % of a read.
_TIME, _PRICE, _OI = int(Col.TIME), int(Col.PRICE), int(Col.OI)


def _layout(where: dict[str, int]) -> tuple[tuple[str, int, int, int], ...]:
    """Per value column: (name, field index, bar index or -1 for ``oi_usd``, 0 any / 1 >= 0 / 2 > 0)."""
    out = []
    for col, i in where.items():
        if col == "time":
            continue
        rule = 2 if col in _POSITIVE else 1 if col in _NON_NEGATIVE or col == OI_USD else 0
        out.append((col, i, INDEX.get(col, -1), rule))
    return tuple(out)


def _row_values(
    fields: list[str], time_at: int, layout: tuple[tuple[str, int, int, int], ...]
) -> list[float]:
    """One row as a bar (a list, turned into an array once per file); ValueError with the reason if bad."""
    bar = [_NAN] * len(COLUMNS)
    try:
        bar[_TIME] = parse_time_ms(fields[time_at])
    except ValueError:
        raise ValueError(f"time {fields[time_at].strip()!r} is not epoch ms/s or ISO-8601") from None
    oi_usd = _NAN
    for col, i, j, rule in layout:
        text = fields[i]
        if not text or text.isspace():
            continue
        try:
            value = float(text)  # float() itself ignores surrounding spaces
        except ValueError:
            raise ValueError(f"{col} {text.strip()!r} is not a number") from None
        if math.isnan(value):
            continue
        if value == _INF or value == -_INF:
            raise ValueError(f"{col} {text.strip()!r} is not finite")
        if rule and (value < 0 or (rule == 2 and value == 0)):
            raise ValueError(f"{col} {text.strip()} is {'negative' if value < 0 else 'zero'}")
        if j < 0:
            oi_usd = value
        else:
            bar[j] = value
    if math.isnan(bar[_PRICE]):
        raise ValueError("price is missing")
    if math.isnan(bar[_OI]) and not math.isnan(oi_usd):
        bar[_OI] = oi_usd / bar[_PRICE]
    return bar


def _wanted(symbols: set[str] | None) -> tuple[set[str], set[str]] | None:
    """The filter as given and as base coins (``BTCUSDT`` and ``BTC`` then pick the same rows)."""
    if symbols is None:
        return None
    coins = set()
    for s in symbols:
        with contextlib.suppress(SymbolError):
            coins.add(normalize_symbol(s))
    return set(symbols), coins


def read_history_csv(
    path: str | Path,
    symbols: set[str] | None = None,
    since_ms: int | None = None,
    max_symbols: int | None = None,
) -> HistoryFile:
    """Read a history CSV.

    Args:
        path: the file.
        symbols: keep only these symbols (as written, or as base coins: ``BTC`` matches ``BTCUSDT``); ignored
            for a file without a symbol column.
        since_ms: keep only bars at or after this time (epoch ms).
        max_symbols: keep the rows of the first this many symbols (in file order) only; the others are
            counted in ``left_out`` and never held, so memory follows the symbols kept.

    Raises:
        SymbolsNotInFile: none of ``symbols`` is in a file that has a symbol column.
        HistoryCsvError: the file cannot be read, lacks a time or price column, or has no usable row.
    """
    path = Path(path)
    name = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = csv.reader(fh)
            header = next(rows, None)
            if header is None:
                raise HistoryCsvError(f"{name}: the file is empty")
            where, symbol_at, problems = _reader_columns(header, name)
            lacking = [c for c in ("time", "price") if c not in where]
            if lacking:
                raise HistoryCsvError(f"{name}: no {' or '.join(lacking)} column in the header (line 1)")
            wanted = _wanted(symbols)
            match: dict[str, bool] = {}
            by_symbol: dict[str, list[list[float]]] = {}
            dropped: set[str] = set()
            time_at, layout = where["time"], _layout(where)
            width = max([*where.values(), symbol_at or 0]) + 1
            for fields in rows:
                line = rows.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue
                if len(fields) < width:
                    problems.append(f"{name} line {line}: {len(fields)} fields, the header has {len(header)}")
                    continue
                key = fields[symbol_at].strip() if symbol_at is not None else ""
                if symbol_at is not None and not key:
                    problems.append(f"{name} line {line}: the symbol is empty")
                    continue
                if wanted is not None and symbol_at is not None:
                    keep = match.get(key)
                    if keep is None:
                        keep = match[key] = key in wanted[0] or _coin(key) in wanted[1]
                    if not keep:
                        continue
                if max_symbols is not None and key not in by_symbol and len(by_symbol) >= max_symbols:
                    dropped.add(key)
                    continue
                try:
                    bar = _row_values(fields, time_at, layout)
                except ValueError as exc:
                    problems.append(f"{name} line {line}: {exc}")
                    continue
                if since_ms is not None and bar[_TIME] < since_ms:
                    continue
                by_symbol.setdefault(key, []).append(bar)
    except OSError as exc:
        raise HistoryCsvError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise HistoryCsvError(f"{name}: not a text (UTF-8) file") from None
    except csv.Error as exc:
        raise HistoryCsvError(f"{name}: not a CSV file ({exc})") from None
    missing = _unmatched(symbols, [key for key, kept in match.items() if kept]) if match else []
    if not by_symbol and missing and len(missing) == len(symbols or ()):
        # The filter matched no row of a file that has symbols: name the filter, not "no usable rows".
        raise SymbolsNotInFile(name, missing, list(match))
    if not by_symbol:
        raise HistoryCsvError(f"{name}: no usable rows" + (f" ({len(problems)} bad)" if problems else ""))
    series = {
        key: _ordered(np.array(bars, dtype=np.float64), name, key, problems)
        for key, bars in by_symbol.items()
    }
    diffs = [np.diff(b[:, Col.TIME]) for b in series.values() if len(b) > 1]
    if not diffs:
        raise HistoryCsvError(f"{name}: the bar step needs at least two bars of one symbol")
    step = float(np.median(np.concatenate(diffs)))
    present = np.zeros(len(COLUMNS), dtype=bool)
    for b in series.values():
        present |= ~np.isnan(b).all(axis=0)
    columns = tuple(c for c in COLUMNS if present[INDEX[c]])
    return HistoryFile(path, series, step, columns, problems, missing, list(match), len(dropped))


def _unmatched(symbols: set[str] | None, matched: list[str]) -> list[str]:
    """The wanted symbols, as given and sorted, that match none of the file's ``matched`` symbols."""
    coins = {_coin(key) for key in matched}
    return sorted(s for s in symbols or () if s not in matched and _coin(s) not in coins)


def _coin(symbol: str) -> str:
    try:
        return normalize_symbol(symbol)
    except SymbolError:
        return symbol


def _ordered(bars: np.ndarray, name: str, key: str, problems: list[str]) -> np.ndarray:
    """Bars sorted by time; of bars with the same time, the last one in the file is kept (and reported)."""
    order = np.argsort(bars[:, Col.TIME], kind="stable")
    bars = bars[order]
    t = bars[:, Col.TIME]
    dup = np.flatnonzero(t[1:] == t[:-1])
    if dup.size:
        who = f" for {key}" if key else ""
        problems.append(f"{name}: {dup.size} repeated time(s){who}; the later row of each was kept")
        keep = np.ones(len(t), dtype=bool)
        keep[dup] = False
        bars = bars[keep]
    return bars


def _cells(values: np.ndarray) -> list[str]:
    # repr is the shortest text that reads back to the same float, so a round trip is exact.
    return ["" if math.isnan(v) else repr(v) for v in values.tolist()]


def write_history_csv(path: str | Path | TextIO, series: Mapping[str, np.ndarray], step_ms: float) -> None:
    """Write bar arrays as a history CSV.

    The header is ``time`` (ISO-8601 UTC), then ``symbol`` when there is more than one series or the only
    one has a name (so a round trip keeps it), then every other column with at least one value.

    Args:
        path: the file to write (replaced), or an open text stream to write to (left open).
        series: symbol -> bars (n, len(COLUMNS)) oldest first.
        step_ms: the bar step; times are written to the second when it and every time are whole seconds,
            else to the millisecond.

    Raises:
        ValueError: for a bar array of the wrong shape or a step that is not positive.
    """
    if not step_ms > 0:
        raise ValueError(f"the bar step must be positive, got {step_ms!r}")
    present = np.zeros(len(COLUMNS), dtype=bool)
    for key, bars in series.items():
        if bars.ndim != 2 or bars.shape[1] != len(COLUMNS):
            raise ValueError(f"series {key!r}: expected (n, {len(COLUMNS)}) bars, got {bars.shape}")
        present |= ~np.isnan(bars).all(axis=0)
    cols = [i for i in range(len(COLUMNS)) if i != Col.TIME and present[i]]
    named = len(series) > 1 or any(series)
    whole = step_ms % 1000 == 0 and all(not (b[:, Col.TIME] % 1000).any() for b in series.values())
    with contextlib.ExitStack() as files:
        fh = (
            files.enter_context(Path(path).open("w", newline="", encoding="utf-8"))
            if isinstance(path, (str, Path))
            else path
        )
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["time", *([SYMBOL] if named else []), *(COLUMNS[i] for i in cols)])
        for key, bars in series.items():
            times = [iso_utc(ms, "seconds" if whole else "milliseconds") for ms in bars[:, Col.TIME].tolist()]
            columns = [_cells(bars[:, i]) for i in cols]
            lead = [[key]] * len(times) if named else [[]] * len(times)
            out.writerows([t, *k, *cells] for t, k, *cells in zip(times, lead, *columns, strict=True))
