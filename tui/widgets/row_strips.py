"""The watchlist's rows as strips: cells to segments in theme styles, with the app's line filters applied
once per style rather than to every segment of every line drawn.

Textual's line filters (``ANSIToTruecolor``, ``Monochrome``, ``NoColor``, ``DimFilter``) each map a
segment's style on its own, so filtering the dozen styles a row is drawn in gives the same segments as
filtering the drawn line, at a fraction of the cost (it was a tenth of the watchlist's paint). Any other
filter is left to the widget to apply per line (``RowInk.complete`` is False).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import ANSIToTruecolor, DimFilter, LineFilter, Monochrome, NoColor
from textual.strip import Strip

from tui.model.rows import Cell
from tui.widgets.columns import Column, fit_text

PER_STYLE_FILTERS = (ANSIToTruecolor, Monochrome, NoColor, DimFilter)
STYLE_NAMES = (
    "header",
    "cursor",
    "symbol",
    "muted",
    "up",
    "down",
    "neutral",
    "flag-bull",
    "flag-bear",
    "flag-context",
    "flag-unproven",
    "stale",
)
"""The style names of the watchlist's component classes (``watchlist--NAME``)."""


def theme_styles(base: Style, component: Callable[[str], Style], ansi: bool) -> dict[str, Style]:
    """The watchlist's styles by name: ``base`` ("") and each of ``STYLE_NAMES`` over it (``component``
    gives a name's own style), the dimmed flags (``flag-bull-dim``...) and ``-dim``.

    The cursor overlays a background only, so cell colours stay readable on the cursor row; a theme without
    colours (``ansi``: monochrome, NO_COLOR) has no background to overlay: reverse video marks it.
    """
    styles = {"": base}
    for n in STYLE_NAMES:
        styles[n] = base + component(n)
    styles["cursor"] = Style(bgcolor=styles["cursor"].bgcolor, bold=True, reverse=ansi or None)
    for n in ("flag-bull", "flag-bear", "flag-context"):
        styles[f"{n}-dim"] = styles[n] + Style(dim=True, bold=False)
    styles["-dim"] = base + Style(dim=True)
    return styles


class RowInk:
    """The styles rows are drawn in, by style name and cursor row, with the filters applied.

    Args:
        styles: the widget's styles by name ("" is its base style); an unknown name draws in the base.
        cursor: what the cursor row overlays on each style (the gaps between cells take it alone).
        filters: the app's line filters now.
        background: the widget's background (the dim filters blend towards it).
    """

    def __init__(
        self, styles: Mapping[str, Style], cursor: Style, filters: Sequence[LineFilter], background: Color
    ) -> None:
        self._styles = styles
        self._cursor = cursor
        self.complete = all(type(f) in PER_STYLE_FILTERS for f in filters)
        self._filters = tuple(filters) if self.complete else ()
        self._background = background
        self._inks: dict[tuple[str | None, bool], Style] = {}
        # Equal styles are one object: ``merged`` compares by identity.
        self._canonical: dict[Style, Style] = {}

    def __call__(self, name: str | None, selected: bool) -> Style:
        """The style of text named ``name`` (None: the gaps between and around cells) on a row."""
        key = (name, selected)
        ink = self._inks.get(key)
        if ink is None:
            if name is None:
                ink = self._cursor if selected else self._styles[""]
            else:
                ink = self._styles.get(name) or self._styles[""]
                if selected:
                    ink = ink + self._cursor
            for line_filter in self._filters:
                ink = line_filter.apply([Segment(" ", ink)], self._background)[0].style or ink
            ink = self._inks[key] = self._canonical.setdefault(ink, ink)
        return ink


def merged(segments: list[Segment]) -> list[Segment]:
    """Join neighbours of the same style: every later stage of Textual's paint costs per segment.

    Each run's texts are joined once: a Segment per merge step was most of the cost of drawing a row.
    Styles are compared by identity, which is equality for a row's styles (``RowInk`` hands out one
    object per distinct style): rich's ``Style.__eq__`` was half the cost of the merge."""
    out: list[Segment] = []
    texts: list[str] = []
    style: Style | None = None
    for text, seg_style, _ in segments:
        if texts and seg_style is style:
            texts.append(text)
            continue
        if texts:
            out.append(Segment("".join(texts), style))
        texts, style = [text], seg_style
    if texts:
        out.append(Segment("".join(texts), style))
    return out


def cell_segments(col: Column, cell: Cell, ink: RowInk, selected: bool) -> list[Segment]:
    """One cell fitted to its column: one segment, or one per span with the padding on its side."""
    used = sum(len(t) for t, _ in cell)
    if len(cell) <= 1 or used > col.width:
        text = fit_text("".join(t for t, _ in cell), col.width, col.align)
        return [Segment(text, ink(cell[0][1] if cell else "", selected))]
    out: list[Segment] = []
    pad = " " * (col.width - used)
    if col.align == ">" and pad:
        out.append(Segment(pad, ink(None, selected)))
    out.extend(Segment(t, ink(name, selected)) for t, name in cell)
    if col.align != ">" and pad:
        out.append(Segment(pad, ink(None, selected)))
    return out


def row_strip(
    columns: Sequence[Column], per_cell: Sequence[list[Segment]], width: int, ink: RowInk, selected: bool
) -> Strip:
    """The strip of a row from its cells' segments: one space between cells, padded to ``width``."""
    sep = Segment(" ", ink(None, selected))
    segments: list[Segment] = []
    for n, segs in enumerate(per_cell):
        if n:
            segments.append(sep)
        segments.extend(segs)
    line = sum(c.width + 1 for c in columns[: len(per_cell)]) - (1 if per_cell else 0)
    if width > line:
        segments.append(Segment(" " * (width - line), ink(None, selected)))
    return Strip(merged(segments), max(width, line))


def changed_span(col: Column, a: Cell, b: Cell) -> tuple[int, int]:
    """(offset, width) within the column of the characters that differ between cells ``a`` and ``b``.

    One-span cells of the same style narrow to the characters that changed (96,512.3 -> 96,514.1: three);
    otherwise the whole cell.
    """
    if len(a) == len(b) == 1 and a[0][1] == b[0][1]:
        pa, pb = fit_text(a[0][0], col.width, col.align), fit_text(b[0][0], col.width, col.align)
        lo = 0
        while lo < col.width and pa[lo] == pb[lo]:
            lo += 1
        hi = col.width - 1
        while hi > lo and pa[hi] == pb[hi]:
            hi -= 1
        return lo, hi - lo + 1
    return 0, col.width
