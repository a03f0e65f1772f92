"""Stream the research store symbol by symbol: its metadata first, then one symbol's bars at a time.

Built on ``feeds.history.parquet_read`` (the same files, schema checks, row checks and one-line errors);
only the symbol being yielded is read and held, so memory follows one series, not the data set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from feeds.history.csvfile import HistoryCsvError
from feeds.history.parquet_present import narrow, present, with_values
from feeds.history.parquet_read import _each, _file_symbols, _filtered, _source
from feeds.history.parquet_store import connect
from signals.columns import Col

if TYPE_CHECKING:
    import duckdb


@dataclass
class HistoryMeta:
    """What a streamed history holds, known before its bars are read.

    Attributes:
        path: the file or folder.
        symbols: the symbols that will be read, in that order (``[""]`` for one unnamed series); one
            left with no usable row is not yielded.
        step_ms: the bar step: the median time difference of the first symbol with two bars.
        columns: the signal columns with a value in the files read (from the Parquet statistics).
        problems: one line per kind of skipped row; it grows as the series are read.
        missing: the wanted symbols (as given, sorted) not in the history.
        in_file: every symbol of the history when a filter was given.
    """

    path: Path
    symbols: list[str]
    step_ms: float
    columns: tuple[str, ...]
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    in_file: list[str] = field(default_factory=list)


def stream_parquet_history(
    path: str | Path, symbols: set[str] | None = None
) -> tuple[HistoryMeta, Iterator[tuple[str, np.ndarray]]]:
    """A Parquet history symbol by symbol: its metadata now, then ``(symbol, bars)`` one at a time.

    Each symbol's bars are read when the iterator reaches it (its own partitions only; for one file, the
    row groups holding it), so memory follows one symbol's series. Symbols left with no usable row are
    not yielded (their skipped rows are in ``problems``).

    Raises:
        SymbolsNotInFile, HistoryCsvError: for the history as a whole, before anything is yielded; a
            partition that turns out unreadable later raises ``HistoryCsvError`` from the iterator.
    """
    path = Path(path)
    con = connect()
    try:
        src = _source(con, path)
        _file_symbols(con, src)
        keys, missing, in_file = _filtered(src, symbols)
        problems = list(src.notes)
        have = with_values(con, src, keys)
        columns = present(src, have)
        narrow(src, have)  # the columns NULL in every file are not read: they stay NaN
        # The step comes from the first symbol with two bars; it is kept and yielded, not read twice.
        head: list[tuple[str, np.ndarray]] = []
        step = None
        reads = _each(con, src, keys, problems)
        for k, bars in reads:
            head.append((k, bars))
            if len(bars) > 1:
                step = float(np.median(np.diff(bars[:, Col.TIME])))
                break
    except BaseException:
        con.close()
        raise
    if step is None:
        con.close()
        raise HistoryCsvError(f"{src.name}: the bar step needs at least two bars of one symbol")
    meta = HistoryMeta(path, keys, step, columns, problems, missing, in_file)
    return meta, _rest(con, reads, head)


def _rest(
    con: duckdb.DuckDBPyConnection,
    reads: Iterator[tuple[str, np.ndarray]],
    head: list[tuple[str, np.ndarray]],
) -> Iterator[tuple[str, np.ndarray]]:
    """Yield the symbols already read, then read and yield the others; the connection closes at the end."""
    with contextlib.closing(con):
        for key, bars in head:
            if len(bars):
                yield key, bars
        head.clear()  # let the first series go once it was handed over
        for key, bars in reads:
            if len(bars):
                yield key, bars
