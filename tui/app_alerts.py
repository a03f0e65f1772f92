"""The app's side of events and alerts: toasts, the event log screen, the status line, "while away".

``AppAlerts`` belongs to ``PerptopApp``: it owns the ``EventService`` that watches the app's bar store
and the ``Deliverer`` whose bell and OSC sinks write to the app's own terminal. When an alert fires it
shows a toast; ``l`` opens the event log. It counts the events that arrived while the user looked away
(the terminal lost focus, or the monitor was closed and ``perptop record`` kept watching), and the
status line says how many until the log is opened.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.history.store import READ_ERRORS, HistoryStore
from feeds.history.writer import HistoryWriter
from signals.times import Clock
from tui.alerts.events import Event
from tui.alerts.measuring import Job, ManyJob, ThreadMeasure
from tui.alerts.rules import Alert
from tui.alerts.service import EventService, alert_text
from tui.alerts.sinks import Deliverer
from tui.config.loader import AppConfig
from tui.model.bars import BarStore
from tui.widgets.linediff import Span

if TYPE_CHECKING:
    from textual.app import App

SEEN_KEY = "monitor_seen_ms"
"""The history store's note of when a monitor last had the user's eyes (its last exit, or last paint)."""
TOASTS_PER_BAR = 3
STORED_SHOWN = 2000


class AppAlerts:
    """Events and alerts of one app.

    Args:
        app: the Textual app (for toasts, screens and its terminal).
        config: the resolved config (its ``[events]`` and ``[[alerts]]``).
        store: the app's bar store.
        history: the history writer when the monitor records (events go to its store), else None.
        clock: epoch ms.
        job: how to measure a symbol's flag records (the drill-down's own job).
        many: how to measure several symbols' records together, if at all (see ``ThreadMeasure``).
    """

    def __init__(
        self,
        app: App[Any],
        config: AppConfig,
        store: BarStore,
        history: HistoryWriter | None,
        clock: Clock,
        job: Job,
        many: ManyJob | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.history = history
        self.deliverer = Deliverer(self._terminal_write)
        self.service = EventService(
            config.signals,
            config.events,
            config.alerts,
            lambda: store.symbols,
            clock,
            delivery=self.deliverer,
            writer=history,
            listener=self._seen,
        )
        self._measure = ThreadMeasure(self.service.records, job, many)
        self.service.measure = self._measure
        self.service.attach(store)
        self.rules = len(config.alerts)
        self.away_since: int | None = None
        self.while_away = 0
        self.stored: list[Event] = []
        self.log_open: Callable[[], None] | None = None  # refreshes the open log screen

    # ---- the terminal ------------------------------------------------------------------------

    def _terminal_write(self, text: str) -> None:
        """Bell and OSC sequences from a sink's worker thread, written by the app's own driver."""
        with contextlib.suppress(RuntimeError):  # the app is gone or going: nothing to ring
            self.app.call_from_thread(self._write, text)

    def _write(self, text: str) -> None:
        driver = self.app._driver
        if driver is not None and not self.app.is_headless:
            driver.write(text)

    # ---- events ------------------------------------------------------------------------------

    def _seen(self, events: Sequence[Event], alerts: Sequence[Alert]) -> None:
        """A bar closed with events: toasts for its alerts, the log refreshed, the away count grown."""
        for alert in alerts[:TOASTS_PER_BAR]:
            title, body = alert_text(alert)
            self.app.notify(body, title=title.removeprefix("perptop: "), severity="warning", timeout=12)
        if len(alerts) > TOASTS_PER_BAR:
            self.app.notify(f"and {len(alerts) - TOASTS_PER_BAR} more alerts: l shows them", timeout=12)
        if self.away_since is not None:
            self.while_away += len(events)
        if self.log_open is not None:
            self.log_open()

    def open_log(self, drill: Callable[[Event], None]) -> None:
        """Push the event log screen (``l``); while it is open, new events refresh it."""
        from tui.screens.events import EventLogScreen
        from tui.screens.prompt import PromptScreen

        def ask(current: str, apply: Callable[[str], None]) -> None:
            self.app.push_screen(PromptScreen("symbol", current, on_change=apply), lambda v: apply(v or ""))

        screen = EventLogScreen(self.all_events, drill, ask)
        self.seen_by_user()
        self.log_open = screen.refill

        def closed(_: None) -> None:
            self.log_open = None

        self.app.push_screen(screen, closed)

    def all_events(self) -> list[Event]:
        """This session's events merged with those the store kept (one per key)."""
        by_key = {e.key: e for e in self.stored}
        by_key.update((e.key, e) for e in self.service.recent)
        return list(by_key.values())

    # ---- away ----------------------------------------------------------------------------------

    def blurred(self) -> None:
        """The terminal lost focus: count what happens from now."""
        if self.away_since is None:
            self.away_since = self.clock()

    def focused(self) -> None:
        """The terminal has focus again: the count stays on the status line until the log is opened."""
        self.away_since = None

    def seen_by_user(self) -> None:
        """The log was opened: nothing is unseen any more."""
        self.while_away = 0
        self.away_since = None

    def read_stored(self, path: Path) -> tuple[list[Event], int]:
        """Worker thread: the store's latest events, and how many arrived since a monitor last ran."""
        try:
            reader = HistoryStore(path, None, readonly=True)
        except READ_ERRORS:  # absent (an OSError), not a database, no permission
            return [], 0
        try:
            rows = reader.events(0, limit=STORED_SHOWN)
            seen = reader.meta(SEEN_KEY)
        except READ_ERRORS:
            return [], 0
        finally:
            reader.close()
        events = [Event.from_json(json.loads(doc), t, w) for t, _, _, _, _, w, doc in rows]
        since = int(seen) if seen is not None else None
        return events, 0 if since is None else sum(1 for e in events if e.wall_ms > since)

    def stored_read(self, events: list[Event], away: int) -> None:
        """Event loop: the store's events are in (a restart that resumed from the store)."""
        self.stored = events
        self.while_away += away
        if self.log_open is not None:
            self.log_open()

    # ---- what the status line says -----------------------------------------------------------

    def spans(self) -> list[Span]:
        """Alerts sent and held back, a failing sink, and the events that arrived while away."""
        out: list[Span] = []
        counts = self.service.counts
        if self.rules:
            out.append((f"  alerts {counts.sent}", "muted"))
            if counts.suppressed:
                out.append((f" ({counts.suppressed} held)", "stale"))
        errors = self.deliverer.errors()
        if errors:
            out.append((f"  {errors[-1][:48]}", "error"))
        if self.while_away:
            out.append(("  ", ""))
            out.append((f" {self.while_away} events while away: l ", "paused"))
        return out

    def close(self) -> bool:
        """Note when the user last saw the monitor, let the sinks finish (at most 5 s), stop measuring."""
        if self.history is not None:
            self.history.put_meta(SEEN_KEY, str(self.clock()))
        self._measure.close()
        return self.deliverer.close(5.0)
