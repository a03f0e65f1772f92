"""The watchlist: a Line-API table that repaints only the characters that changed.

A stock ``DataTable`` repaints every line when one cell changes (about 7 % of a core and 30 KiB/s of
terminal output at 1 Hz for 60 rows). This widget keeps the formatted cells and a rendered ``Strip`` per
row; ``update_cells`` compares each new cell with the old one and marks dirty only the span of
characters that differ, so a price ticking from 96,512.3 to 96,514.1 redraws three characters.
``render_line`` only returns a cached strip cropped to the scroll window.

Line 0 is the column header (it stays on top while rows scroll under it). The widget shows a subset
of the columns (``set_columns``): ``fit_columns`` picks them for the width, by priority, unless the
user chose columns that need more room, in which case the table scrolls sideways (``<`` ``>``).

Cells are formatted only for rows on screen: the widget asks its ``cell_source`` for the cells of the
rows in its scroll window (``refresh_cells``, on the paint tick) and of rows about to be drawn that it has
not asked about since (scrolled, resized or reordered into view). Of 200 symbols about 30 are on screen,
and formatting the rest every tick was most of a tick.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.model.rows import Cell, SeriesKey
from tui.widgets.columns import Column, fit_text
from tui.widgets.row_strips import STYLE_NAMES, RowInk, cell_segments, changed_span, row_strip, theme_styles

CellSource = Callable[[Sequence[SeriesKey]], Mapping[SeriesKey, tuple[Cell, ...]]]
"""Given row keys, the new cells of those of them whose cells changed (``Watchlist.cell_source``)."""


class Watchlist(ScrollView, can_focus=True):
    """Rows of formatted cells keyed by (symbol, venue), with a cursor row."""

    DEFAULT_CSS = """
    Watchlist { background: $background; color: $foreground; }
    Watchlist > .watchlist--header { color: $text-muted; text-style: bold; background: $surface; }
    Watchlist > .watchlist--cursor { background: $primary 35%; text-style: bold; }
    Watchlist > .watchlist--symbol { color: $foreground; text-style: bold; }
    Watchlist > .watchlist--muted { color: $muted; }
    Watchlist > .watchlist--up { color: $up; }
    Watchlist > .watchlist--down { color: $down; }
    Watchlist > .watchlist--neutral { color: $neutral; }
    Watchlist > .watchlist--flag-bull { color: $flag-bull; text-style: bold; }
    Watchlist > .watchlist--flag-bear { color: $flag-bear; text-style: bold; }
    Watchlist > .watchlist--flag-context { color: $flag-context; text-style: bold; }
    Watchlist > .watchlist--flag-unproven { color: $text-muted; }
    Watchlist > .watchlist--stale { color: $stale; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"watchlist--{name}" for name in STYLE_NAMES}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "up", show=False),
        Binding("down,j", "cursor(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home", "cursor_to(0)", "top", show=False),
        Binding("end", "cursor_to(-1)", "bottom", show=False),
        Binding("enter", "choose", "drill down"),
        Binding("right,e", "expand(True)", "venues", show=False),
        Binding("left", "expand(False)", "collapse", show=False),
        Binding("greater_than_sign", "scroll_columns(1)", "scroll right", show=False),
        Binding("less_than_sign", "scroll_columns(-1)", "scroll left", show=False),
    ]

    class RowChosen(Message):
        """The user chose a row (Enter or double-click): drill into ``key``."""

        def __init__(self, key: SeriesKey) -> None:
            super().__init__()
            self.key = key

    class ExpandToggled(Message):
        """The user asked to show (``expanded``) or hide the venue rows of ``symbol``."""

        def __init__(self, symbol: str, expanded: bool) -> None:
            super().__init__()
            self.symbol = symbol
            self.expanded = expanded

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

    # ---- public API ------------------------------------------------------------------------

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

    @property
    def order(self) -> list[SeriesKey]:
        """Keys of the rows in display order."""
        return self._order

    @property
    def cursor_key(self) -> SeriesKey | None:
        """Key of the row under the cursor (None when empty)."""
        return self._order[self.cursor] if self._order else None

    @property
    def visible_keys(self) -> list[SeriesKey]:
        """Keys of the rows in the scroll window, top to bottom."""
        top, height = self._visible()
        return self._order[top : top + height]

    def refresh_cells(self) -> None:
        """Ask ``cell_source`` for the rows in view and repaint the characters that changed (paint tick).

        Rows out of view keep their cells until they are drawn: ``render_lines`` asks for them then.
        """
        if self.cell_source is None:
            return
        keys = self.visible_keys
        self._asked = set(keys)
        self.update_cells(self.cell_source(keys))

    def cells(self, key: SeriesKey) -> tuple[Cell, ...] | None:
        """The formatted cells of a row, brought up to date first (a row out of view may lag)."""
        if self.cell_source is not None:
            self.update_cells(self.cell_source([key]))
        return self._cells.get(key)

    def drawn_cells(self, key: SeriesKey) -> tuple[Cell, ...] | None:
        """The cells a row was last drawn with (or will be, once in view), as they are."""
        return self._cells.get(key)

    def row_text(self, key: SeriesKey) -> str:
        """Plain text of a row as drawn (tests and snapshots read this)."""
        cells = self.cells(key)
        if cells is None:
            return ""
        return " ".join(
            fit_text("".join(t for t, _ in cell), c.width, c.align)
            for c, cell in zip(self.columns, self._shown(cells), strict=False)
        )

    def set_marks(self, marks: Mapping[str, str]) -> None:
        """Suffixes for column titles (the sort arrow); repaints the header line only."""
        if dict(marks) != self._marks:
            self._marks = dict(marks)
            self._header = None
            self.refresh(Region(0, 0, max(self.size.width, 1), 1))

    def update_cells(self, updates: Mapping[SeriesKey, tuple[Cell, ...]]) -> None:
        """Store new cells and mark dirty only the characters that changed on visible rows."""
        top, height = self._visible()
        for key, new in updates.items():
            old = self._cells.get(key)
            if old == new:
                continue
            self._store(key, new)
            i = self._pos.get(key)
            if i is None or not top <= i < top + height:
                continue
            y = i - top + 1
            if old is None or len(old) != len(new):
                self.refresh(Region(0, y, max(self.size.width, 1), 1))
                continue
            # One region per changed cell, in one refresh() call: with tui.textual_patch only those
            # cells are written, whereas their union would resend every cell between them.
            regions = [
                self._diff_region(col, x, y, a, b)
                for col, x, a, b in zip(
                    self.columns, self._xs, self._shown(old), self._shown(new), strict=False
                )
                if a != b
            ]
            if regions:
                self.refresh(*regions)

    def forget(self, keys: Sequence[SeriesKey]) -> None:
        """Drop the cells and cached strips of rows that are gone (a removed symbol, hidden venue rows)."""
        for key in keys:
            self._cells.pop(key, None)
            self._strips.pop(key, None)
            self._row_segs.pop(key, None)
            if self._cursor_strip is not None and self._cursor_strip[0] == key:
                self._cursor_strip = None

    def set_order(self, order: Sequence[SeriesKey]) -> None:
        """Show rows in ``order``; the cursor stays on its row if that row is still shown."""
        order = list(order)
        if order == self._order:
            return
        keep = self.cursor_key
        old = self._order
        self._order = order
        self._pos = {k: i for i, k in enumerate(order)}
        if keep in self._pos:
            self.cursor = self._pos[keep]
        self.cursor = max(0, min(self.cursor, len(order) - 1))
        self._resize_virtual()
        top, height = self._visible()
        for i in range(top, top + height):
            a = old[i] if i < len(old) else None
            b = order[i] if i < len(order) else None
            if a != b or i == self.cursor:
                self.refresh(Region(0, i - top + 1, max(self.size.width, 1), 1))
        self._scroll_cursor_into_view()

    def move_cursor(self, row: int) -> None:
        """Put the cursor on display row ``row`` (clamped) and scroll it into view."""
        if not self._order:
            return
        row = max(0, min(row, len(self._order) - 1))
        if row == self.cursor:
            return
        before = self.cursor
        self.cursor = row
        top, _ = self._visible()
        for i in (before, row):
            self.refresh(Region(0, i - top + 1, max(self.size.width, 1), 1))
        self._scroll_cursor_into_view()

    # ---- actions and mouse --------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        """Move the cursor by ``delta`` rows."""
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor by one screen of rows."""
        self.move_cursor(self.cursor + direction * max(1, self.size.height - 2))

    def action_cursor_to(self, row: int) -> None:
        """Jump to the first (0) or last (-1) row."""
        self.move_cursor(row if row >= 0 else len(self._order) - 1)

    def action_choose(self) -> None:
        """Drill into the row under the cursor."""
        if (key := self.cursor_key) is not None:
            self.post_message(self.RowChosen(key))

    def action_scroll_columns(self, direction: int) -> None:
        """``<`` ``>``: scroll sideways to the previous or next column (when the columns need more room)."""
        x = round(self.scroll_x)
        starts = [c for c in self._xs if c > 0]
        target = (
            next((c for c in starts if c > x), x)
            if direction > 0
            else max([0, *(c for c in starts if c < x)])
        )
        self.scroll_to(x=min(target, max(0, self._total_width - self.size.width)), animate=False)

    def action_expand(self, expanded: bool) -> None:
        """Show or hide the venue rows of the symbol under the cursor."""
        if (key := self.cursor_key) is not None:
            self.post_message(self.ExpandToggled(key[0], expanded))

    def on_click(self, event: events.Click) -> None:
        """Click selects a row; a double-click drills into it."""
        row = event.y - 1 + round(self.scroll_y)
        if event.y < 1 or not 0 <= row < len(self._order):
            return
        self.move_cursor(row)
        if event.chain >= 2:
            self.action_choose()

    # ---- rendering -----------------------------------------------------------------------------

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

    # ---- internals -----------------------------------------------------------------------------

    def _visible(self) -> tuple[int, int]:
        return round(self.scroll_y), max(0, self.size.height - 1)

    def _resize_virtual(self) -> None:
        size = Size(self._total_width, len(self._order) + 1)
        if size != self.virtual_size:
            self.virtual_size = size

    def _scroll_cursor_into_view(self) -> None:
        top, height = self._visible()
        if height <= 0:
            return
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

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

    def _diff_region(self, col: Column, x: int, y: int, a: Cell, b: Cell) -> Region:
        offset, width = changed_span(col, a, b)
        return Region(x + offset - round(self.scroll_x), y, width, 1)

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
