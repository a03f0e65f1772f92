"""The event stream at work: watches a bar store, turns each closed bar into events and alerts.

``EventService`` observes the app's (or a headless command's) ``BarStore``. When a bar closes it asks
the ``EdgeTracker`` for the flag edges and the rows' figures, the ``AlertRules`` for threshold crossings
and which rules alert, then keeps the events (the history store's ``events`` table when recording, a
bounded memory otherwise), hands the alerts to the sinks and tells its listener. Everything runs on
the caller's thread in milliseconds a bar; delivery itself never blocks (``tui.alerts.sinks``).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from feeds.history.writer import HistoryWriter
from feeds.messages import History
from signals.params import SignalParams
from signals.times import Clock
from tui.alerts.edges import EdgeTracker
from tui.alerts.events import Event
from tui.alerts.records import RecordBook
from tui.alerts.rules import Alert, AlertCounts, AlertRules
from tui.config.alerts import AlertRule, EventSettings, Sinks
from tui.model.bars import BarStore


class Delivery(Protocol):
    """Where alerts go (``tui.alerts.sinks.Deliverer``); ``deliver`` must never block or raise."""

    def deliver(self, event: dict[str, Any], title: str, body: str, sinks: Sinks) -> None:
        """Send one alert to every sink of ``sinks``."""

    def errors(self) -> list[str]:
        """The latest error of each failing sink."""


Listener = Callable[[Sequence[Event], Sequence[Alert]], None]
"""Told the events of each closed bar (after the rules judged them) and the alerts delivered."""
Measure = Callable[[Sequence[str], int], None]
"""Asked to measure these symbols' flag records (as of this bar time) and hand them to the book."""


def alert_text(alert: Alert) -> tuple[str, str]:
    """The title and body of an alert's notification."""
    e = alert.event
    record = ""
    if e.record is not None:
        r = e.record
        ci = f"{r.ci95[0]:.0%}-{r.ci95[1]:.0%}, " if r.ci95 is not None else ""
        record = f" · measured {r.hit_rate:.0%} vs {r.baseline:.0%} base ({ci}n={r.n}, {r.horizon})"
        if r.verdict:  # an event stored before the dependence-aware figures has none to show
            record += f"; {r.significance_words()}"
    return f"perptop: {e.label}", f"{e.reason}{record}"


class EventService:
    """Events and alerts of one bar store.

    Args:
        params: the flag thresholds (the screen's).
        settings: the ``[events]`` table.
        rules: the ``[[alerts]]`` tables.
        watchlist: the symbols followed now.
        clock: epoch ms (an event's ``wall_time``).
        delivery: the sinks (None: alerts are judged and kept, not sent; tests and ``perptop events``).
        writer: the history writer, when the events are recorded (else they are kept in memory).
        listener: told each closed bar's events.
        measure: asked to refresh flag records (None: events carry "not measured yet").
        measure_held: while it answers True (a live source still backfilling its week), flag records
            wait: measured on a store still filling they would be measured again, and reading the
            store for each symbol cost a tenth of the backfill's CPU.
    """

    def __init__(
        self,
        params: SignalParams,
        settings: EventSettings,
        rules: Sequence[AlertRule],
        watchlist: Callable[[], Iterable[str]],
        clock: Clock,
        *,
        delivery: Delivery | None = None,
        writer: HistoryWriter | None = None,
        listener: Listener | None = None,
        measure: Measure | None = None,
        measure_held: Callable[[], bool] | None = None,
    ) -> None:
        self.settings = settings
        self.watchlist = watchlist
        self.clock = clock
        self.delivery = delivery
        self.writer = writer
        self.listener = listener
        self.measure = measure
        self.measure_held = measure_held
        self.records = RecordBook()
        self.tracker = EdgeTracker(params, settings.per_venue, self.records.lookup)
        self.rules = AlertRules(rules, settings, watchlist)
        self.recent: deque[Event] = deque(maxlen=settings.in_memory)
        self.seen = 0
        self._done: int | None = None  # the last bar processed

    @property
    def counts(self) -> AlertCounts:
        """Alerts delivered and held back so far."""
        return self.rules.counts

    def attach(self, store: BarStore) -> None:
        """Watch ``store`` from now on."""
        store.observe(self)

    # ---- BarObserver -----------------------------------------------------------------------------

    def bar_closed(self, store: BarStore, t: int) -> None:
        """A bar closed: its events."""
        self.process(store, t)

    def bars_rewritten(self, store: BarStore, t: int, keys: Collection[tuple[str, str]]) -> None:
        """Late updates of an older bar change no event: its edges were judged when it closed."""

    def history_loaded(self, store: BarStore, histories: Sequence[History], merge: bool) -> None:
        """History (a backfill, a resume) is the past: it makes no events."""

    # ---- the work --------------------------------------------------------------------------------

    def finish(self, store: BarStore) -> None:
        """Treat the current bar as closed (the end of a replay: no later bar will close it)."""
        if store.current_time is not None:
            self.process(store, store.current_time)

    def warm(self, store: BarStore) -> None:
        """Measure the flag records the store's bars allow now (at start), not at the first close."""
        if store.current_time is not None:
            self._measure_due(store, store.current_time)

    def _measure_due(self, store: BarStore, t: int) -> None:
        if self.measure_held is not None and self.measure_held():
            return  # the store is still filling: records measured now would be measured again after
        if self.measure is not None:
            due = self.records.due(store.symbols, t)
            if due:
                self.records.mark(due, t)
                self.measure(due, t)

    def process(self, store: BarStore, t: int) -> list[Event]:
        """The events of closed bar ``t``: edges, thresholds, the rules' judgment, kept and delivered."""
        if self._done is not None and t <= self._done:
            return []
        self._done = t
        self._measure_due(store, t)
        wall = self.clock()
        edges, figures = self.tracker.closed(store, t, wall)
        events, alerts = self.rules.judge([*edges, *self.rules.thresholds(t, wall, figures)])
        if not events:
            return events
        self.seen += len(events)
        self._keep(events)
        if self.delivery is not None:
            for alert in alerts:
                title, body = alert_text(alert)
                payload = replace(alert.event, rule=alert.rule.name).as_json()
                self.delivery.deliver(payload, title, body, alert.rule.sinks)
        if self.listener is not None:
            self.listener(events, alerts)
        return events

    def _keep(self, events: Sequence[Event]) -> None:
        self.recent.extend(events)
        if self.writer is not None:
            self.writer.put_events(
                [
                    (
                        e.time_ms,
                        e.symbol,
                        e.venue,
                        e.kind,
                        e.flag or e.rule or "",
                        e.wall_ms,
                        json.dumps(e.as_json(), separators=(",", ":")),
                    )
                    for e in events
                ]
            )

    def forget_symbols(self) -> None:
        """The watchlist changed: the next close compares every row afresh."""
        self.tracker.reset()

    def latest(self, limit: int | None = None) -> list[Event]:
        """The events kept in memory, newest first."""
        out = list(self.recent)[::-1]
        return out if limit is None else out[:limit]
