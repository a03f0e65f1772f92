"""A one-line prompt over the watchlist: the ``/`` filter (live as you type) and ``a`` add-symbol."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; Enter returns it, Esc returns None.

    Args:
        label: what is asked, e.g. ``filter`` or ``add symbol``.
        value: the initial text.
        on_change: called with the text on every keystroke (the live filter), or None.
    """

    DEFAULT_CSS = """
    PromptScreen { align: center bottom; background: $background 0%; }
    PromptScreen > Horizontal {
        height: 3; width: 100%; margin-bottom: 1; background: $surface; border-top: solid $primary;
    }
    PromptScreen Label { padding: 1 1 0 1; color: $primary; text-style: bold; }
    PromptScreen Input { width: 1fr; height: 1; margin-top: 1; }
    /* Textual's own Input:focus (a pseudo-class, so more specific) brings back a tall border that
       leaves a one-line input no room for its text. */
    PromptScreen Input, PromptScreen Input:focus { border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, label: str, value: str = "", on_change: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.label = label
        self.value = value
        self.on_change = on_change

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(f"{self.label}:")
            yield Input(value=self.value, id="prompt-input")

    def on_mount(self) -> None:
        """No blinking cursor: a blink costs CPU for as long as the prompt is open."""
        field = self.query_one(Input)
        field.cursor_blink = False
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Pass each keystroke to ``on_change`` (live filter)."""
        if self.on_change is not None:
            self.on_change(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: return the text."""
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Esc: return None."""
        self.dismiss(None)
