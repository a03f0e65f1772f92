"""The app's history store: the bars it records, and the week it resumes from at a restart.

``AppHistory`` belongs to ``PerptopApp``. When the live monitor records, a ``HistoryRecorder`` sends
every bar the app's store writes to the history writer, and at start the stored bars the store can
hold are read on a worker thread and loaded before the feed starts, so its first poll lands on resumed
windows (the first frame does not wait for the read). A symbol added with ``a`` resumes its own bars.

When the monitor was asked to record but its store could not be opened, ``off`` holds why: the status
bar says ``recording off`` for as long as the app runs, and the reason is a notification at start (the
one stderr line said before the screen took over is gone as soon as the screen is drawn).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from feeds.history.store import READ_ERRORS
from feeds.history.writer import HistoryWriter
from feeds.messages import History
from feeds.source import Source
from signals.times import Clock
from tui.app_alerts import AppAlerts
from tui.model.bars import BarStore
from tui.model.recording import HistoryRecorder
from tui.model.stored import read_for, restore

RECORDING_OFF = "recording off"
"""The status bar's note while the monitor runs without the store it was asked to record into."""


class AppHistory:
    """Recording and resuming for one app (``history`` None: the app neither records nor resumes).

    Args:
        app: the Textual app (its workers, toasts and event loop).
        store: the app's bar store.
        source: the app's source (its liquidation events are recorded too).
        history: the history writer, or None.
        clock: epoch ms.
        alerts: the app's events (their stored part is read at start too).
        resumed: told, on the event loop, how many bars were loaded and whether this was the start
            (the app then starts its feed).
        off: why the monitor does not record though asked to ("" when it records, or was not asked).
    """

    def __init__(
        self,
        app: App[Any],
        store: BarStore,
        source: Source,
        history: HistoryWriter | None,
        clock: Clock,
        alerts: AppAlerts,
        resumed: Callable[[int, bool], None],
        off: str = "",
    ) -> None:
        self.app = app
        self.off = off
        self.store = store
        self.history = history
        self.clock = clock
        self.alerts = alerts
        self.resumed = resumed
        self.resumed_bars = 0
        self.recorder: HistoryRecorder | None = None
        if history is not None:
            self.recorder = HistoryRecorder(history, lambda: store.symbols)
            self.recorder.attach(store)
            source.listen_liquidations(self.recorder.liquidations)

    def notes(self) -> list[tuple[str, str]]:
        """The status bar's note (text, style name) while recording is off; none otherwise."""
        return [(RECORDING_OFF, "error")] if self.off else []

    def announce(self) -> None:
        """Say once, at start, why recording is off and what the user can do about it."""
        if self.off:
            self.app.notify(
                f"{self.off}. Nothing is recorded this session: fix or move the store ([store] path in "
                "the config), or set [store] record = false there to run without one.",
                title="recording off",
                severity="error",
                timeout=30,
                markup=False,  # "[store]" and a path with brackets in it are text, not Rich markup
            )

    def start(self) -> None:
        """Read the stored bars (then start the feed) and the stored events, on worker threads."""
        app = self.app
        app.run_worker(self._read, thread=True, group="history", exit_on_error=False, name="resume")
        app.run_worker(self._read_events, thread=True, group="history", exit_on_error=False, name="events")

    def resume_symbol(self, symbol: str) -> None:
        """A symbol was added: its stored bars merge under what the feed already wrote."""
        if self.history is not None:
            self.app.run_worker(
                lambda: self._read([symbol]),
                thread=True,
                group="history",
                exit_on_error=False,
                name=f"resume {symbol}",
            )

    def _read(self, symbols: list[str] | None = None) -> None:
        """Worker thread: read the stored bars the store can hold, then resume on the event loop.

        Args:
            symbols: a symbol just added; None: every symbol, at start, after which the feed starts.
        """
        assert self.history is not None
        store = self.store
        now, step = self.clock(), store.step_ms
        since = now - now % step - (store.capacity - 1) * step
        try:
            histories, problem = read_for(store, self.history.path, since, symbols), ""
        except READ_ERRORS as exc:
            histories, problem = (
                [],
                f"history store {self.history.path}: not read ({exc}); going on without it",
            )
        self.app.call_from_thread(self._resume, histories, problem, symbols is None)

    def _resume(self, histories: list[History], problem: str, at_start: bool) -> None:
        if problem:
            self.app.notify(problem, severity="warning", timeout=15)
        wanted = set(self.store.symbols)  # a symbol removed while its bars were read stays removed
        loaded = restore(self.store, [h for h in histories if h.symbol in wanted])
        self.resumed_bars += loaded
        self.resumed(loaded, at_start)

    def _read_events(self) -> None:
        """Worker thread: the events the store kept (while this monitor was closed too)."""
        assert self.history is not None
        events, away = self.alerts.read_stored(self.history.path)
        self.app.call_from_thread(self.alerts.stored_read, events, away)

    def close(self) -> bool:
        """Write the current bar and wait for the writer to commit; False if that did not finish."""
        if self.history is None:
            return True
        if self.recorder is not None:
            self.recorder.write_current(self.store)
        return self.history.close()
