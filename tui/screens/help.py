"""The help screen (``?``): every key, and the flag legend (code, name, direction, meaning)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from signals.flags import CODE, DIRECTION, FLAG_NAMES, SUMMARY

KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓  j k", "move the selection (mouse: click a row)"),
    ("Enter", "drill into the selected symbol (mouse: double-click)"),
    ("→ e  ←", "show / hide the per-venue rows of the selected symbol"),
    ("< >", "scroll the columns sideways (when the chosen ones need more room)"),
    ("/", "filter symbols by text (Esc clears; the status bar shows it)"),
    ("s  S", "cycle the sort column / reverse the sort"),
    ("f", "show flagged symbols only"),
    ("F", "funding spread across venues, widest first (Enter drills in)"),
    ("a  d  u", "add a symbol / remove the selected one / undo the removal (30 s)"),
    ("c", "choose the columns (auto: as many as fit, by priority)"),
    ("h", "funding heatmap: by venue, last 24 h, hidden"),
    ("l", "event log: flags on/off and thresholds, newest first (Enter drills into the event)"),
    ("L", "liquidation tape across venues, newest first (/ filters)"),
    ("t", "next theme"),
    ("p", "pause repainting"),
    ("r", "retry every venue stopped for its location now (otherwise tried again once an hour)"),
    ("n  N", "drill-down: next / previous symbol (Esc returns to the last one viewed)"),
    ("c  C", "drill-down on a small screen: next / previous chart"),
    ("Ctrl+P", "command palette: jump to a symbol"),
    ("?", "this help"),
    ("q", "quit"),
)

_DIRECTION_TEXT = {1: "▲ up", -1: "▼ down", 0: "◆ context"}
_PER_BAR_TEXT = {
    "funding_extreme": "▲▼ against funding",
    "premium_extreme": "▲▼ against premium",
    "flow_divergence": "▲▼ with spot flow",
    "top_trader_divergence": "▲▼ with top traders",
}
"""How the flags of ``signals.flags.PER_BAR`` point: their direction is set at each bar."""


def _direction(name: str) -> str:
    return _PER_BAR_TEXT.get(name) or _DIRECTION_TEXT[DIRECTION[name]]


def flag_legend() -> Table:
    """The flag legend as a table: code, name, direction, one-line meaning."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
    table.add_column("code", no_wrap=True)
    table.add_column("flag", no_wrap=True)
    table.add_column("points", no_wrap=True)
    table.add_column("meaning", ratio=1)
    for name in FLAG_NAMES:
        table.add_row(Text(CODE[name], style="bold"), name, _direction(name), SUMMARY[name])
    return table


def key_table() -> Table:
    """The key bindings as a table."""
    table = Table(box=None, show_header=False, pad_edge=False, expand=True)
    table.add_column("key", no_wrap=True, style="bold")
    table.add_column("action", ratio=1)
    for key, what in KEYS:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and the flag legend; any of Esc, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $primary; padding: 0 1;
    }
    HelpScreen .help-title { text-style: bold; color: $primary; margin-top: 1; }
    HelpScreen .help-note { color: $muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Keys", classes="help-title")
            yield Static(key_table())
            yield Static("Flags", classes="help-title")
            yield Static(flag_legend())
            yield Static(
                "In the flags column each code follows its direction (▲ up, ▼ down, ◆ context) and takes "
                "its colour; a dimmed code has low confidence (leverage_driven is on). Drill down (Enter) "
                "for each flag's reason. Settings, the state file and the column order are in the README.",
                classes="help-note",
            )
