"""Read the research store (``feeds.history.parquet_store``) back into bar arrays (``parquet_stream``: by symbol).

Accepted: a partitioned folder (``DIR/symbol=S/.../*.parquet``, every file of one schema), or one Parquet
file with a ``symbol`` column (many series) or without one (one series, key ``""``), whether perptop
wrote it or another engine did. Columns are matched by name as the history CSV's header is (``time`` and
``price`` required, ``oi_usd`` accepted for ``oi``, others noted and ignored); ``time`` is a timestamp or
epoch ms (or s, told apart by size). Rows the CSV reader would skip (no price, a negative volume, ...)
are skipped and counted, one line per file, symbol and reason. Whatever cannot be used at all raises the
CSV reader's ``HistoryCsvError`` (``SymbolsNotInFile`` for a filter that matches nothing): one line naming
the file or partition, never a DuckDB traceback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import numpy as np

from feeds.history.csvfile import (
    OI_USD,
    HistoryCsvError,
    HistoryFile,
    SymbolsNotInFile,
    _coin,
    _unmatched,
    _wanted,
)
from feeds.history.parquet_present import narrow, with_values
from feeds.history.parquet_rows import checked_bars as _checked
from feeds.history.parquet_schema import widest_schema
from feeds.history.parquet_source import READ, READ_BY_NAME, Source, query
from feeds.history.parquet_store import SYMBOL_KEY, YEAR_KEY, connect
from signals.columns import COLUMNS, INDEX, Col

if TYPE_CHECKING:
    import duckdb

_NUMBERS = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)


def _folder_files(root: Path) -> dict[str, list[str]]:
    """symbol -> its Parquet files (sorted) under ``root/symbol=S``; hidden and temporary files skipped."""
    files: dict[str, list[str]] = {}
    for sub in sorted(root.glob(f"{SYMBOL_KEY}=*")):
        if not sub.is_dir():
            continue
        found = sorted(
            str(f)
            for f in sub.rglob("*.parquet")
            if f.is_file() and not any(p.startswith((".", "_")) for p in f.relative_to(sub).parts)
        )
        if found:
            files[unquote(sub.name.split("=", 1)[1])] = found
    return files


def _schemas(
    con: duckdb.DuckDBPyConnection, files: list[str], where: str
) -> dict[str, list[tuple[str, ...]]]:
    """file -> its columns as (name, physical type, converted type, logical type), root row left out."""
    got = query(
        con,
        "SELECT file_name, name, type, converted_type, logical_type, num_children FROM parquet_schema(?)",
        [files],
        where,
    )
    out: dict[str, list[tuple[str, ...]]] = {f: [] for f in files}
    rows = zip(*(v.tolist() for v in got.values()), strict=True)
    for f, name, kind, conv, logical, children in rows:
        if children is None:  # the root (and any group) has children; a plain column has none
            out.setdefault(f, []).append((str(name), str(kind), str(conv), str(logical)))
    return out


def _source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Find the files, check that they share one schema, and map it onto the signal columns."""
    name = str(path)
    if path.is_dir():
        files = _folder_files(path)
        if not files:
            raise HistoryCsvError(
                f"{name}: no {SYMBOL_KEY}=NAME partitions holding .parquet files in the folder"
            )
    elif path.is_file():
        files = {"": [str(path)]}
    else:
        raise HistoryCsvError(f"{name}: no such file or folder")
    every = [f for fs in files.values() for f in fs]
    widest, by_name = widest_schema(_schemas(con, every, name), every)  # older partitions: narrower
    described = query(con, "DESCRIBE SELECT * FROM read_parquet(?)", [widest], widest)
    types = dict(zip(described["column_name"].tolist(), described["column_type"].tolist(), strict=True))
    src = _mapped(path, name, files, types, widest)
    src.read = READ_BY_NAME if by_name else READ
    return src


def _mapped(path: Path, name: str, files: dict[str, list[str]], types: dict[str, str], shown: str) -> Source:
    """The SELECT list for the file's columns (matched like the CSV header), or why it cannot be read."""
    where: dict[str, str] = {}
    notes: list[str] = []
    symbol_column = None
    for raw, kind in types.items():
        col = raw.strip().lower()
        if col == SYMBOL_KEY and path.is_file():
            symbol_column = raw
        elif col in (SYMBOL_KEY, YEAR_KEY) and path.is_dir():
            continue  # partition columns some writers also keep in the files: the path says the same
        elif col in INDEX or col == OI_USD:
            if col in where:
                notes.append(f"{shown}: column {col!r} appears twice; the first one is used")
                continue
            if col != "time" and kind not in _NUMBERS and not kind.startswith("DECIMAL"):
                raise HistoryCsvError(f"{shown}: column {raw!r} is {kind}, not a number")
            where[col] = raw
        else:
            notes.append(f"{shown}: column {raw!r} is not a SIGNALS.md column; ignored")
    lacking = [c for c in ("time", "price") if c not in where]
    if lacking:
        raise HistoryCsvError(f"{shown}: no {' or '.join(lacking)} column")
    kind = types[where["time"]]
    quoted = '"' + where["time"].replace('"', '""') + '"'
    if kind.startswith("TIMESTAMP"):
        time, numeric = f"epoch_us({quoted}) / 1000.0", False
    elif kind in _NUMBERS or kind.startswith("DECIMAL"):
        time, numeric = f"CAST({quoted} AS DOUBLE)", True
    else:
        raise HistoryCsvError(
            f"{shown}: column {where['time']!r} is {kind}; time must be a timestamp or epoch ms"
        )
    cols = tuple(c for c in where if c != "time")
    return Source(path, name, files, time, where, cols, numeric, symbol_column, notes)


def _file_symbols(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    """Split a file with a symbol column into its symbols, in the order they first appear."""
    if src.symbol_column is None:
        return
    file = src.files[""][0]
    col = '"' + src.symbol_column.replace('"', '""') + '"'
    got = query(
        con,
        f"SELECT CAST({col} AS VARCHAR) AS s, count(*) AS n FROM read_parquet(?, file_row_number = true) "
        f"GROUP BY s ORDER BY min(file_row_number)",
        [file],
        file,
    )
    src.files = {}
    for s, n in zip(got["s"].tolist(), got["n"].tolist(), strict=True):
        if s is None or not str(s).strip():
            src.notes.append(f"{file}: {n} row(s) with an empty symbol; skipped")
        else:
            src.files[str(s)] = [file]


def _bars(con: duckdb.DuckDBPyConnection, src: Source, key: str, problems: list[str]) -> np.ndarray:
    """One symbol's bars (sorted, repeated times resolved), its bad rows skipped and counted."""
    files = src.files[key]
    where = files[0] if len(files) == 1 else f"{src.name} ({SYMBOL_KEY}={key})"
    sql = f"SELECT {src.select} FROM read_parquet(?, {src.read})"
    params: list[object] = [files]
    if src.symbol_column is not None:
        sql += ' WHERE CAST("{}" AS VARCHAR) = ?'.format(src.symbol_column.replace('"', '""'))
        params.append(key)
    return _checked(src, key, query(con, sql, params, where), where, problems)


_BATCH_SYMBOLS = 16
"""Folder symbols fetched per query: one query per symbol cost 4 ms of DuckDB overhead for a month of
5-minute bars (0.4 s of a 100-symbol backtest's 2.5 s); 16 cut that to a tenth."""
_BATCH_ROWS = 1 << 18
"""And about this many rows per query at most (predicted from the files' sizes), so memory stays bounded
by the batch whatever the symbols hold (years of bars gain little from batching: the scan dominates)."""


def _each(
    con: duckdb.DuckDBPyConnection, src: Source, keys: list[str], problems: list[str]
) -> Iterator[tuple[str, np.ndarray]]:
    """Each symbol's bars in ``keys`` order, as ``_bars`` reads them, a folder's several symbols per query.

    A batch is one ``read_parquet`` over its symbols' files in order, split back by each row's file (the
    scan keeps the files' order and their row order, as the one-symbol query does, and the split checks
    it). A batch that fails is read again symbol by symbol, so the error names the partition at fault
    and the symbols before it are yielded first, as before. The first batch is one symbol: its rows per
    byte of Parquet size the next batches (the largest ratio seen so far is used).
    """
    import duckdb

    if src.symbol_column is not None or not src.path.is_dir():
        for key in keys:
            yield key, _bars(con, src, key, problems)
        return
    rows_per_byte = 0.0
    at = 0
    while at < len(keys):
        batch = [keys[at]]
        sizes = [_size(src.files[keys[at]])]
        while at + len(batch) < len(keys) and len(batch) < _BATCH_SYMBOLS and rows_per_byte > 0:
            more = _size(src.files[keys[at + len(batch)]])
            if (sum(sizes) + more) * rows_per_byte > _BATCH_ROWS:
                break
            batch.append(keys[at + len(batch)])
            sizes.append(more)
        at += len(batch)
        files = [f for k in batch for f in src.files[k]]
        try:
            got = con.execute(
                f"SELECT {src.select}, file_index AS __file FROM read_parquet(?, {src.read})",
                [files],
            ).fetchnumpy()
        except duckdb.Error:  # a bad file (or a DuckDB without file_index): one by one, as before
            for key in batch:
                yield key, _bars(con, src, key, problems)
            continue
        owner = got.pop("__file").astype(np.int64)
        if owner.size > 1 and not (owner[1:] >= owner[:-1]).all():  # not the files' order: never seen
            order = np.argsort(owner, kind="stable")
            owner = owner[order]
            got = {c: v[order] for c, v in got.items()}
        rows_per_byte = max(rows_per_byte, owner.size / max(1, sum(sizes)))
        first = 0
        for key in batch:
            n_files = len(src.files[key])
            lo, hi = np.searchsorted(owner, [first, first + n_files])
            first += n_files
            files = src.files[key]
            where = files[0] if len(files) == 1 else f"{src.name} ({SYMBOL_KEY}={key})"
            yield key, _checked(src, key, {c: v[lo:hi] for c, v in got.items()}, where, problems)
        del got, owner


def _size(files: list[str]) -> int:
    """Bytes of ``files`` on disk (0 for one that went away: its read will say so)."""
    total = 0
    for f in files:
        with contextlib.suppress(OSError):
            total += os.stat(f).st_size
    return total


def _filtered(src: Source, symbols: set[str] | None) -> tuple[list[str], list[str], list[str]]:
    """(symbols to read in order, wanted ones missing, the history's symbols when filtered)."""
    present = list(src.files)
    wanted = _wanted(symbols)
    if wanted is None or present == [""]:
        return present, [], []
    keep = [s for s in present if s in wanted[0] or _coin(s) in wanted[1]]
    missing = _unmatched(symbols, keep)
    if not keep:
        raise SymbolsNotInFile(src.name, missing, present)
    return keep, missing, present


def _whole_file(
    con: duckdb.DuckDBPyConnection, src: Source, keys: list[str], problems: list[str]
) -> dict[str, np.ndarray]:
    """Every wanted symbol of one file in a single scan, split here (a query per symbol rescans the file)."""
    file = src.files[keys[0]][0]
    col = 'CAST("{}" AS VARCHAR)'.format((src.symbol_column or "").replace('"', '""'))
    sql = f"SELECT {src.select}, {col} AS __symbol FROM read_parquet(?) WHERE {col} IN (SELECT unnest(?))"
    got = query(con, sql, [file, keys], file)
    names, codes = np.unique(got.pop("__symbol").astype(str), return_inverse=True)
    order = np.argsort(codes, kind="stable")  # file order within each symbol, as the per-symbol read
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    at = {str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)}
    empty = np.zeros(0, dtype=np.int64)
    return {
        k: _checked(src, k, {c: v[at.get(k, empty)] for c, v in got.items()}, file, problems) for k in keys
    }


def read_parquet_history(
    path: str | Path, symbols: set[str] | None = None, max_symbols: int | None = None
) -> HistoryFile:
    """A Parquet history (file or partitioned folder) as the ``HistoryFile`` the CSV reader returns.

    Args:
        path: the file or folder.
        symbols: keep only these (as written, or as base coins).
        max_symbols: read the first this many symbols only (partition or file order); the rest are
            counted in ``left_out`` and never read.

    Raises:
        SymbolsNotInFile, HistoryCsvError: as ``read_history_csv``, naming the file or partition.
    """
    path = Path(path)
    con = connect()
    try:
        src = _source(con, path)
        _file_symbols(con, src)
        keys, missing, in_file = _filtered(src, symbols)
        left_out = max(0, len(keys) - max_symbols) if max_symbols is not None else 0
        keys = keys[: len(keys) - left_out]
        problems = list(src.notes)

        narrow(src, with_values(con, src, keys))  # the columns NULL in every file stay NaN, unread
        if src.symbol_column is not None:
            read = _whole_file(con, src, keys, problems)
        else:
            read = dict(_each(con, src, keys, problems))
        series = {k: b for k, b in read.items() if len(b)}
    finally:
        con.close()
    if not series:
        raise HistoryCsvError(
            f"{src.name}: no usable rows" + (f" ({len(problems)} problems)" if problems else "")
        )
    diffs = [np.diff(b[:, Col.TIME]) for b in series.values() if len(b) > 1]
    if not diffs:
        raise HistoryCsvError(f"{src.name}: the bar step needs at least two bars of one symbol")
    present = np.zeros(len(COLUMNS), dtype=bool)
    for b in series.values():
        present |= ~np.isnan(b).all(axis=0)
    columns = tuple(c for c in COLUMNS if present[INDEX[c]])
    step = float(np.median(np.concatenate(diffs)))
    return HistoryFile(path, series, step, columns, problems, missing, in_file, left_out)
