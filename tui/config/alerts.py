"""Alert rules and event settings: the ``[[alerts]]`` tables and the ``[events]`` table of the config.

These are plain frozen values; ``tui.alerts`` turns events into alerts with them and delivers them.
Every duration is in seconds and every percentage a fraction here (the file says ``"30m"`` and
percent, as the rest of the config does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ThresholdMetric = Literal["funding_8h", "oi_change", "price_change", "liquidations_1h"]
"""What a threshold watches on a symbol's row: funding per 8 h (fraction), OI change over the flag
window W (fraction), price change over W (fraction), liquidated notional in the last hour (USD)."""

THRESHOLD_KEYS: dict[str, tuple[ThresholdMetric, Literal["above", "below"], bool]] = {
    "funding_8h_above": ("funding_8h", "above", True),
    "funding_8h_below": ("funding_8h", "below", True),
    "oi_change_above": ("oi_change", "above", True),
    "oi_change_below": ("oi_change", "below", True),
    "price_change_above": ("price_change", "above", True),
    "price_change_below": ("price_change", "below", True),
    "liquidations_1h_above": ("liquidations_1h", "above", False),
}
"""Config key -> (metric, side, given in percent)."""

SINK_KEYS: tuple[str, ...] = ("bell", "osc", "desktop", "command", "webhook", "apprise", "log")
"""The sink keys of an ``[[alerts]]`` table, written in the table itself beside its triggers."""
ALERT_KEYS: tuple[str, ...] = (
    "name",
    "flags",
    "symbols",
    "min_confidence",
    "only_with_edge",
    *THRESHOLD_KEYS,
    "cooldown",
    *SINK_KEYS,
)
"""Every key an ``[[alerts]]`` table may have, in the order ``perptop --print-config`` writes them."""
EVENT_KEYS: tuple[str, ...] = ("per_venue", "max_alerts_per_hour", "in_memory")
"""Every key of the ``[events]`` table."""
ALL_FLAGS = "*"
"""``flags = ["*"]``: every flag."""

DEFAULT_COOLDOWN_S = 1800.0
DEFAULT_MAX_ALERTS_PER_HOUR = 60
DEFAULT_EVENTS_IN_MEMORY = 5000
COMMAND_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Threshold:
    """``metric`` crossing ``value`` upwards (``above``) or downwards (``below``).

    Attributes:
        metric: what is watched.
        side: ``above`` fires when the value rises past ``value``; ``below`` when it falls past it.
        value: the level, in the metric's unit (a fraction for percentages, USD for liquidations).
        key: the config key it came from (``funding_8h_above``), for messages and the event's reason.
    """

    metric: ThresholdMetric
    side: Literal["above", "below"]
    value: float
    key: str


@dataclass(frozen=True)
class Sinks:
    """Where an alert goes; any combination.

    Attributes:
        bell: ring the terminal bell.
        osc: a desktop notification through the terminal (OSC 9 and OSC 777, passed through tmux).
        desktop: a local desktop notification (``notify-send``) where the machine has one.
        command: argv of a program run with the event as JSON on standard input (never a shell).
        webhook: an http(s) URL the event is POSTed to as JSON.
        apprise: apprise URLs (``ntfy://...``, ``tgram://...``, ``discord://...``, ``mailto://...``) for
            the popular services; needs the optional ``apprise`` package.
        log: a JSONL file one line per alert is appended to.
    """

    bell: bool = False
    osc: bool = False
    desktop: bool = False
    command: tuple[str, ...] = ()
    webhook: str = ""
    apprise: tuple[str, ...] = ()
    log: Path | None = None

    @property
    def any(self) -> bool:
        """Whether the rule delivers anywhere (a rule with no sink still shows a toast and is logged)."""
        return bool(
            self.bell or self.osc or self.desktop or self.command or self.webhook or self.apprise or self.log
        )


@dataclass(frozen=True)
class AlertRule:
    """One ``[[alerts]]`` table.

    Attributes:
        name: the rule's name (``name = "..."``, else ``"alert N"`` by its position in the file).
        flags: flag names whose ``flag_on`` events alert, ``("*",)`` for every flag, ``()`` for none.
        symbols: the symbols it watches; None for the watchlist.
        min_confidence: flags below this confidence (low while ``leverage_driven`` is on) do not alert.
        only_with_edge: alert only for flags whose dependence-aware verdict on the symbol is "beats": the
            interval of its events a horizon apart lies above the baseline and its q-value is at most 0.05.
        thresholds: level crossings that alert as ``threshold`` events.
        cooldown_s: the least bar time between two alerts of this rule for one symbol (0 allowed).
        sinks: where its alerts go.
    """

    name: str
    flags: tuple[str, ...] = ()
    symbols: tuple[str, ...] | None = None
    min_confidence: float = 0.0
    only_with_edge: bool = False
    thresholds: tuple[Threshold, ...] = ()
    cooldown_s: float = DEFAULT_COOLDOWN_S
    sinks: Sinks = field(default_factory=Sinks)

    def watches_flag(self, flag: str) -> bool:
        """Whether a ``flag_on`` of ``flag`` is this rule's business."""
        return "*" in self.flags or flag in self.flags


@dataclass(frozen=True)
class EventSettings:
    """The ``[events]`` table.

    Attributes:
        per_venue: also track each venue's own row (the cross-venue row always is).
        max_alerts_per_hour: the global cap on alerts per hour of bar time; past it alerts are counted
            as suppressed, not delivered.
        in_memory: how many events a monitor that does not record keeps.
    """

    per_venue: bool = False
    max_alerts_per_hour: int = DEFAULT_MAX_ALERTS_PER_HOUR
    in_memory: int = DEFAULT_EVENTS_IN_MEMORY
