"""Which columns of a Parquet history hold a value, told by the files' footers, so only those are read.

A store written by this perptop has every SIGNALS.md column, and the ones no venue reported are NULL in
every row (Binance's history has no premium or funding spread; a store generated or imported from an
older export has none of the added columns). Reading such a column costs as much as a real one (8 of 18
columns were 60 % of a 100-symbol month's read) and yields NaN, which passes every row check. The row
groups' null counts say so without reading a value: a column NULL in every row group of the files read
is left out of the SELECT and stays NaN in the bars, the same bars to the bit. A file without
statistics counts as holding values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feeds.history.csvfile import OI_USD
from feeds.history.parquet_source import Source, query
from signals.columns import COLUMNS

if TYPE_CHECKING:
    import duckdb


def with_values(con: duckdb.DuckDBPyConnection, src: Source, keys: list[str]) -> set[str]:
    """The files' column names (as written) with a value in some row group of the files of ``keys``."""
    files = sorted({f for k in keys for f in src.files[k]})
    got = query(
        con,
        "SELECT path_in_schema AS c, bool_or(stats_null_count IS NULL OR stats_null_count < num_values) AS v "
        "FROM parquet_metadata(?) GROUP BY c",
        [files],
        src.name,
    )
    return {str(c) for c, v in zip(got["c"].tolist(), got["v"].tolist(), strict=True) if v}


def present(src: Source, have: set[str]) -> tuple[str, ...]:
    """The signal columns with a value (``oi`` also when only ``oi_usd`` has one), in COLUMNS order."""
    found = {c for c, raw in src.raw.items() if raw in have}
    if OI_USD in found:
        found.add("oi")
    return tuple(c for c in COLUMNS if c in found)


def narrow(src: Source, have: set[str]) -> None:
    """Read only the columns with a value (and ``price``, whose absence each row reports)."""
    src.columns = tuple(c for c in src.columns if c == "price" or src.raw[c] in have)
