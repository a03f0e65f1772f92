"""The event log (``l``): the latest events, newest first, filtered by symbol and kind.

It lists what the app saw this session merged with what the history store kept (events ``perptop
record`` saw while the monitor was closed included). ``/`` filters by symbol as you type, ``k`` cycles
the kinds shown (all, flags on, flags off, thresholds, alerted only), Enter drills into the event's
symbol with the event's bar marked on the charts, Esc goes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from signals.flags import CODE
from signals.times import utc_text
from tui.alerts.events import Event

KIND_FILTERS: tuple[tuple[str, str], ...] = (
    ("all kinds", ""),
    ("flags on", "flag_on"),
    ("flags off", "flag_off"),
    ("thresholds", "threshold"),
    ("alerted only", "alerted"),
)
MAX_ROWS = 500


def shown(events: Iterable[Event], symbol_text: str, kind: str) -> list[Event]:
    """The events a filter keeps, newest first, at most ``MAX_ROWS``."""
    needle = symbol_text.strip().upper()
    out = [
        e
        for e in events
        if (not needle or needle in e.symbol)
        and (not kind or (bool(e.alerted) if kind == "alerted" else e.kind == kind))
    ]
    out.sort(key=lambda e: (e.time_ms, e.wall_ms), reverse=True)
    return out[:MAX_ROWS]


class EventLogScreen(Screen[None]):
    """The latest events.

    Args:
        events: a callable returning every event to choose from (memory and store, any order).
        drill: called with an event when the user presses Enter on it.
        filter_prompt: called with the current symbol filter and a setter, to ask for a new one.
    """

    DEFAULT_CSS = """
    EventLogScreen #events-title { height: 1; background: $surface; color: $foreground; padding: 0 1; }
    EventLogScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,l", "back", "back"),
        Binding("k", "next_kind", "kind"),
        Binding("slash", "filter", "filter"),
        Binding("enter", "drill", "drill down", show=True, priority=True),
    ]

    def __init__(
        self,
        events: Callable[[], list[Event]],
        drill: Callable[[Event], None],
        filter_prompt: Callable[[str, Callable[[str], None]], None],
    ) -> None:
        super().__init__()
        self.events = events
        self.drill = drill
        self.filter_prompt = filter_prompt
        self.symbol_text = ""
        self.kind_index = 0
        self._rows: list[Event] = []

    def compose(self) -> ComposeResult:
        """Title line, the table, the key footer."""
        yield Static(id="events-title")
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=False)
        table.add_columns("bar time (UTC)", "symbol", "venue", "event", "reason", "alerted")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table."""
        self.refill()
        self.query_one(DataTable).focus()

    def refill(self) -> None:
        """Rebuild the rows from the events as they are now (new events arrived, or a filter changed)."""
        label, kind = KIND_FILTERS[self.kind_index]
        every = self.events()
        self._rows = shown(every, self.symbol_text, kind)
        table: DataTable[str] = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for e in self._rows:
            what = e.flag or e.rule or ""
            code = CODE.get(what, "")
            name = {"flag_on": f"▲ {code} {what} on", "flag_off": f"▽ {code} {what} off"}.get(
                e.kind, f"◆ {what} crossed"
            )
            table.add_row(
                utc_text(e.time_ms, suffix=""),
                e.symbol,
                e.venue,
                name,
                e.reason,
                ", ".join(e.alerted) or ("held: " + "; ".join(e.suppressed) if e.suppressed else ""),
            )
        if self._rows:
            table.move_cursor(row=min(keep, len(self._rows) - 1))
        filt = f" · symbol contains {self.symbol_text!r}" if self.symbol_text else ""
        self.query_one("#events-title", Static).update(
            f"events · newest first · {len(self._rows)} shown of {len(every)} · {label}{filt}"
            "   / filter  k kind  Enter drill down  Esc back"
        )

    def action_back(self) -> None:
        """Esc or ``l``: back to the watchlist."""
        self.dismiss()

    def action_next_kind(self) -> None:
        """``k``: the next kind filter."""
        self.kind_index = (self.kind_index + 1) % len(KIND_FILTERS)
        self.refill()

    def action_filter(self) -> None:
        """``/``: filter by symbol."""

        def apply(text: str) -> None:
            self.symbol_text = text
            self.refill()

        self.filter_prompt(self.symbol_text, apply)

    def action_drill(self) -> None:
        """Enter: the selected event's symbol in depth, at the event's bar."""
        row = self.query_one(DataTable).cursor_row
        if 0 <= row < len(self._rows):
            self.drill(self._rows[row])
