"""The column picker (``c``): which watchlist columns to show.

Space toggles a column, Enter keeps the choice (all chosen columns are shown; the table scrolls sideways
with ``<`` ``>`` when they need more room than the terminal has), ``a`` goes back to fitting the width by
priority, Esc cancels. The symbol column is always shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static

from tui.widgets.columns import Column

Choice = tuple[str, ...] | str | None
"""The chosen column keys; ``"auto"`` to fit the width by priority; None when cancelled."""


class ColumnsScreen(ModalScreen[Choice]):
    """A checklist of the watchlist's columns."""

    DEFAULT_CSS = """
    ColumnsScreen { align: center middle; }
    ColumnsScreen > Vertical {
        width: 44; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    ColumnsScreen .columns-help { color: $muted; }
    ColumnsScreen SelectionList { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "keep", "keep", priority=True),
        Binding("a", "auto", "fit to width"),
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self, columns: Sequence[Column], shown: Sequence[str]) -> None:
        super().__init__()
        self.all_columns = [c for c in columns if c.key != "symbol"]
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        """The checklist and a line of keys."""
        with Vertical():
            yield Static("columns", classes="columns-title")
            yield SelectionList[str](*((c.title, c.key, c.key in self.shown) for c in self.all_columns))
            yield Static(
                "space toggles · Enter keeps · a fits to width · Esc cancels", classes="columns-help"
            )

    def on_mount(self) -> None:
        """Focus the checklist."""
        self.query_one(SelectionList).focus()

    def action_keep(self) -> None:
        """Enter: show the ticked columns (and the symbol)."""
        ticked = set(self.query_one(SelectionList).selected)
        self.dismiss(("symbol", *(c.key for c in self.all_columns if c.key in ticked)))

    def action_auto(self) -> None:
        """``a``: fit the columns to the width by priority again."""
        self.dismiss("auto")

    def action_cancel(self) -> None:
        """Esc: leave the columns as they were."""
        self.dismiss(None)
