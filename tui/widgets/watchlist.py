"""The watchlist: a Line-API table that repaints only the characters that changed.

A stock ``DataTable`` repaints every line when one cell changes (about 7 % of a core and 30 KiB/s of
terminal output at 1 Hz for 60 rows). This widget keeps the formatted cells and a rendered ``Strip`` per
row; ``update_cells`` compares each new cell with the old one and marks dirty only the span of
characters that differ, so a price ticking from 96,512.3 to 96,514.1 redraws three characters. The
drawing itself (cached strips, cropped to the scroll window) is its base, ``tui.widgets.row_table``.

Line 0 is the column header (it stays on top while rows scroll under it). The widget shows a subset
of the columns (``set_columns``): ``fit_columns`` picks them for the width, by priority, unless the
user chose columns that need more room, in which case the table scrolls sideways (``<`` ``>``).

Cells are formatted only for rows on screen: the widget asks its ``cell_source`` for the cells of the
rows in its scroll window (``refresh_cells``, on the paint tick) and of rows about to be drawn that it has
not asked about since (scrolled, resized or reordered into view). Of 200 symbols about 30 are on screen,
and formatting the rest every tick was most of a tick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message

from tui.model.rows import Cell, SeriesKey
from tui.widgets.columns import Column, fit_text
from tui.widgets.row_strips import STYLE_NAMES, changed_span
from tui.widgets.row_table import RowTable


class Watchlist(RowTable, can_focus=True):
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

    # ---- public API ------------------------------------------------------------------------

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

    # ---- internals -----------------------------------------------------------------------------

    def _scroll_cursor_into_view(self) -> None:
        top, height = self._visible()
        if height <= 0:
            return
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _diff_region(self, col: Column, x: int, y: int, a: Cell, b: Cell) -> Region:
        offset, width = changed_span(col, a, b)
        return Region(x + offset - round(self.scroll_x), y, width, 1)
