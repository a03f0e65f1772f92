"""Write an ``AppConfig`` back as TOML, for ``perptop --print-config``.

The output is a valid config file that ``tui.config.loader.parse_config`` reads back to the same values, so a
user can start a config file from it (``perptop --print-config > ~/.config/perptop/config.toml``).
"""

from __future__ import annotations

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


def dump_config(config: AppConfig) -> str:
    """The effective configuration as TOML text, with comments saying where it came from.

    The watchlist written is the effective one (config file plus the app's additions and removals, or
    ``--watchlist``); the theme is the effective one (after ``--theme`` and ``NO_COLOR``).
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
    lines.append(f"record = {'true' if config.store_record else 'false'}")
    for venue, options in config.venue_options.items():
        lines += ["", f"[venue.{venue}]"]
        lines += [f"{key} = {toml_string(value)}" for key, value in options.items()]
    return "\n".join(lines) + "\n"
