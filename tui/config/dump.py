"""Write an ``AppConfig`` back as TOML, for ``perptop --print-config``.

The output is a valid config file that ``tui.config.loader.parse_config`` reads back to the same values, so a
user can start a config file from it (``perptop --print-config > ~/.config/perptop/config.toml``).
"""

from __future__ import annotations

from tui.config.alerts import THRESHOLD_KEYS, AlertRule, EventSettings
from tui.config.loader import SIGNAL_KEYS, AppConfig
from tui.config.values import format_duration


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, escaping what TOML requires (quotes, backslash, controls, DEL)."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append(ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _array(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(toml_string(item) for item in items) + "]"


def _float(value: float) -> str:
    # round() drops binary noise such as 0.030000000000000002 from fraction -> percent conversions.
    return repr(float(round(value, 12)))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _events(events: EventSettings) -> list[str]:
    return [
        "[events]",
        f"per_venue = {_bool(events.per_venue)}",
        f"max_alerts_per_hour = {events.max_alerts_per_hour}",
        f"in_memory = {events.in_memory}",
    ]


def _alert(rule: AlertRule) -> list[str]:
    """One ``[[alerts]]`` table; keys left at their default are written too, except absent sinks."""
    lines = ["[[alerts]]", f"name = {toml_string(rule.name)}"]
    if rule.flags:
        lines.append(f"flags = {_array(rule.flags)}")
    if rule.symbols is not None:
        lines.append(f"symbols = {_array(rule.symbols)}")
    lines.append(f"min_confidence = {_float(rule.min_confidence)}")
    lines.append(f"only_with_edge = {_bool(rule.only_with_edge)}")
    for threshold in rule.thresholds:
        percent = THRESHOLD_KEYS[threshold.key][2]
        lines.append(f"{threshold.key} = {_float(threshold.value * 100 if percent else threshold.value)}")
    # "0s" spelt out: format_duration gives "0.0s" for a float zero, which reads back but looks odd.
    cooldown = format_duration(rule.cooldown_s / 3600) if rule.cooldown_s else "0s"
    lines.append(f"cooldown = {toml_string(cooldown)}")
    sinks = rule.sinks
    lines += [f"bell = {_bool(sinks.bell)}", f"osc = {_bool(sinks.osc)}", f"desktop = {_bool(sinks.desktop)}"]
    if sinks.command:
        lines.append(f"command = {_array(sinks.command)}")
    if sinks.webhook:
        lines.append(f"webhook = {toml_string(sinks.webhook)}")
    if sinks.apprise:
        lines.append(f"apprise = {_array(sinks.apprise)}")
    if sinks.log is not None:
        lines.append(f"log = {toml_string(str(sinks.log))}")
    return lines


def dump_config(config: AppConfig) -> str:
    """The effective configuration as TOML text, with comments saying where it came from.

    The watchlist written is the effective one (config file plus the app's additions and removals, or
    ``--watchlist``); the theme is the effective one (after ``--theme``, ``NO_COLOR`` and the theme last
    picked in the app). ``columns`` is written only when the file sets it (else they fit the width).
    """
    source = (
        str(config.source_path) if config.source_path else f"none ({config.config_path} absent: defaults)"
    )
    lines = [
        "# perptop effective configuration (perptop --print-config)",
        f"# config file: {source}",
    ]
    if config.state_path is not None and (config.state.added or config.state.removed):
        lines.append(
            f"# watchlist includes the app's changes from {config.state_path}: "
            f"added {', '.join(config.state.added) or 'none'}; removed {', '.join(config.state.removed) or 'none'}"
        )
    lines += [
        f"watchlist = {_array(config.watchlist)}",
        f"venues = {_array(config.venues)}",
        f"theme = {toml_string(config.theme)}",
        *([f"columns = {_array(config.columns)}"] if config.columns is not None else []),
        f"poll_interval = {_float(config.poll_interval)}",
        f"paint_interval = {_float(config.paint_interval)}",
        "",
        "[signals]",
    ]
    for spec in SIGNAL_KEYS:
        value = getattr(config.signals, spec.field)
        if spec.kind == "duration":
            text = toml_string(format_duration(value))
        elif spec.kind == "percent":
            text = _float(value * 100)
        else:
            text = _float(value)
        lines.append(f"{spec.key} = {text}")
    lines += ["", "[store]"]
    if config.store_path is not None:
        lines.append(f"path = {toml_string(str(config.store_path))}")
    lines.append(f"retention = {toml_string(format_duration(config.store_retention_days * 24))}")
    lines.append(f"record = {_bool(config.store_record)}")
    for venue, options in config.venue_options.items():
        lines += ["", f"[venue.{venue}]"]
        lines += [f"{key} = {toml_string(value)}" for key, value in options.items()]
    lines += ["", *_events(config.events)]
    for rule in config.alerts:
        lines += ["", *_alert(rule)]
    return "\n".join(lines) + "\n"
