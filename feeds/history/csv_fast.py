"""A fast path for the history CSV: DuckDB reads a clean file, the Python reader keeps everything else.

``read_csv_fast`` returns the very ``HistoryFile`` that ``csvfile.read_history_csv``'s Python reader would
(the same arrays bit for bit, step, columns, filters, order), or ``None`` whenever it cannot prove the file
clean: then the caller reads the WHOLE file in Python, so every problem keeps its exact line number and
wording. "Clean" means no row the Python reader would skip or report: any cast error or column count
mismatch in DuckDB's strict read, an empty symbol, a missing/negative/non-finite time, a value rule broken
(negative where non-negative is required, non-positive price, infinite), a missing price, a repeated time.
The header is read by the Python reader's own code, so its notes (ignored or repeated columns) are its own.

Why the file must be plain to qualify (checked by one byte scan): without a '"' byte, the CSV module and
DuckDB split fields alike (no quoting rules to disagree on); ASCII only, because the Python reader rejects
invalid UTF-8 in any column and DuckDB need not check a column it is not asked for; no NUL or CR, which
the two readers treat differently. Times are epoch numbers (DOUBLE, as ``float()``; every string DuckDB
parses as a DOUBLE ``float()`` parses to the same value) or ISO-8601 in one of a few UTC layouts, each row
checked to print back to its own text, so no lenient parse (``2025-1-1``) slips through.

No separate streaming form: ``source.stream_history`` reads a CSV through ``read_history_csv`` (so through
this path) and hands its series out one by one. Holding the file in DuckDB to hand out a symbol at a time
was measured at a higher peak (DuckDB's in-memory table of 864,000 rows: ~90 MB, plus ~150 MB of parse
buffers at its peak) than these bar arrays (69 MB). DuckDB is imported inside the functions only.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from feeds.history.csvfile import (
    _NON_NEGATIVE,
    _POSITIVE,
    _SECONDS_BELOW,
    OI_USD,
    HistoryFile,
    _coin,
    _reader_columns,
    _unmatched,
    _wanted,
)
from signals.columns import COLUMNS, INDEX, Col

_CHUNK = 1 << 23  # 8 MB per read of the byte scan: memory stays flat, memchr stays fast
_MAX_FIELD = csv.field_size_limit()  # a longer line may hold a field the csv module refuses
_BUFFER = 1 << 22  # DuckDB's read buffer per thread: its default (32 MB) adds ~60 MB to the peak, not speed
# The ISO layouts taken (UTC only, whole milliseconds at most): the first row picks one for the file.
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ])\d{2}:\d{2}:\d{2}(\.\d{3})?(Z|\+00:00)?")


def _iso_format(text: str) -> str | None:
    """The DuckDB strptime format that prints back as ``text``, if it is one of the layouts taken."""
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    sep, frac, zone = m.groups()
    return f"%Y-%m-%d{sep}%H:%M:%S{'.%g' if frac else ''}{zone or ''}"


def _plain(path: Path) -> bool:
    """Whether the file after its BOM is ASCII without '"', NUL or CR (see the module docstring)."""
    with path.open("rb") as fh:
        first = True
        while chunk := fh.read(_CHUNK):
            if first and chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
            first = False
            if not chunk.isascii() or b'"' in chunk or b"\x00" in chunk or b"\r" in chunk:
                return False
    return True


@dataclass
class _Plan:
    """How to read one file: the header's columns and notes, the time's kind, the value columns."""

    name: str
    width: int  # fields in the header
    time_at: int
    time_format: str | None  # None: an epoch number (DOUBLE)
    symbol_at: int | None
    values: list[tuple[str, int]]  # (column as in the header, or oi_usd; field index)
    notes: list[str]


def _plan(path: Path) -> _Plan | None:
    """Read the header with the Python reader's own code and pick the time's kind from the first row."""
    name = str(path)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = csv.reader(fh)
        header = next(rows, None)
        if header is None or rows.line_num != 1:
            return None
        first = next((r for r in rows if r and not (len(r) == 1 and not r[0].strip())), None)
    where, symbol_at, notes = _reader_columns(header, name)
    if "time" not in where or "price" not in where or first is None or len(first) != len(header):
        return None
    text = first[where["time"]].strip()
    try:
        float(text)
        time_format = None
    except ValueError:
        time_format = _iso_format(text)
        if time_format is None:
            return None
    values = [(c, i) for c, i in where.items() if c != "time"]
    return _Plan(name, len(header), where["time"], time_format, symbol_at, values, notes)


def _query(plan: _Plan) -> str:
    """One pass over the file, in file order: symbol, time (ms), whether the row is bad, the values."""
    types = {f"c{i}": "VARCHAR" for i in range(plan.width)}
    bad = []
    for col, i in plan.values:
        types[f"c{i}"] = "DOUBLE"
        # NaN compares as the largest value in DuckDB, so no rule catches a "nan" cell (Python skips it
        # too); an empty cell is NULL, which coalesce turns into "not bad".
        rule = (
            " OR {0} <= 0" if col in _POSITIVE else " OR {0} < 0" if col in _NON_NEGATIVE | {OI_USD} else ""
        )
        bad.append(f"coalesce(isinf(c{i}){rule.format(f'c{i}')}, false)")
        if col == "price":
            bad.append(f"c{i} IS NULL OR isnan(c{i})")
    c = f"c{plan.time_at}"
    if plan.time_format is None:
        types[c] = "DOUBLE"
        # As parse_time_ms: below 1e11 a number is epoch seconds (the product is IEEE, as in Python).
        time = f"CASE WHEN {c} < {_SECONDS_BELOW!r} THEN {c} * 1000 ELSE {c} END"
        bad.append(f"{c} IS NULL OR NOT isfinite({c}) OR {c} < 0")
    else:
        fmt = plan.time_format
        time = f"CAST(epoch_ms(try_strptime({c}, '{fmt}')) AS DOUBLE)"
        # Printed back, a strictly parsed time is its own text; a lenient parse ("2025-1-1") is not.
        bad.append(f"coalesce(strftime(try_strptime({c}, '{fmt}'), '{fmt}') <> {c}, true)")
    sym = ""
    if plan.symbol_at is not None:
        sym = f"c{plan.symbol_at} AS sym, "
        bad.append(f"c{plan.symbol_at} IS NULL")
    values = "".join(f", c{i} AS v{k}" for k, (_, i) in enumerate(plan.values))
    spec = ", ".join(f"'{col}': '{kind}'" for col, kind in types.items())
    return (
        f"SELECT {sym}{time} AS t, {' OR '.join(f'({b})' for b in bad)} AS bad{values} "
        f"FROM read_csv(?, header = false, skip = 1, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, null_padding = false, max_line_size = {_MAX_FIELD}, "
        f"buffer_size = {_BUFFER}, columns = {{{spec}}})"
    )


def _codes(syms: np.ndarray | None, n: int) -> tuple[np.ndarray, list[str]] | None:
    """Each row's symbol as an index into the file's symbols (in the order they first appear)."""
    if syms is None:
        return np.zeros(n, dtype=np.int64), [""]
    # Rows come in runs of one symbol (a file is usually written symbol by symbol): look up each run once.
    starts = np.concatenate(([0], np.flatnonzero(syms[1:] != syms[:-1]) + 1))
    seen: dict[str, int] = {}
    runs = [seen.setdefault(s, len(seen)) for s in syms[starts].tolist()]
    codes = np.repeat(np.array(runs, dtype=np.int64), np.diff(np.append(starts, n)))
    names = list(seen)
    if any(s != s.strip() for s in names):
        return None  # " BTC" and "BTC" are one series to the Python reader: let it merge them
    return codes, names


@dataclass
class _Pick:
    """The symbols kept (as codes), in the order the Python reader would first hold them, and its report."""

    codes: list[int]
    missing: list[str]
    in_file: list[str]
    left_out: int


def _pick(
    code: np.ndarray,
    t: np.ndarray,
    names: list[str],
    named: bool,
    symbols: set[str] | None,
    since_ms: int | None,
    max_symbols: int | None,
) -> _Pick | None:
    """Apply the filter, ``since_ms`` and ``max_symbols`` as the Python reader's row loop does."""
    wanted = _wanted(symbols) if named else None
    match = [wanted is None or s in wanted[0] or _coin(s) in wanted[1] for s in names]
    # A symbol is held from its first row at or after since_ms; once max_symbols are held, every
    # later row of another symbol drops that symbol (it counts in left_out).
    rows = np.flatnonzero(t >= since_ms) if since_ms is not None else np.arange(len(t))
    have, at = np.unique(code[rows], return_index=True)
    held = sorted((int(rows[i]), int(c)) for c, i in zip(have, at, strict=True) if match[c])
    left_out = 0
    if max_symbols is not None and len(held) >= max_symbols:
        full_at, held = held[max_symbols - 1][0], held[:max_symbols]
        kept = {c for _, c in held}
        later = np.unique(code[full_at + 1 :])
        left_out = sum(1 for c in later.tolist() if match[c] and c not in kept)
    if not held:
        return None  # the Python reader raises the right error
    keys = [c for _, c in held]
    if wanted is None:
        return _Pick(keys, [], [], left_out)
    matched = [s for s, m in zip(names, match, strict=True) if m]
    return _Pick(keys, _unmatched(symbols, matched), list(names), left_out)


def _order(
    code: np.ndarray, t: np.ndarray, keys: list[int], since_ms: int | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """(row indices, series index) of the kept rows, by series (``keys`` order) then time; None on a
    repeated time."""
    rank = np.full(int(code.max()) + 1, -1, dtype=np.int64)
    rank[keys] = np.arange(len(keys))
    r = rank[code]
    keep = r >= 0
    if since_ms is not None:
        keep &= t >= since_ms
    rows = np.flatnonzero(keep)
    r, tt = r[rows], t[rows]
    # A file written symbol by symbol, oldest first, is in order already: no sort to pay for.
    same = r[1:] == r[:-1]
    if not ((r[1:] >= r[:-1]).all() and (~same | (tt[1:] > tt[:-1])).all()):
        by = np.lexsort((tt, r))
        rows, r, tt = rows[by], r[by], tt[by]
        same = r[1:] == r[:-1]
    if (same & (tt[1:] == tt[:-1])).any():
        return None  # the Python reader reports repeated times (and keeps the later row)
    return rows, r


def _columns(bars: np.ndarray) -> tuple[str, ...]:
    """The columns with at least one value, in COLUMNS order (as the Python reader's ``columns``)."""
    present = ~np.isnan(bars).all(axis=0)
    return tuple(c for c in COLUMNS if present[INDEX[c]])


def _step(series_of: np.ndarray, t: np.ndarray) -> float | None:
    """The median time difference within each series (the Python reader's step), None if there is none."""
    same = series_of[1:] == series_of[:-1]
    if not same.any():
        return None
    return float(np.median(np.diff(t)[same]))


def read_csv_fast(
    path: str | Path,
    symbols: set[str] | None = None,
    since_ms: int | None = None,
    max_symbols: int | None = None,
) -> HistoryFile | None:
    """The Python reader's ``HistoryFile`` for a clean file, read by DuckDB; None: read it in Python.

    Args and result: as ``csvfile.read_history_csv``. Never raises for a bad file (None instead); a
    missing DuckDB also gives None.
    """
    path = Path(path)
    try:
        return _read(path, symbols, since_ms, max_symbols)
    except Exception:  # whatever DuckDB or the file says, the Python reader says it better
        return None


def _fetch(path: Path, plan: _Plan) -> dict[str, np.ndarray] | None:
    """The query's columns, fetched as DuckDB parses (never all held twice); None if DuckDB refused a row."""
    import duckdb

    from feeds.history.parquet_store import connect

    con = connect()
    try:
        return dict(con.execute(_query(plan), [str(path)]).fetchnumpy())
    except duckdb.Error:
        return None  # a cast error, a short or long row: the Python reader says which line
    finally:
        con.close()


def _filled(values: np.ndarray) -> np.ndarray:
    """As float64 with NaN for NULL (and the one NaN the Python reader leaves for an empty or "nan" cell)."""
    out = np.ma.filled(np.ma.asarray(values, dtype=np.float64), np.nan)
    out[np.isnan(out)] = np.nan
    return out


def _read(
    path: Path, symbols: set[str] | None, since_ms: int | None, max_symbols: int | None
) -> HistoryFile | None:
    if (max_symbols is not None and max_symbols <= 0) or not _plain(path):
        return None
    plan = _plan(path)
    if plan is None:
        return None
    data = _fetch(path, plan)
    if data is None or not len(data["t"]) or np.ma.filled(data.pop("bad"), True).any():
        return None
    t = _filled(data.pop("t"))
    named = plan.symbol_at is not None
    coded = _codes(data.pop("sym") if named else None, len(t))
    if coded is None:
        return None
    code, names = coded
    pick = _pick(code, t, names, named, symbols, since_ms, max_symbols)
    ordered = None if pick is None else _order(code, t, pick.codes, since_ms)
    if pick is None or ordered is None:
        return None
    rows, series_of = ordered
    del code
    every = len(rows) == len(t) and bool((rows[1:] > rows[:-1]).all())  # all rows, in file order
    bars = np.empty((len(rows), len(COLUMNS)))
    bars[:, 1:] = np.nan
    bars[:, Col.TIME] = t if every else t[rows]
    del t
    oi_usd = None
    for k, (col, _) in enumerate(plan.values):
        v = _filled(data.pop(f"v{k}"))  # one column at a time: the peak is the bars plus one column
        v = v if every else v[rows]
        if col == OI_USD:
            oi_usd = v
        else:
            bars[:, INDEX[col]] = v
    if oi_usd is not None:
        fill = np.isnan(bars[:, Col.OI]) & ~np.isnan(oi_usd)
        bars[fill, Col.OI] = oi_usd[fill] / bars[fill, Col.PRICE]
    step = _step(series_of, bars[:, Col.TIME])
    if step is None:
        return None
    bounds = np.searchsorted(series_of, np.arange(len(pick.codes) + 1))
    series = {names[c]: bars[bounds[i] : bounds[i + 1]] for i, c in enumerate(pick.codes)}
    return HistoryFile(
        path, series, step, _columns(bars), plan.notes, pick.missing, pick.in_file, pick.left_out
    )
