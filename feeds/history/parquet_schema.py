"""Whether the files of one Parquet history can be read together: one schema, or older partitions narrower.

A store written before the bar columns grew (10 then, 18 now: SIGNALS.md's "Added columns") has
partitions without the added columns; rewriting one symbol writes it at the new schema. Such a folder is
one history: each file's columns are a subset of the widest file's, with the same types, and what a file
lacks is one of the columns added since the store's first schema (``ADDED``). It is read with DuckDB's
``union_by_name``, the lacking columns NULL (unknown, as any value no venue reported). Any other
difference (another type, a column no other file has beside the widest) is still "another schema".
"""

from __future__ import annotations

from feeds.history.csvfile import HistoryCsvError
from signals.columns import COLUMNS

Column = tuple[str, ...]
"""(name, physical type, converted type, logical type), as ``parquet_read._schemas`` lists them."""

ADDED: frozenset[str] = frozenset(COLUMNS[COLUMNS.index("premium") :])
"""The columns a partition written by an older perptop may lack (SIGNALS.md's "Added columns")."""


def widest_schema(schemas: dict[str, list[Column]], every: list[str]) -> tuple[str, bool]:
    """The file whose schema every other file's fits in, and whether some file lacks columns.

    Args:
        schemas: file -> its columns.
        every: the files, in reading order.

    Returns:
        (the widest file, True when the files must be read by name with the lacking columns NULL).

    Raises:
        HistoryCsvError: two files differ otherwise (in one line naming the file and what differs).
    """
    first = schemas[every[0]]
    if all(schemas[f] == first for f in every[1:]):
        return every[0], False
    widest = max(every, key=lambda f: len(schemas[f]))
    wide = {c[0]: c for c in schemas[widest]}
    for f in every:
        mine = {c[0]: c for c in schemas[f]}
        extra = sorted(set(mine) - set(wide))
        retyped = sorted(n for n, c in mine.items() if n in wide and wide[n] != c)
        lacking = sorted(set(wide) - set(mine))
        unknown = [n for n in lacking if n.strip().lower() not in ADDED]
        if extra or unknown or retyped:
            what = (
                f"columns {', '.join(extra or unknown)}"
                if extra or unknown
                else f"types of {', '.join(retyped)}"
            )
            raise HistoryCsvError(
                f"{f}: another schema than {widest} ({what} differ); a store holds one schema"
            )
    return widest, True
