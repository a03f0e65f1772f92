"""The liquidation tape (``L``): the latest liquidations across venues, newest first.

One row per event the source handed on since the app started (``tui.model.liq_tape``): its time (UTC),
venue, symbol, the side of the position liquidated (in the theme's bear colour for longs, whose
liquidation is a forced sell, and bull for shorts), its size in USD and its price. Events of at least
``[display] large_liquidation_usd`` are marked ``◆``. The header says what the events are: live streams
deliver a sample (Binance at most one per symbol per second, OKX not all, Hyperliquid none), the demo
splits its bars' totals, a replay has none. ``/`` filters by symbol as you type, Esc clears the filter
(or goes back when there is none), ``q`` or ``L`` goes back. New events are picked up once a second
while the screen is open. On a narrow terminal the price and then the venue give way.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import DataTable, Footer, Static

from feeds.records import Liquidation
from signals.formats import fmt_price, fmt_usd
from signals.times import utc_text
from tui.model.liq_tape import LiqTape
from tui.screens.table_fit import SCROLLBAR, TableColumn
from tui.screens.table_fit import fit as fit_columns

REFRESH_S = 1.0
MAX_ROWS = 500  # the newest shown; the filter searches every event kept
LARGE_MARK = "◆"


COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("time", "time UTC", 8),
    TableColumn("venue", "venue", 11),
    TableColumn("symbol", "symbol", 9),
    TableColumn("side", "side", 5),
    TableColumn("usd", "size USD", 8),
    TableColumn("price", "price", 14),
)
GIVE_WAY = ("price", "venue")
"""First to go on a narrow terminal: the price, then the venue (time, symbol, side and size stay)."""


def fit(width: int) -> tuple[TableColumn, ...]:
    """The columns that fit in ``width`` cells, dropping ``GIVE_WAY`` in order."""
    return fit_columns(COLUMNS, GIVE_WAY, width)


def row_texts(event: Liquidation, large: bool) -> dict[str, str]:
    """The plain text of every column of one event's row."""
    return {
        "time": utc_text(event.time, seconds=True, suffix="")[-8:],
        "venue": event.venue,
        "symbol": event.base,
        "side": event.side,
        "usd": f"{LARGE_MARK if large else ' '} {fmt_usd(event.usd)}",
        "price": fmt_price(event.price),
    }


class LiquidationTapeScreen(Screen[None]):
    """The latest liquidations across venues.

    Args:
        tape: the app's liquidation tape (read at most once a second).
    """

    DEFAULT_CSS = """
    LiquidationTapeScreen #liq-title { height: auto; background: $surface; color: $foreground; padding: 0 1; }
    LiquidationTapeScreen #liq-note { height: auto; color: $text-muted; padding: 0 1; }
    LiquidationTapeScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "escape", "clear filter / back"),
        Binding("q,L", "back", "back"),
        Binding("slash", "filter", "filter"),
    ]

    def __init__(self, tape: LiqTape) -> None:
        super().__init__()
        self.tape = tape
        self.symbol_text = ""
        self.rows: list[Liquidation] = []
        self._shown: tuple[int, str, tuple[TableColumn, ...]] | None = None
        self._columns: tuple[TableColumn, ...] = ()

    def compose(self) -> ComposeResult:
        """Title line, what the events are, the table, the key footer."""
        yield Static(id="liq-title")
        yield Static(self.tape.note, id="liq-note", markup=False)
        yield DataTable(cursor_type="row", zebra_stripes=False)
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table and look for new events once a second."""
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.refill()
        self.query_one(DataTable).focus()
        self.set_interval(REFRESH_S, self.refill)

    def on_resize(self, event: events.Resize) -> None:
        """Columns give way (or come back) with the width."""
        if self._columns:
            self.refill(width=event.size.width)

    def _theme_changed(self, theme: Theme) -> None:
        self._shown = None  # the side colours come from the theme: redraw them
        self.refill()

    def refill(self, width: int = 0) -> None:
        """Rebuild the table if what it shows moved (new events, the filter, the width)."""
        columns = fit((width or self.size.width) - SCROLLBAR)
        key = (self.tape.version, self.symbol_text, columns)
        if key == self._shown:
            return
        self._shown = key
        table: DataTable[str | Text] = self.query_one(DataTable)
        keep = self.rows[table.cursor_row] if 0 <= table.cursor_row < len(self.rows) else None
        if columns != self._columns:
            table.clear(columns=True)
            for c in columns:
                table.add_column(c.title, width=c.width, key=c.key)
            self._columns = columns
        else:
            table.clear()
        matching = self.tape.latest(self.symbol_text)
        self.rows = matching[:MAX_ROWS]
        styles = self._styles()
        for e in self.rows:
            large = self.tape.is_large(e)
            texts = row_texts(e, large)
            table.add_row(*(self._cell(c.key, texts[c.key], e, large, styles) for c in columns))
        if keep is not None and keep in self.rows:
            table.move_cursor(row=self.rows.index(keep))
        self.query_one("#liq-title", Static).update(self._title(len(matching)))

    def _styles(self) -> dict[str, Style]:
        """Rich styles from the theme's variables (DataTable cells are Rich text, not stylesheet text)."""
        v = self.app.theme_variables
        return {
            "long": Style(color=v.get("flag-bear")),
            "short": Style(color=v.get("flag-bull")),
            "large": Style(color=v.get("warning"), bold=True),
            "muted": Style(color=v.get("muted")),
        }

    @staticmethod
    def _cell(key: str, text: str, e: Liquidation, large: bool, styles: dict[str, Style]) -> str | Text:
        if key == "side":
            return Text(text, style=styles[e.side])
        if key == "usd" and large:
            return Text(text, style=styles["large"], justify="right")
        if key in ("usd", "price"):
            return Text(text, justify="right")
        if key == "time":
            return Text(text, style=styles["muted"])
        return Text(text)

    def _title(self, matching: int) -> str:
        tape = self.tape
        if tape.unavailable:
            return f"liquidation tape · {tape.unavailable}"
        filt = f" · symbol {self.symbol_text!r}" if self.symbol_text else ""
        if not len(tape):
            return "liquidation tape · none received yet"
        return (
            f"liquidation tape · newest first · {len(self.rows)} of {matching}{filt}"
            f" · {LARGE_MARK} ≥ {fmt_usd(tape.large_usd)}"
        )

    def action_back(self) -> None:
        """``q`` or ``L``: back to the watchlist."""
        self.dismiss()

    def action_escape(self) -> None:
        """Esc: clear the symbol filter; with none set, back to the watchlist."""
        if self.symbol_text:
            self.set_filter("")
        else:
            self.dismiss()

    def set_filter(self, text: str) -> None:
        """Show only the events of symbols containing ``text``."""
        self.symbol_text = text
        self.refill()

    def action_filter(self) -> None:
        """``/``: filter by symbol as you type; Enter keeps it, Esc clears it."""
        from tui.screens.prompt import PromptScreen

        self.app.push_screen(
            PromptScreen("symbol", self.symbol_text, on_change=self.set_filter),
            lambda value: self.set_filter(value or ""),
        )
