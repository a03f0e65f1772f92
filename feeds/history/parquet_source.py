"""What a Parquet history is once its schema was checked (``Source``), and the one way it is queried.

Its own module so that the reader (``parquet_read``), the row checks (``parquet_rows``) and the
all-NULL column scan (``parquet_present``) share it without importing one another in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from feeds.history.csvfile import HistoryCsvError

if TYPE_CHECKING:
    import duckdb

READ = "hive_partitioning = false"
READ_BY_NAME = "hive_partitioning = false, union_by_name = true"  # a column a file lacks reads as NULL


@dataclass
class Source:
    """A Parquet history after its schema was checked: which files hold which symbol, how to read them."""

    path: Path
    name: str
    files: dict[str, list[str]]  # symbol -> files (one file, filtered by its symbol column, for a file)
    time: str  # the SELECT expression of the time (ms, DOUBLE)
    raw: dict[str, str]  # column read (a signal column or oi_usd) -> its name in the files
    columns: tuple[str, ...]  # the columns read after time (fewer than ``raw`` when some are all NULL)
    numeric_time: bool
    symbol_column: str | None  # the file's symbol column, when one file holds several symbols
    notes: list[str]
    read: str = "hive_partitioning = false"  # read_parquet's options (READ_BY_NAME: files of two widths)

    @property
    def select(self) -> str:
        """The SELECT list: time, then each of ``columns`` as DOUBLE."""
        cast = ', CAST("{}" AS DOUBLE) AS "{}"'
        return f"{self.time} AS time" + "".join(
            cast.format(self.raw[c].replace('"', '""'), c) for c in self.columns
        )


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def query(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object], where: str
) -> dict[str, np.ndarray]:
    import duckdb

    try:
        return con.execute(sql, params).fetchnumpy()
    except duckdb.Error as exc:
        raise HistoryCsvError(f"{where}: cannot read it as Parquet ({first_line(exc)})") from None
