"""The drawing half of the watchlist: a Line-API table of cached row strips, repainted only where changed.

``RowTable`` keeps the formatted cells of each row and a rendered ``Strip`` per row, built from the
segments of cells that did not change (usually all but price and 24h), and hands Textual the cached
strips of the lines in view with the app's filters applied (``render_lines``), skipping Textual's styles
cache, which re-processed every dirty line. Line 0 is the column header. Rows about to be drawn that
were not asked for since the last paint tick get their cells from ``cell_source`` first.

``tui.widgets.watchlist.Watchlist`` adds what a user does with the table: order, cursor, keys, clicks,
and which characters changed (``update_cells``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.model.rows import Cell, SeriesKey
from tui.widgets.columns import Column, fit_text
from tui.widgets.row_strips import RowInk, cell_segments, row_strip, theme_styles

CellSource = Callable[[Sequence[SeriesKey]], Mapping[SeriesKey, tuple[Cell, ...]]]
"""Given row keys, the new cells of those of them whose cells changed (``RowTable.cell_source``)."""


class RowTable(ScrollView):
    """Rows of formatted cells keyed by (symbol, venue) under a header line, drawn from cached strips."""

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.all_columns = tuple(columns)
        self.columns: tuple[Column, ...] = ()
        self._idx: list[int] = []  # position in a row's cells of each shown column
        self._xs: list[int] = []
        self._total_width = 0
        self._order: list[SeriesKey] = []
        self._pos: dict[SeriesKey, int] = {}
        self._cells: dict[SeriesKey, tuple[Cell, ...]] = {}
        self._strips: dict[SeriesKey, Strip] = {}
        self._row_segs: dict[SeriesKey, tuple[tuple[Cell, ...], list[list[Segment]]]] = {}
        # line y -> (source strip, x1, x2, filtered and cropped strip) for render_lines
        self._line_cache: dict[int, tuple[Strip, int, int, Strip]] = {}
        self._cursor_strip: tuple[SeriesKey, Strip] | None = None
        self._header: Strip | None = None
        self._marks: dict[str, str] = {}
        self._styles: dict[str, Style] = {}
        self._ink: RowInk | None = None
        self._ink_for: tuple[tuple[LineFilter, ...], Color] | None = None  # filters, background
        self._strip_width = 0
        self.cursor = 0
        self.empty_text = "waiting for data…"
        # Where new cells come from: keys -> the cells of those rows that changed (None: set by hand).
        self.cell_source: CellSource | None = None
        self._asked: set[SeriesKey] = set()  # rows asked of cell_source since the last refresh_cells
        self.set_columns(columns)

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Show ``columns`` (a subset of ``all_columns``, by key, in display order); repaint everything."""
        keys = [c.key for c in self.all_columns]
        shown = sorted(columns, key=lambda c: keys.index(c.key))
        if tuple(shown) == self.columns:
            return
        self.columns = tuple(shown)
        self._idx = [keys.index(c.key) for c in shown]
        xs, x = [], 0
        for c in shown:
            xs.append(x)
            x += c.width + 1
        self._xs = xs
        self._total_width = max(0, x - 1)
        self._drop_strips()
        if self.is_mounted:
            self._resize_virtual()
            self.refresh()

    def _shown(self, cells: tuple[Cell, ...]) -> list[Cell]:
        """The cells of the shown columns, in their order."""
        return [cells[i] for i in self._idx if i < len(cells)]

    def notify_style_update(self) -> None:
        """The theme changed: drop cached styles and strips."""
        super().notify_style_update()
        self._styles = {}
        self._drop_strips()

    def on_resize(self, event: events.Resize) -> None:
        """Strips span the widget width: rebuild them at the new size."""
        self._drop_strips()
        self._resize_virtual()

    def render_line(self, y: int) -> Strip:
        """The cached strip of line ``y``, cropped to the horizontal scroll window."""
        return self._line(y, self._take_width())

    def _take_width(self) -> int:  # strips drawn at another width are let go
        width = self._line_width()
        if width != self._strip_width:
            self._drop_strips(cells=False)  # the cells' segments do not depend on the width
            self._strip_width = width
        return width

    def _line(self, y: int, width: int) -> Strip:
        """Line ``y`` at ``width`` (``_take_width``'s)."""
        if y == 0:
            if self._header is None:
                self._header = self._render_header()
            strip = self._header
        else:
            i = y - 1 + round(self.scroll_y)
            if i >= len(self._order):
                if i == 0:
                    ink = self._row_ink()("muted", False)
                    return Strip([Segment(f" {self.empty_text}".ljust(width), ink)])
                return Strip.blank(width, self._row_ink()("", False))
            key = self._order[i]
            if i == self.cursor:
                cached = self._cursor_strip
                if cached is None or cached[0] != key:
                    cached = self._cursor_strip = (key, self._render_row(key, selected=True))
                strip = cached[1]
            else:
                kept = self._strips.get(key)
                if kept is None:
                    kept = self._strips[key] = self._render_row(key, selected=False)
                strip = kept
        x = round(self.scroll_x)
        return strip.crop(x, x + width) if x or strip.cell_length > width else strip

    def _visible(self) -> tuple[int, int]:
        return round(self.scroll_y), max(0, self.size.height - 1)

    def _resize_virtual(self) -> None:
        size = Size(self._total_width, len(self._order) + 1)
        if size != self.virtual_size:
            self.virtual_size = size

    def _drop_strips(self, cells: bool = True) -> None:
        """Forget every strip drawn (and, with ``cells``, the segments of each row's cells)."""
        self._strips.clear()
        if cells:
            self._row_segs.clear()
            self._ink = None
        self._line_cache.clear()
        self._cursor_strip = None
        self._header = None

    def _row_ink(self) -> RowInk:
        if self._ink is None:
            if not self._styles:  # built once per theme
                ansi = bool(getattr(self.app.current_theme, "ansi", False))
                component = self.get_component_rich_style
                self._styles = theme_styles(self.rich_style, lambda n: component(f"watchlist--{n}"), ansi)
            filters, background = self._ink_for or ((), Color(0, 0, 0))
            self._ink = RowInk(self._styles, self._styles["cursor"], filters, background)
        return self._ink

    def _ask_unasked(self, crop: Region) -> None:
        """Bring the rows of ``crop`` not asked of ``cell_source`` since the last tick up to date.

        They are drawn now, so their new cells are stored without marking anything dirty.
        """
        if self.cell_source is None:
            return
        top = round(self.scroll_y) - 1  # line 0 is the header
        order, asked = self._order, self._asked
        keys = [
            order[i] for y in crop.line_range if 0 <= (i := top + y) < len(order) and order[i] not in asked
        ]
        if not keys:
            return
        asked.update(keys)
        for key, cells in self.cell_source(keys).items():
            self._store(key, cells)

    def _store(self, key: SeriesKey, cells: tuple[Cell, ...]) -> None:
        """Keep ``cells`` as the row's, dropping the strips drawn from the old ones."""
        self._cells[key] = cells
        self._strips.pop(key, None)
        if self._cursor_strip is not None and self._cursor_strip[0] == key:
            self._cursor_strip = None

    def _line_width(self) -> int:
        """Cells a line is drawn in: the width less the scrollbar's column, a widget of its own there (a
        line as wide as the widget was cut in two at every update, a new Strip per piece)."""
        return self.scrollable_content_region.width

    def _render_header(self) -> Strip:
        style = self._row_ink()("header", False)
        text = " ".join(
            fit_text(c.title + self._marks.get(c.key, ""), c.width, c.align) for c in self.columns
        )
        width = max(self._strip_width, self._total_width)
        return Strip([Segment(text.ljust(width), style)], width)

    def _render_row(self, key: SeriesKey, selected: bool) -> Strip:
        ink = self._row_ink()
        # Reuse the segments of cells that did not change (usually all but price and 24h).
        # Both sides are the shown columns' cells, in the shown order (not the row's full tuple).
        kept_cells, kept = self._row_segs.get(key, ((), [])) if not selected else ((), [])
        shown = tuple(self._shown(self._cells.get(key, ())))
        per_cell = [
            kept[n]
            if n < len(kept_cells) and kept_cells[n] == cell
            else cell_segments(col, cell, ink, selected)
            for n, (col, cell) in enumerate(zip(self.columns, shown, strict=False))
        ]
        if not selected:
            self._row_segs[key] = (shown, per_cell)
        return row_strip(self.columns, per_cell, max(self._strip_width, self._total_width), ink, selected)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Lines of ``crop`` straight from the row cache, with the app's filters applied.

        The watchlist has no border, padding or tint, and its strips carry their full style, so the
        generic styles cache (which re-processes every dirty line) is skipped: that was a third of the
        compositor's time per tick. Anything with a gutter falls back to Textual's path.
        """
        self._ask_unasked(crop)
        background = self.background_colors[1]
        gutter = bool(self.styles.gutter.width or self.styles.gutter.height)
        # Textual's path applies the filters itself: the rows are then drawn in unfiltered styles.
        filters: tuple[LineFilter, ...] = () if gutter else tuple(self.get_line_filters())
        if (filters, background) != self._ink_for:
            self._ink_for = (filters, background)
            self._drop_strips()
        if gutter:
            return super().render_lines(crop)
        if self._row_ink().complete:  # the rows' styles are filtered already
            filters = ()
        width = self._take_width()  # once: Textual works the regions out afresh at every call
        x1, x2 = crop.column_span
        x2 = min(x2, width)  # the scrollbar's column is its own widget's
        full = (x1, x2) == (0, width)
        cache = self._line_cache
        strips = []
        for y in crop.line_range:
            source = self._line(y, width)
            hit = cache.get(y)
            # Unchanged lines come back as the same cached Strip object: reuse their filtered crop.
            if hit is not None and hit[0] is source and hit[1] == x1 and hit[2] == x2:
                strips.append(hit[3])
                continue
            # Crop first: the filters then walk only the cells Textual will use.
            strip = source if full else source.crop(x1, x2)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            cache[y] = (source, x1, x2, strip)
            strips.append(strip)
        return strips
