"""One way in to a history, whatever it is stored as: a history CSV, a Parquet file, or a partitioned folder.

``open_history`` reads it whole into the ``HistoryFile`` of ``feeds.history.csvfile`` (so replay and the
backtest use it unchanged); ``stream_history`` gives its ``HistoryMeta`` first and then one symbol's bars
at a time, so memory follows one series. The kind is chosen by what the path is: a folder is a Parquet
store (``DIR/symbol=S/year=Y/*.parquet``), a file named ``.parquet`` or starting with Parquet's magic
bytes is a Parquet file, anything else is read as the CSV. Errors are the CSV reader's one-line
``HistoryCsvError`` / ``SymbolsNotInFile`` for every kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from feeds.history.csvfile import HistoryFile, read_history_csv
from feeds.history.parquet_stream import HistoryMeta as HistoryMeta  # re-exported: the streaming result

_MAGIC = b"PAR1"
FAST_FROM_BYTES = 2_000_000
"""From this size on a CSV is first read by ``feeds.history.csv_fast`` (DuckDB, about 6x faster on a clean
file); below it the pure-Python read (~45 ms a MB) is done before DuckDB is imported and connected (~90 ms)."""


def read_csv(
    path: str | Path,
    symbols: set[str] | None = None,
    max_symbols: int | None = None,
    since_ms: int | None = None,
) -> HistoryFile:
    """A history CSV, read by DuckDB when it is large and clean, else by ``read_history_csv``.

    The fast path gives way (None) for anything the Python reader would report, which then reads the
    whole file, so every problem keeps its line number and wording.
    """
    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0  # the Python reader says why it cannot be read
    if size >= FAST_FROM_BYTES:
        from feeds.history.csv_fast import read_csv_fast

        fast = read_csv_fast(Path(path), symbols, since_ms, max_symbols)
        if fast is not None:
            return fast
    return read_history_csv(path, symbols=symbols, since_ms=since_ms, max_symbols=max_symbols)


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` is read as Parquet: a folder, a ``.parquet`` name, or a file starting with ``PAR1``."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".parquet":
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(4) == _MAGIC
    except OSError:
        return False  # the CSV reader says why it cannot be read


def open_history(
    path: str | Path, symbols: set[str] | None = None, max_symbols: int | None = None
) -> HistoryFile:
    """Read a history whole: CSV, Parquet file or partitioned folder (see the module docstring).

    Args:
        path: the file or folder.
        symbols: keep only these (as written, or as base coins: ``BTC`` matches ``BTCUSDT``).
        max_symbols: keep the first this many symbols (file or partition order); ``left_out`` counts the rest.

    Raises:
        SymbolsNotInFile: none of ``symbols`` is in the history.
        HistoryCsvError: it cannot be read at all (one line naming the file or partition).
    """
    if is_parquet(path):
        from feeds.history.parquet_read import read_parquet_history

        return read_parquet_history(path, symbols, max_symbols)
    return read_csv(path, symbols, max_symbols)


def stream_history(
    path: str | Path, symbols: set[str] | None = None
) -> tuple[HistoryMeta, Iterator[tuple[str, np.ndarray]]]:
    """A history's metadata, then ``(symbol, bars)`` one symbol at a time.

    For Parquet only the symbol being yielded is in memory (its own partitions are read when the
    iterator reaches it). A CSV has no index to read one symbol from, so it is read whole once and its
    series are then yielded (and released) one by one: memory follows the file, as before.

    Raises:
        SymbolsNotInFile, HistoryCsvError: as ``open_history``.
    """
    if is_parquet(path):
        from feeds.history.parquet_stream import stream_parquet_history

        return stream_parquet_history(path, symbols)
    history = read_csv(path, symbols)
    meta = HistoryMeta(
        history.path,
        list(history.series),
        history.step_ms,
        history.columns,
        history.problems,
        history.missing,
        history.in_file,
    )
    return meta, _drain(history.series)


def _drain(series: dict[str, np.ndarray]) -> Iterator[tuple[str, np.ndarray]]:
    """Yield and drop each series, so the caller's scoring is what holds it."""
    while series:
        key = next(iter(series))
        yield key, series.pop(key)
