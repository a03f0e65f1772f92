"""The watchlist's columns: what each shows, which give way on a narrow terminal, and how text fits a cell.

Symbol, price, 24h, OI change, funding and flags always stay: they fit in 80 columns. The others give way
in the ``GIVE_WAY`` order (first SIGNALS.md's added figures: basis, taker flow, top traders' L/S, premium;
then the venue, funding APR, the countdown to the next settlement, the sparklines, S/F, L/S, liquidations,
OI in USD) unless the user chose columns (config ``columns``, the ``c`` picker), which are then all shown
and scroll sideways.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from tui.config.columns import COLUMN_KEYS, GIVE_WAY, ROOM_FOR_FLAGS


class Column(NamedTuple):
    """A watchlist column: title, width in cells and alignment (``<`` left, ``>`` right)."""

    key: str
    title: str
    width: int
    align: str


def default_columns(window_h: float) -> tuple[Column, ...]:
    """Every watchlist column, in the order ``tui.model.rows.row_cells`` fills them (``COLUMN_KEYS``)."""
    columns = (
        Column("symbol", "symbol", 11, "<"),
        Column("venue", "venue", 11, "<"),
        Column("price", "price", 12, ">"),
        Column("change_24h", "24h", 8, ">"),
        Column("spark", "price 24h", 12, "<"),
        Column("oi_usd", "OI $", 8, ">"),
        Column("oi_change", f"OI Δ{window_h:g}h", 8, ">"),
        Column("oi_spark", "OI 24h", 10, "<"),
        Column("funding_8h", "funding 8h", 12, ">"),
        Column("funding_apr", "APR", 8, ">"),
        Column("next_funding", "next", 6, ">"),
        Column("premium", "premium", 7, ">"),
        Column("basis", "basis", 7, ">"),
        Column("ls_ratio", "L/S", 5, ">"),
        Column("top_ls", "top L/S", 7, ">"),
        Column("liq", "liq 1h L/S", 13, ">"),
        Column("flow", "flow p/s", 9, ">"),
        Column("sfr", "S/F", 5, ">"),
        Column("flags", "flags", 29, "<"),
    )
    assert tuple(c.key for c in columns) == COLUMN_KEYS
    return columns


FLAGS_MIN = 12  # room for three flags
FLAGS_MAX = 29


def fit_columns(
    columns: Sequence[Column], width: int, chosen: Sequence[str] | None = None
) -> tuple[Column, ...]:
    """The columns to show at ``width`` cells.

    Args:
        columns: every column (``default_columns``).
        width: the room there is.
        chosen: the user's columns (config ``columns``, or the column picker): all shown, in display order,
            scrolling sideways if they need more room than there is. None: fit by priority, dropping the
            ``GIVE_WAY`` columns in order until the rest fits, the flags column taking what is left (the
            ``ROOM_FOR_FLAGS`` columns go while the flags would be narrower than ``FLAGS_MAX``).

    Returns:
        The columns to show, the flags column resized to the room left (between ``FLAGS_MIN`` and
        ``FLAGS_MAX``).
    """
    if chosen is not None:
        keep = [c for c in columns if c.key in chosen or c.key == "symbol"]
        return tuple(keep)
    keep = list(columns)

    def need(cols: list[Column], flags: int = FLAGS_MIN) -> int:
        return sum((flags if c.key == "flags" else c.width) + 1 for c in cols) - 1

    for key in GIVE_WAY:
        # The added figures show only beside full-width flags; the others squeeze the flags first.
        if need(keep, FLAGS_MAX if key in ROOM_FOR_FLAGS else FLAGS_MIN) <= width:
            break
        keep = [c for c in keep if c.key != key]
    spare = width - need(keep)
    return tuple(
        c._replace(width=max(FLAGS_MIN, min(FLAGS_MAX, FLAGS_MIN + spare))) if c.key == "flags" else c
        for c in keep
    )


def fit_text(text: str, width: int, align: str) -> str:
    """``text`` padded or cut (with an ellipsis) to ``width`` cells, aligned ``<`` left or ``>`` right."""
    if len(text) > width:
        return text[: width - 1] + "…" if width > 1 else text[:width]
    return text.rjust(width) if align == ">" else text.ljust(width)
