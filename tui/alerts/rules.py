"""The alert rules at work: which events alert, threshold crossings, cooldowns and the rate cap.

Everything counts in bar time (the data's own clock), never wall time, so a replay at any speed alerts
exactly as the live run would have. A threshold fires when its figure crosses the level and re-arms
only once the figure is back past the level by ``HYSTERESIS`` of it, so a value hovering on the line
does not alert every bar. An alert held back by a cooldown or by the global cap is counted and kept on
the event (``suppressed``), never silently dropped.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from feeds.source import SeriesKey
from signals.formats import fmt_pct, fmt_usd
from signals.times import HOUR_MS
from tui.alerts.edges import RowFigures
from tui.alerts.events import Event
from tui.config.alerts import AlertRule, EventSettings, Threshold

HYSTERESIS = 0.1
"""A fired threshold re-arms once its figure is back past the level by this share of the level."""
_MIN_BAND = {"funding_8h": 0.00001, "oi_change": 0.001, "price_change": 0.001, "liquidations_1h": 1000.0}
"""The least re-arm band per metric, for levels at or near zero (0.001 % funding, 0.1 %, $1,000)."""


@dataclass(frozen=True)
class Alert:
    """An event one rule delivers."""

    rule: AlertRule
    event: Event


@dataclass
class AlertCounts:
    """What the rules did since the start: alerts delivered, and held back by cause."""

    sent: int = 0
    cooldown: int = 0
    rate_cap: int = 0

    @property
    def suppressed(self) -> int:
        """Alerts held back for any cause."""
        return self.cooldown + self.rate_cap


def _show(threshold: Threshold, value: float) -> str:
    if threshold.metric == "liquidations_1h":
        return f"${fmt_usd(value)}"
    return fmt_pct(value, 4 if threshold.metric == "funding_8h" else 2)


class AlertRules:
    """Turns events and row figures into alerts, rule by rule.

    Args:
        rules: the ``[[alerts]]`` tables.
        settings: the ``[events]`` table (the rate cap).
        watchlist: the symbols followed now (a rule without ``symbols`` watches these).
    """

    def __init__(
        self, rules: Sequence[AlertRule], settings: EventSettings, watchlist: Callable[[], Iterable[str]]
    ):
        self.rules = list(rules)
        self.settings = settings
        self.watchlist = watchlist
        self.counts = AlertCounts()
        self._last_alert: dict[tuple[str, str], int] = {}  # (rule, symbol) -> bar time of its last alert
        self._recent: deque[int] = deque()  # bar times of the alerts of the last hour
        self._armed: dict[tuple[str, str, str, str], bool] = {}  # (rule, key, symbol, venue) -> armed

    def _watches(self, rule: AlertRule, symbol: str) -> bool:
        return symbol in (rule.symbols if rule.symbols is not None else set(self.watchlist()))

    def thresholds(self, t: int, wall_ms: int, figures: dict[SeriesKey, RowFigures]) -> list[Event]:
        """The threshold events at closed bar ``t`` (cross-venue rows), hysteresis applied."""
        out: list[Event] = []
        for rule in self.rules:
            for th in rule.thresholds:
                for (symbol, venue), fig in figures.items():
                    if venue != "all" or not self._watches(rule, symbol):
                        continue
                    value = fig.value(th.metric)
                    if math.isnan(value):
                        continue
                    key = (rule.name, th.key, symbol, venue)
                    past = value > th.value if th.side == "above" else value < th.value
                    band = max(abs(th.value) * HYSTERESIS, _MIN_BAND[th.metric])
                    back = value < th.value - band if th.side == "above" else value > th.value + band
                    armed = self._armed.get(key)
                    if armed is None:  # first sight: a figure already past the level has not crossed it now
                        self._armed[key] = not past
                        continue
                    if armed and past:
                        self._armed[key] = False
                        reason = f"{th.key.replace('_', ' ')} {_show(th, th.value)}: now {_show(th, value)}"
                        out.append(
                            Event(
                                t,
                                wall_ms,
                                symbol,
                                venue,
                                "threshold",
                                None,
                                rule.name,
                                1 if th.side == "above" else -1,
                                reason,
                            )
                        )
                    elif not armed and back:
                        self._armed[key] = True
        return out

    def judge(self, events: Iterable[Event]) -> tuple[list[Event], list[Alert]]:
        """Each event after the rules: which rules alert on it (cooldown and cap applied), in order.

        Returns the events (with ``alerted`` and ``suppressed`` filled in) and the alerts to deliver.
        """
        judged: list[Event] = []
        alerts: list[Alert] = []
        for event in events:
            alerted: list[str] = []
            held: list[str] = []
            for rule in self._matching(event):
                cause = self._hold(rule, event)
                if cause:
                    held.append(f"{rule.name}: {cause}")
                    continue
                alerted.append(rule.name)
            done = event.with_alerts(tuple(alerted), tuple(held))
            alerts.extend(Alert(r, done) for r in self.rules if r.name in alerted)
            judged.append(done)
        return judged, alerts

    def _matching(self, event: Event) -> list[AlertRule]:
        if event.kind == "threshold":
            return [r for r in self.rules if r.name == event.rule]
        if event.kind != "flag_on" or event.flag is None:
            return []
        return [
            r
            for r in self.rules
            if r.watches_flag(event.flag)
            and self._watches(r, event.symbol)
            and event.confidence >= r.min_confidence
            and (not r.only_with_edge or (event.record is not None and event.record.has_edge))
        ]

    def _hold(self, rule: AlertRule, event: Event) -> str:
        """Why ``rule`` must not alert on ``event`` now ("" when it may), noting the alert if it may."""
        t = event.time_ms
        last = self._last_alert.get((rule.name, event.symbol))
        if last is not None and t - last < rule.cooldown_s * 1000:
            self.counts.cooldown += 1
            return "cooldown"
        while self._recent and self._recent[0] <= t - HOUR_MS:
            self._recent.popleft()
        if len(self._recent) >= self.settings.max_alerts_per_hour:
            self.counts.rate_cap += 1
            return "rate cap"
        self._recent.append(t)
        self._last_alert[(rule.name, event.symbol)] = t
        self.counts.sent += 1
        return ""
