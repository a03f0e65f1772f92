"""The perptop app over a replayed history: the banner says REPLAY and the replayed time; space, ``.``, ``+``,
``-``."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from textual.binding import Binding
from textual.widgets import Static

from feeds.history.replay import ReplaySource
from tui.app import PerptopApp
from tui.config.limits import MAX_SYMBOLS
from tui.config.loader import AppConfig


def replay_app(config: AppConfig, source: ReplaySource, **kwargs: Any) -> ReplayApp:
    """A ``ReplayApp`` over ``source``, its watchlist the replayed symbols (a/d changes are not saved)."""
    symbols = tuple(source.symbols[:MAX_SYMBOLS])
    config = dataclasses.replace(config, watchlist=symbols, config_watchlist=symbols, state_path=None)
    return ReplayApp(config, mode="replay", source=source, **kwargs)


class ReplayApp(PerptopApp):
    """The perptop app over a ``ReplaySource``: the banner says REPLAY and the replayed time."""

    BINDINGS: ClassVar[list[Any]] = [
        Binding("space", "replay_pause", "play/pause"),
        Binding("full_stop", "replay_step", "step"),
        Binding("plus", "replay_speed(2.0)", "faster", show=False),
        Binding("minus", "replay_speed(0.5)", "slower", show=False),
    ]
    source: ReplaySource

    def on_mount(self) -> None:
        """The app's start, then the replay banner in place of the generic one."""
        super().on_mount()
        self._show_replay_banner()

    def paint(self, force: bool = False) -> None:
        """The app's repaint, and the banner with the replayed time."""
        super().paint(force)
        self._show_replay_banner()

    def _show_replay_banner(self) -> None:
        self.query_one("#banner", Static).update(self.source.banner())

    def action_replay_pause(self) -> None:
        """Space: pause or resume the replay."""
        self.source.toggle_pause()
        self.paint(force=True)

    def action_replay_step(self) -> None:
        """``.``: pause and replay exactly one bar."""
        self.source.step_bar()
        self.paint(force=True)

    def action_replay_speed(self, factor: float) -> None:
        """``+``/``-``: double or halve the speed."""
        self.source.set_speed(self.source.speed * factor)
        self.paint(force=True)
