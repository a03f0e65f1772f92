"""Reading the ``[[alerts]]`` tables and the ``[events]`` table of the config into ``tui.config.alerts`` values.

``tui.config.loader`` hands over the parsed TOML values and the file's text; ``read_alerts`` checks every key
and returns frozen values. Everything an alert will need later is checked here, when perptop starts: the
program of a ``command`` sink is on PATH or an executable file, the folder of a ``log`` sink exists, the
``apprise`` package is installed if an ``apprise`` sink is used. A bad value raises ``AlertsConfigError``,
whose text is the loader's one line (``config error: FILE line N: key 'alerts[2].cooldown': ...``), naming
the rule by its 1-based position so the line and key point at the right ``[[alerts]]`` table. This module
cannot import the loader (the loader imports it), so the loader re-raises the error as its ``ConfigError``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from feeds.symbols import SymbolError, normalize_symbol
from signals.flags import FLAG_NAMES
from tui.config.alerts import (
    ALERT_KEYS,
    ALL_FLAGS,
    DEFAULT_COOLDOWN_S,
    DEFAULT_EVENTS_IN_MEMORY,
    DEFAULT_MAX_ALERTS_PER_HOUR,
    EVENT_KEYS,
    SINK_KEYS,
    THRESHOLD_KEYS,
    AlertRule,
    EventSettings,
    Sinks,
    Threshold,
    ThresholdMetric,
)
from tui.config.lines import ItemPath, item_line_of, item_lines
from tui.config.paths import BadPath, expand_path
from tui.config.values import BadValue, Bounds, read_duration, read_number, read_url, show

COOLDOWN_BOUNDS = Bounds(0.0, 720.0)  # hours: "0s" (every crossing alerts) to 30 days
IN_MEMORY_BOUNDS = (100, 1_000_000)
PERCENT_BOUNDS: dict[ThresholdMetric, Bounds] = {
    "funding_8h": Bounds(-10.0, 10.0),  # percent per 8 h; the venues cap funding far inside this
    "oi_change": Bounds(-100.0, 1000.0),  # percent over the flag window
    "price_change": Bounds(-100.0, 1000.0),
}
"""The percent thresholds' ranges; ``liquidations_1h_above`` is any amount of USD from 0 up."""
WEBHOOK_SCHEMES = ("https://", "http://")
_APPRISE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
# Tables a user may reach for from the dataclasses' names (Sinks, Threshold); no did-you-mean finds them.
_FLAT_KEYS = {"sinks": SINK_KEYS, "thresholds": tuple(THRESHOLD_KEYS)}


class AlertsConfigError(ValueError):
    """A bad ``[[alerts]]`` or ``[events]`` value; ``str()`` is the whole one-line config error."""


@dataclass(frozen=True)
class AlertsConfig:
    """What ``read_alerts`` found.

    Attributes:
        rules: the ``[[alerts]]`` tables in file order.
        events: the ``[events]`` table, defaults for absent keys.
        warnings: one-line warnings for unknown keys, in the loader's format.
    """

    rules: tuple[AlertRule, ...] = ()
    events: EventSettings = field(default_factory=EventSettings)
    warnings: tuple[str, ...] = ()


def key_name(path: ItemPath) -> str:
    """The key as messages name it: ``("alerts", 1, "cooldown")`` is ``alerts[2].cooldown`` (1-based)."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else f"{'.' if out else ''}{part}"
    return out


def read_alerts(alerts: object, events: object, path: Path, text: str) -> AlertsConfig:
    """Check and convert the config's ``alerts`` and ``events`` values.

    Args:
        alerts: the parsed value of the top-level ``alerts`` key (a list of tables), None when absent.
        events: the parsed value of the ``events`` key, None when absent.
        path: the config file, for messages and for relative ``log`` and ``command`` paths.
        text: the file's text, for line numbers.

    Raises:
        AlertsConfigError: for the first bad value, in one line naming the file, line and key.
    """
    reader = _Reader(path, text)
    settings = EventSettings() if events is None else reader.events(events)
    rules = () if alerts is None else reader.rules(alerts)
    return AlertsConfig(rules=rules, events=settings, warnings=tuple(reader.warnings))


class _Reader:
    """Validates the alert tables, knowing the file and the line of each key of each table."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = item_lines(text)
        self.warnings: list[str] = []

    def where(self, key: ItemPath) -> str:
        line = item_line_of(self.lines, key)
        return f"{self.path} line {line}" if line is not None else f"{self.path}"

    def error(self, key: ItemPath, problem: str) -> AlertsConfigError:
        return AlertsConfigError(f"config error: {self.where(key)}: key '{key_name(key)}': {problem}")

    def unknown(self, key: ItemPath, known: tuple[str, ...]) -> None:
        import difflib  # only for the rare unknown key

        name = str(key[-1])
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            hint = f"; did you mean '{key_name((*key[:-1], close[0]))}'?"
        elif key[0] == "alerts" and name in _FLAT_KEYS:
            hint = f"; write {', '.join(_FLAT_KEYS[name])} directly in the [[alerts]] table"
        else:
            hint = ""
        self.warnings.append(
            f"config warning: {self.where(key)}: unknown key '{key_name(key)}' (ignored){hint}"
        )

    # -- values ------------------------------------------------------------------------------------------

    def boolean(self, value: object, key: ItemPath) -> bool:
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {show(value)}")
        return value

    def integer(self, value: object, key: ItemPath, lo: int, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected a whole number, got {show(value)}")
        if value < lo or (hi is not None and value > hi):
            limits = f"at least {lo}" + (f" and at most {hi:_}" if hi is not None else "")
            raise self.error(key, f"must be {limits}, got {value}")
        return value

    def strings(self, value: object, key: ItemPath, expected: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(key, f"expected {expected}, got {show(value)}")
        return value

    # -- [events] ----------------------------------------------------------------------------------------

    def events(self, raw: object) -> EventSettings:
        if not isinstance(raw, dict):
            raise self.error(("events",), f"expected a table, got {show(raw)}")
        per_venue, per_hour, in_memory = False, DEFAULT_MAX_ALERTS_PER_HOUR, DEFAULT_EVENTS_IN_MEMORY
        for name, value in raw.items():
            key: ItemPath = ("events", name)
            if name == "per_venue":
                per_venue = self.boolean(value, key)
            elif name == "max_alerts_per_hour":
                per_hour = self.integer(value, key, 1)
            elif name == "in_memory":
                in_memory = self.integer(value, key, *IN_MEMORY_BOUNDS)
            else:
                self.unknown(key, EVENT_KEYS)
        return EventSettings(per_venue=per_venue, max_alerts_per_hour=per_hour, in_memory=in_memory)

    # -- [[alerts]] --------------------------------------------------------------------------------------

    def rules(self, raw: object) -> tuple[AlertRule, ...]:
        if not isinstance(raw, list):
            # [alerts] with one bracket pair is the likely slip: it makes a table, not a list of them.
            fix = ": write each rule under its own [[alerts]] header, with two brackets"
            got = f"{show(raw)}{fix if isinstance(raw, dict) else ''}"
            raise self.error(("alerts",), f"expected [[alerts]] tables, got {got}")
        rules: list[AlertRule] = []
        named: dict[str, int] = {}  # rule name -> its 0-based index
        for index, table in enumerate(raw):
            if not isinstance(table, dict):
                raise self.error(("alerts", index), f"expected a table, got {show(table)}")
            rule = self.rule(table, index)
            if rule.name in named:
                first = ("alerts", named[rule.name])
                used = f"is already used by {key_name(first)}" + self.line_note(first)
                if "name" in table:
                    raise self.error(("alerts", index, "name"), f"name {show(rule.name)} {used}")
                raise self.error(
                    ("alerts", index), f"its default name {show(rule.name)} {used}: give this rule a name"
                )
            named[rule.name] = index
            rules.append(rule)
        return tuple(rules)

    def line_note(self, key: ItemPath) -> str:
        line = item_line_of(self.lines, key)
        return f" (line {line})" if line is not None else ""

    def rule(self, raw: dict[str, object], index: int) -> AlertRule:
        table: ItemPath = ("alerts", index)
        name = f"alert {index + 1}"
        flags: tuple[str, ...] = ()
        symbols: tuple[str, ...] | None = None
        min_confidence, only_with_edge, cooldown_s = 0.0, False, DEFAULT_COOLDOWN_S
        thresholds: dict[str, Threshold] = {}
        sinks = Sinks()
        for item, value in raw.items():
            key: ItemPath = (*table, item)
            if item == "name":
                if not isinstance(value, str) or not value.strip():
                    raise self.error(
                        key, f'expected a name in quotes like "squeeze watch", got {show(value)}'
                    )
                name = value
            elif item == "flags":
                flags = self.flags(value, key)
            elif item == "symbols":
                symbols = self.symbols(value, key)
            elif item == "min_confidence":
                min_confidence = self.number(value, key, Bounds(0.0, 1.0))
            elif item == "only_with_edge":
                only_with_edge = self.boolean(value, key)
            elif item in THRESHOLD_KEYS:
                thresholds[item] = self.threshold(item, value, key)
            elif item == "cooldown":
                if isinstance(value, str) and value.strip().startswith("-"):
                    raise self.error(key, f'must not be negative ("0s" alerts every time), got {show(value)}')
                try:
                    # Rounded: "90s" is 90 * (1/3600) h, which is not exactly 90 s once multiplied back.
                    cooldown_s = round(read_duration(value, COOLDOWN_BOUNDS) * 3600, 6)
                except BadValue as exc:
                    raise self.error(key, str(exc)) from None
            elif item in SINK_KEYS:
                sinks = self.sink(sinks, item, value, key)
            else:
                self.unknown(key, ALERT_KEYS)
        if not flags and not thresholds:
            raise self.error(
                table,
                f"a rule needs a trigger: flags = [...] or a threshold ({', '.join(THRESHOLD_KEYS)})",
            )
        return AlertRule(
            name=name,
            flags=flags,
            symbols=symbols,
            min_confidence=min_confidence,
            only_with_edge=only_with_edge,
            # In THRESHOLD_KEYS order, not the file's, so equal rules compare equal however written.
            thresholds=tuple(thresholds[k] for k in THRESHOLD_KEYS if k in thresholds),
            cooldown_s=cooldown_s,
            sinks=sinks,
        )

    def number(self, value: object, key: ItemPath, bounds: Bounds, unit: str = "") -> float:
        try:
            return read_number(value, bounds, unit)
        except BadValue as exc:
            raise self.error(key, str(exc)) from None

    def flags(self, value: object, key: ItemPath) -> tuple[str, ...]:
        items = self.strings(value, key, 'an array of flag names like ["cascade_risk"], or ["*"] for all')
        out: dict[str, None] = {}
        for position, item in enumerate(items, start=1):
            flag = item.strip().lower()
            if flag != ALL_FLAGS and flag not in FLAG_NAMES:
                import difflib  # only for the rare misspelt flag

                close = difflib.get_close_matches(flag, FLAG_NAMES, n=1)
                hint = f"; did you mean {show(close[0])}?" if close else ""
                raise self.error(
                    key,
                    f"item {position}: unknown flag {show(item)}{hint} "
                    f'(the flags: {", ".join(FLAG_NAMES)}; "*" for all)',
                )
            out.setdefault(flag, None)
        # "*" already means every flag; naming some beside it adds nothing.
        return (ALL_FLAGS,) if ALL_FLAGS in out else tuple(out)

    def symbols(self, value: object, key: ItemPath) -> tuple[str, ...]:
        items = self.strings(value, key, 'an array of symbols like ["BTC", "ETH"]')
        if not items:
            raise self.error(key, "expected at least one symbol (leave symbols out to watch the watchlist)")
        out: dict[str, None] = {}
        for position, item in enumerate(items, start=1):
            try:
                out.setdefault(normalize_symbol(item), None)
            except SymbolError as exc:
                raise self.error(key, f"item {position}: {exc}") from None
        return tuple(out)

    def threshold(self, name: str, value: object, key: ItemPath) -> Threshold:
        metric, side, percent = THRESHOLD_KEYS[name]
        if percent:
            number = self.number(value, key, PERCENT_BOUNDS[metric], " in percent") / 100
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, f"expected a number of USD, got {show(value)}")
        elif not 0 <= value < math.inf:  # NaN fails this too
            raise self.error(key, f"must be at least 0 (USD) and finite, got {show(value)}")
        else:
            number = float(value)
        return Threshold(metric=metric, side=side, value=number, key=name)

    # -- sinks -------------------------------------------------------------------------------------------

    def sink(self, sinks: Sinks, item: str, value: object, key: ItemPath) -> Sinks:
        """``sinks`` with the sink key ``item`` set from ``value``."""
        if item == "bell":
            return replace(sinks, bell=self.boolean(value, key))
        if item == "osc":
            return replace(sinks, osc=self.boolean(value, key))
        if item == "desktop":
            return replace(sinks, desktop=self.boolean(value, key))
        if item == "command":
            return replace(sinks, command=self.command(value, key))
        if item == "webhook":
            try:
                read_url(value, WEBHOOK_SCHEMES)
            except BadValue as exc:
                raise self.error(key, str(exc)) from None
            # Kept as written (a checked str): read_url drops a trailing "/", which some endpoints need.
            return replace(sinks, webhook=str(value))
        if item == "apprise":
            return replace(sinks, apprise=self.apprise(value, key))
        return replace(sinks, log=self.log(value, key))

    def command(self, value: object, key: ItemPath) -> tuple[str, ...]:
        argv = self.strings(
            value, key, 'an array like ["notify-send", "perptop"]: the program, then its arguments'
        )
        if not argv:
            raise self.error(key, "expected the program as the first item, got an empty array")
        if not argv[0].strip():
            raise self.error(key, "item 1: the program's name is empty")
        return (self.program(argv[0], key), *argv[1:])

    def program(self, name: str, key: ItemPath) -> str:
        """A bare name as found on PATH (kept bare), or a path made absolute; it must run."""
        if not any(separator in name for separator in ("/", os.sep, os.altsep or "/")):
            import shutil  # only when a command sink is configured; --help stays light

            if shutil.which(name) is None:
                raise self.error(key, f"program {show(name)} not found on PATH")
            return name
        path = self.expanded(name, key)
        # Relative to the config file's folder, like [store] path: not to wherever perptop was started.
        path = path if path.is_absolute() else self.path.parent / path
        if not path.is_file():
            what = "is a folder, not a program" if path.is_dir() else "does not exist"
            raise self.error(key, f"program {show(str(path))} {what}")
        if not os.access(path, os.X_OK):
            raise self.error(key, f"program {show(str(path))} is not executable (chmod +x it)")
        return str(path)

    def apprise(self, value: object, key: ItemPath) -> tuple[str, ...]:
        expected = 'an apprise URL like "ntfy://ntfy.sh/my-topic", or an array of them'
        urls = [value] if isinstance(value, str) else self.strings(value, key, expected)
        if not urls:
            raise self.error(key, f"expected {expected}, got an empty array")
        for position, url in enumerate(urls, start=1):
            if not _APPRISE_URL.match(url):
                item = f"item {position}: " if not isinstance(value, str) else ""
                raise self.error(key, f"{item}expected a URL like scheme://..., got {show(url)}")
        # find_spec, not import: apprise loads many plugins, and the sink imports it when it first sends.
        if importlib.util.find_spec("apprise") is None:
            raise self.error(key, "needs the apprise package, which is not installed: pip install apprise")
        return tuple(urls)

    def expanded(self, text: str, key: ItemPath) -> Path:
        """``text`` with ``~`` and ``$VAR`` expanded, as every path in the config (``[store] path`` too)."""
        try:
            return expand_path(text)
        except BadPath as exc:
            raise self.error(key, str(exc)) from None

    def log(self, value: object, key: ItemPath) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f'expected a file path like "alerts.jsonl", got {show(value)}')
        path = self.expanded(value, key)
        path = path if path.is_absolute() else self.path.parent / path
        if path.is_dir():
            raise self.error(key, f"{show(str(path))} is a folder: name a file in it, like alerts.jsonl")
        if not path.parent.is_dir():
            raise self.error(key, f"folder {show(str(path.parent))} does not exist")
        return path
