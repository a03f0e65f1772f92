"""The columns of a full-screen table that fit the terminal: the funding-spread screen and the liquidation tape.

Each screen lists its columns in display order and which of them give way first; ``fit`` drops those, in
that order, until the rest fits the width (the others always stay, as the watchlist keeps its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

CELL_PADDING = 2  # DataTable pads each cell by one on either side
SCROLLBAR = 2


class TableColumn(NamedTuple):
    """A column of a table: key, title, width in cells."""

    key: str
    title: str
    width: int


def fit(columns: Sequence[TableColumn], give_way: Sequence[str], width: int) -> tuple[TableColumn, ...]:
    """The ``columns`` that fit in ``width`` cells, dropping those of ``give_way`` in order."""
    keep = list(columns)
    for key in give_way:
        if sum(c.width + CELL_PADDING for c in keep) <= width:
            break
        keep = [c for c in keep if c.key != key]
    return tuple(keep)
