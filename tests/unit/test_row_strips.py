"""The watchlist's rows drawn in pre-filtered styles look exactly as Textual's line filters make them."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import MONOKAI
from textual.color import Color
from textual.filter import ANSIToTruecolor, DimFilter, LineFilter, Monochrome, NoColor
from textual.strip import Strip

from tui.widgets.columns import Column
from tui.widgets.row_strips import RowInk, cell_segments, merged, row_strip

STYLES = {
    "": Style(color="white", bgcolor="black"),
    "up": Style(color="green", bgcolor="black"),
    "down": Style(color="#ff0000", bgcolor="black"),
    # Textual's DimFilter blends colours it knows as RGB only: a dimmed style has them.
    "flag-bull-dim": Style(color="#00c000", bgcolor="#000000", dim=True, bold=True),
}
CURSOR = Style(bgcolor="#1040a0", bold=True)
COLUMNS = (Column("price", "price", 9, ">"), Column("flags", "flags", 12, "<"))
CELLS = ((("96,512.3", "up"),), (("▲SQ", "flag-bull-dim"), (" ", ""), ("▼LS", "down")))
BACKGROUND = Color(10, 20, 30)


def drawn(ink: RowInk, selected: bool) -> Strip:
    per_cell = [cell_segments(c, cell, ink, selected) for c, cell in zip(COLUMNS, CELLS, strict=True)]
    return row_strip(COLUMNS, per_cell, 30, ink, selected)


def cells_of(strip: Strip) -> list[tuple[str, Style | None]]:
    """(character, style) per cell: how the terminal shows it, however it is cut into segments."""
    return [(ch, seg.style) for seg in strip for ch in seg.text]


@pytest.mark.parametrize(
    "filters",
    [
        [ANSIToTruecolor(MONOKAI)],
        [Monochrome()],
        [NoColor()],
        [DimFilter()],
        [ANSIToTruecolor(MONOKAI), DimFilter()],
    ],
    ids=["truecolor", "monochrome", "no-color", "dim", "truecolor+dim"],
)
@pytest.mark.parametrize("selected", [False, True], ids=["row", "cursor-row"])
def test_a_row_in_filtered_styles_equals_the_row_filtered(filters: list[LineFilter], selected: bool) -> None:
    raw = drawn(RowInk(STYLES, CURSOR, [], BACKGROUND), selected)
    for line_filter in filters:
        raw = raw.apply_filter(line_filter, BACKGROUND)
    ink = RowInk(STYLES, CURSOR, filters, BACKGROUND)
    assert ink.complete
    assert cells_of(drawn(ink, selected)) == cells_of(raw)


class Reverse(LineFilter):
    """A filter that is not a per-style map (it reorders the segments)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return segments[::-1]


def test_another_filter_is_left_to_the_line() -> None:
    ink = RowInk(STYLES, CURSOR, [Monochrome(), Reverse()], BACKGROUND)
    assert not ink.complete
    assert ink("up", False) == STYLES["up"]  # drawn unfiltered: the widget filters each line


def test_neighbours_of_one_style_are_joined_into_one_segment() -> None:
    # "gain" names a style equal to "up"'s (another object): the ink hands out one object for both,
    # so a row's cells in either join into one segment.
    ink = RowInk({**STYLES, "gain": Style(color="green", bgcolor="black")}, CURSOR, [], BACKGROUND)
    up, down = ink("up", False), ink("down", False)
    assert ink("gain", False) is up
    segments = [
        Segment("a", up),
        Segment("b", ink("gain", False)),
        Segment(" ", up),
        Segment("c", down),
        Segment("d", up),
    ]
    assert merged(segments) == [Segment("ab ", up), Segment("c", down), Segment("d", up)]
    assert merged([]) == []
