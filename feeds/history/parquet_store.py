"""The research store: bar arrays written as Parquet, partitioned by symbol and year (docs/research-store.md).

Layout: ``DIR/symbol=BTC/year=2024/part-0.parquet`` (Hive partitions, which Spark, Trino and DuckDB read as
the columns ``symbol`` and ``year``), or one ``FILE.parquet`` with a ``symbol`` column. Each file holds
``time`` (TIMESTAMP WITH TIME ZONE, UTC) and every other column of ``signals.columns.COLUMNS`` as DOUBLE,
NULL where unknown: one schema for every partition, whichever columns a symbol happens to have.

Writing is per symbol (``write_symbol``, which a download calls as each symbol is ready): every partition
goes to a hidden temporary file in its own folder and is renamed into place, then the symbol's partitions
that the new bars no longer cover are removed. Writing BTC again therefore replaces BTC's partitions and
leaves the other symbols' alone; a failure leaves the old files and no temporary one. DuckDB does the
Parquet encoding; it is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from signals.columns import COLUMNS, Col

if TYPE_CHECKING:
    import duckdb

PART_NAME = "part-0.parquet"
SYMBOL_KEY = "symbol"
YEAR_KEY = "year"
VALUE_COLUMNS: tuple[str, ...] = COLUMNS[1:]
"""The DOUBLE columns after ``time``, in this order in every file."""
# A partition value becomes a folder name: letters, digits, '.', '_' and '-' only, not starting with a
# dot (no '/', '=', '..' or hidden folder), so every engine reads the same symbol back from the path.
_SAFE_SYMBOL = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
# The path named cannot be written (exit 2, as for bad input); other failures are the machine's (exit 1).
_NAMED_WRONG = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG}
)


def _umask() -> int:
    umask = os.umask(0)  # read it: there is no call that only reads it
    os.umask(umask)
    return umask


_MODE = 0o666 & ~_umask()


class ParquetWriteError(Exception):
    """The store or file could not be written; ``str()`` is one line, ``status`` the exit status (1 or 2)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def is_parquet_target(path: str | Path) -> bool:
    """Whether an output path means Parquet: a ``.parquet`` file, or a folder (any name without ``.csv``)."""
    suffix = Path(path).suffix.lower()
    return suffix == ".parquet" or suffix != ".csv"


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection whose session time zone is UTC (times are UTC instants)."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def _check(series: Mapping[str, np.ndarray], step_ms: float) -> None:
    if not step_ms > 0:
        raise ValueError(f"the bar step must be positive, got {step_ms!r}")
    for key, bars in series.items():
        if bars.ndim != 2 or bars.shape[1] != len(COLUMNS):
            raise ValueError(f"series {key!r}: expected (n, {len(COLUMNS)}) bars, got {bars.shape}")


def _select(with_symbol: bool) -> str:
    """The COPY query over the registered table ``bars``: time as a UTC timestamp, NaN as NULL."""
    values = ", ".join(
        f'CASE WHEN isnan(c{i}) THEN NULL ELSE c{i} END AS "{c}"' for i, c in enumerate(COLUMNS) if i
    )
    # Microseconds, rounded: exact for every millisecond time, and Parquet's usual timestamp unit.
    time = "CAST(make_timestamp(CAST(round(c0 * 1000) AS BIGINT)) AS TIMESTAMPTZ) AS time"
    return f"SELECT {time}{', symbol' if with_symbol else ''}, {values} FROM bars"


def _table(bars: np.ndarray, symbol: np.ndarray | None = None) -> dict[str, np.ndarray]:
    table = {f"c{i}": np.ascontiguousarray(bars[:, i], dtype=np.float64) for i in range(len(COLUMNS))}
    if symbol is not None:
        table["symbol"] = symbol
    return table


def _quoted(path: Path) -> str:
    """``path`` as an SQL string literal (COPY TO takes no parameter)."""
    return "'" + str(path).replace("'", "''") + "'"


def _copy(con: duckdb.DuckDBPyConnection, table: dict[str, np.ndarray], target: Path, step_ms: float) -> None:
    """Write ``table`` to the Parquet file ``target`` (which exists, empty: DuckDB replaces it)."""
    con.register("bars", table)
    try:
        # The step rides along as key-value metadata, for engines and people who look.
        con.execute(
            f"COPY ({_select('symbol' in table)}) TO {_quoted(target)} "
            f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {{step_ms: '{step_ms:g}'}})"
        )
    finally:
        con.unregister("bars")
    with open(target, "rb") as fh:
        os.fsync(fh.fileno())  # the data is on disk before a name points at it


def _failed(what: Path, exc: BaseException) -> ParquetWriteError:
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            reason += " (the disk is full)"
        return ParquetWriteError(f"could not write {what}: {reason}", 2 if exc.errno in _NAMED_WRONG else 1)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ParquetWriteError(f"could not write {what}: {first}", 1)


@contextlib.contextmanager
def _temp_beside(target: Path) -> Iterator[Path]:
    """A new empty hidden file in ``target``'s folder, removed unless the caller renamed it away."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temp = Path(name)
    os.chmod(temp, _MODE)  # mkstemp's 0600 would hide the data from the other engines' users
    try:
        yield temp
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def _years(times_ms: np.ndarray) -> np.ndarray:
    """The UTC calendar year of each epoch-ms time."""
    return times_ms.astype("datetime64[ms]").astype("datetime64[Y]").astype(np.int64) + 1970


def symbol_folder(root: Path, symbol: str) -> Path:
    """``root/symbol=SYMBOL``; ValueError for a symbol that cannot be a folder name."""
    if not _SAFE_SYMBOL.fullmatch(symbol):
        shown = repr(symbol) if symbol else "an unnamed series"
        raise ValueError(f"{shown} cannot be a partition: a symbol is letters, digits, '.', '_' or '-'")
    return root / f"{SYMBOL_KEY}={symbol}"


def write_symbol(
    root: str | Path,
    symbol: str,
    bars: np.ndarray,
    step_ms: float,
    con: duckdb.DuckDBPyConnection | None = None,
) -> int:
    """Write one symbol's bars into the partitioned store ``root``, replacing that symbol's partitions.

    Args:
        root: the store's folder (created if missing).
        symbol: the partition value, e.g. ``BTC``.
        bars: (n, len(COLUMNS)) oldest first, NaN where unknown.
        step_ms: the bar step (kept in each file's metadata).
        con: a DuckDB connection to reuse (one is opened otherwise).

    Returns:
        how many bars were written.

    Raises:
        ValueError: a symbol that cannot be a folder name, or bars of the wrong shape.
        ParquetWriteError: a folder or file that cannot be written (the old files are kept).
    """
    root = Path(root)
    _check({symbol: bars}, step_ms)
    folder = symbol_folder(root, symbol)
    years = _years(bars[:, Col.TIME]) if len(bars) else np.zeros(0, dtype=np.int64)
    own = con is None
    con = con or connect()
    written: list[Path] = []
    try:
        with contextlib.ExitStack() as temps:
            staged: list[tuple[Path, Path]] = []
            for year in np.unique(years).tolist():
                target = folder / f"{YEAR_KEY}={year}" / PART_NAME
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    temp = temps.enter_context(_temp_beside(target))
                    _copy(con, _table(bars[years == year]), temp, step_ms)
                except Exception as exc:  # OSError, duckdb.Error: one line, the old files untouched
                    raise _failed(target.parent, exc) from None
                staged.append((temp, target))
            # Every new partition is on disk before the first rename, so a failure while writing them
            # leaves the old partitions exactly as they were.
            for temp, target in staged:
                try:
                    os.replace(temp, target)
                except OSError as exc:
                    raise _failed(target, exc) from None
                written.append(target)
        _remove_stale(folder, set(written))
    finally:
        if own:
            con.close()
    return len(bars)


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    """Remove the symbol's Parquet files the new write did not produce, and year folders left empty."""
    if not folder.is_dir():
        return
    for old in folder.rglob("*.parquet"):
        if old not in keep:
            with contextlib.suppress(OSError):
                old.unlink()
    for sub in sorted(folder.iterdir(), reverse=True):
        if sub.is_dir():
            with contextlib.suppress(OSError):
                sub.rmdir()  # only succeeds when empty
    _sync(folder)


def _sync(folder: Path) -> None:
    """Make renames durable (a power cut after them keeps the new files); best effort."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_store(root: str | Path, series: Mapping[str, np.ndarray], step_ms: float) -> int:
    """Write several symbols into the partitioned store ``root`` (each replacing its own partitions).

    Returns:
        how many bars were written.

    Raises:
        ValueError, ParquetWriteError: as ``write_symbol``; nothing is written when a symbol name or an
            array is wrong, since all are checked first.
    """
    root = Path(root)
    _check(series, step_ms)
    for symbol in series:
        symbol_folder(root, symbol)
    if root.exists() and not root.is_dir():
        raise ParquetWriteError(f"could not write {root}: it is a file; name a folder (or FILE.parquet)", 2)
    con = connect()
    try:
        return sum(write_symbol(root, s, bars, step_ms, con) for s, bars in series.items())
    finally:
        con.close()


def write_parquet_file(path: str | Path, series: Mapping[str, np.ndarray], step_ms: float) -> int:
    """Write bar arrays as one Parquet file (replaced whole or not at all).

    A ``symbol`` column is written when there is more than one series or the only one has a name, as the
    history CSV does; the file is sorted by symbol (in ``series`` order), then time.

    Returns:
        how many bars were written.

    Raises:
        ValueError: bars of the wrong shape, or a step that is not positive.
        ParquetWriteError: the file cannot be written (it is left as it was).
    """
    path = Path(path)
    _check(series, step_ms)
    if path.is_dir():
        raise ParquetWriteError(f"could not write {path}: it is a folder; name a file", 2)
    named = len(series) > 1 or any(series)
    parts = list(series.values())
    bars = np.concatenate(parts) if parts else np.zeros((0, len(COLUMNS)))
    symbol: Any = np.repeat(np.array(list(series), dtype=object), [len(b) for b in parts]) if named else None
    con = connect()
    try:
        with _temp_beside(path) as temp:
            _copy(con, _table(bars, symbol), temp, step_ms)
            os.replace(temp, path)
        _sync(path.parent)
    except ParquetWriteError:
        raise
    except Exception as exc:  # OSError (mkstemp, rename), duckdb.Error: one line
        raise _failed(path, exc) from None
    finally:
        con.close()
    return len(bars)
