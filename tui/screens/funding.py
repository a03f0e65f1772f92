"""The funding spread screen (``F``): the watchlist's symbols ranked by their cross-venue funding spread.

Each row names the venues paying the highest and the lowest funding (normalised to 8 h), both rates,
the spread per 8 h and as APR, each venue's open interest in USD and the countdown to its next
settlement. Symbols with funding on one venue only come after, marked "one venue". The table is
rebuilt only when what it shows changed (a new bar, a countdown passing a minute), checked once a
second while the screen is open. Enter drills into the symbol; Esc or ``q`` goes back. On a narrow
terminal the countdowns and then the open interest give way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from signals.formats import MISSING, fmt_apr, fmt_countdown, fmt_funding, fmt_usd
from tui.model.bars import BarStore
from tui.model.funding_spread import FundingSpread, VenueFunding, funding_spreads
from tui.screens.table_fit import SCROLLBAR, TableColumn
from tui.screens.table_fit import fit as fit_columns

REFRESH_S = 1.0


COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("symbol", "symbol", 8),
    TableColumn("high", "high", 11),
    TableColumn("high_8h", "8h", 8),
    TableColumn("low", "low", 11),
    TableColumn("low_8h", "8h", 8),
    TableColumn("spread", "spread", 8),
    TableColumn("apr", "APR", 8),
    TableColumn("high_oi", "OI high", 7),
    TableColumn("low_oi", "OI low", 7),
    TableColumn("high_next", "next high", 9),
    TableColumn("low_next", "next low", 8),
)
GIVE_WAY = ("low_next", "high_next", "low_oi", "high_oi")
"""First to go first on a narrow terminal: the settlement countdowns, then the open interest."""


def fit(width: int) -> tuple[TableColumn, ...]:
    """The columns that fit in ``width`` cells, dropping ``GIVE_WAY`` in order."""
    return fit_columns(COLUMNS, GIVE_WAY, width)


def _next(v: VenueFunding | None, now_ms: int) -> str:
    if v is None or v.next_funding_ms <= 0:
        return MISSING
    return fmt_countdown(v.next_funding_ms - now_ms)


def row_texts(spread: FundingSpread, now_ms: int) -> dict[str, str]:
    """The text of every column of one symbol's row."""
    hi, lo = spread.high, spread.low
    if hi is None or lo is None:
        return {"symbol": spread.symbol, "high": "no funding yet"}
    if spread.venues < 2:
        return {
            "symbol": spread.symbol,
            "high": hi.venue,
            "high_8h": fmt_funding(hi.funding_8h),
            "low": "one venue",
            "high_oi": fmt_usd(hi.oi_usd),
            "high_next": _next(hi, now_ms),
        }
    return {
        "symbol": spread.symbol,
        "high": hi.venue,
        "high_8h": fmt_funding(hi.funding_8h),
        "low": lo.venue,
        "low_8h": fmt_funding(lo.funding_8h),
        "spread": fmt_funding(spread.spread_8h),
        "apr": fmt_apr(spread.spread_apr),
        "high_oi": fmt_usd(hi.oi_usd),
        "low_oi": fmt_usd(lo.oi_usd),
        "high_next": _next(hi, now_ms),
        "low_next": _next(lo, now_ms),
    }


class FundingSpreadScreen(Screen[None]):
    """The watchlist's symbols ranked by funding spread across venues.

    Args:
        store: the bar store (read at most once a second).
        drill: called with a symbol when the user presses Enter on its row.
        clock: epoch ms, for the countdowns.
    """

    DEFAULT_CSS = """
    FundingSpreadScreen #funding-title { height: 1; background: $surface; color: $foreground; padding: 0 1; }
    FundingSpreadScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,F", "back", "back"),
        Binding("enter", "drill", "drill down", show=True, priority=True),
    ]

    def __init__(self, store: BarStore, drill: Callable[[str], None], clock: Callable[[], int]) -> None:
        super().__init__()
        self.store = store
        self.drill = drill
        self.clock = clock
        self.symbols: list[str] = []
        self._texts: list[dict[str, str]] = []
        self._columns: tuple[TableColumn, ...] = ()

    def compose(self) -> ComposeResult:
        """Title line, the table, the key footer."""
        yield Static(id="funding-title")
        yield DataTable(cursor_type="row", zebra_stripes=False)
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table and check for new figures once a second."""
        self.refill()
        self.query_one(DataTable).focus()
        self.set_interval(REFRESH_S, self.refill)

    def on_resize(self, event: events.Resize) -> None:
        """Columns give way (or come back) with the width."""
        if self._columns:  # laid out once mounted; a resize before that has nothing to re-fit
            self.refill(width=event.size.width)

    def refill(self, width: int = 0) -> None:
        """Rebuild the table if what it shows changed (new figures, a countdown, the width)."""
        now = self.clock()
        spreads = funding_spreads(self.store, self.store.symbols, now)
        texts = [row_texts(s, now) for s in spreads]
        columns = fit((width or self.size.width) - SCROLLBAR)
        if texts == self._texts and columns == self._columns:
            return
        table: DataTable[str] = self.query_one(DataTable)
        keep = self.symbols[table.cursor_row] if 0 <= table.cursor_row < len(self.symbols) else None
        if columns != self._columns:
            table.clear(columns=True)
            for c in columns:
                table.add_column(c.title, width=c.width, key=c.key)
            self._columns = columns
        else:
            table.clear()
        self._texts = texts
        self.symbols = [s.symbol for s in spreads]
        for row in texts:
            table.add_row(*(row.get(c.key, "") for c in columns))
        if keep in self.symbols:
            table.move_cursor(row=self.symbols.index(keep))
        self.query_one("#funding-title", Static).update(self._title(spreads))

    @staticmethod
    def _title(spreads: Sequence[FundingSpread]) -> str:
        ranked = sum(1 for s in spreads if s.venues >= 2)
        return f"funding spread across venues (8h) · widest first · {ranked}/{len(spreads)} on 2+ venues"

    def action_back(self) -> None:
        """Esc, ``q`` or ``F``: back to the watchlist."""
        self.dismiss()

    def action_drill(self) -> None:
        """Enter: the selected symbol in depth."""
        row = self.query_one(DataTable).cursor_row
        if 0 <= row < len(self.symbols):
            self.drill(self.symbols[row])
