"""The config file: reading, validating and resolving it into one frozen ``AppConfig``.

The file is TOML at ``--config PATH`` or ``tui.config.paths.default_config_path()`` (absent: defaults). Keys:
``watchlist``, ``venues``, ``theme``, ``poll_interval``, ``paint_interval``, ``[signals]`` (mapped onto
``signals.params.SignalParams``; durations as ``"4h"``, percentages in percent), ``[venue.<name>]``
(``base_url``, ``ws_url``), ``[store]``, ``[display]`` (``dim_unproven``,
``large_liquidation_usd``), ``[events]`` and ``[[alerts]]`` (read
by ``tui.config.alerts_reader``).
A bad file raises ``ConfigError`` whose message is one line naming the file, the line and the key; unknown
keys become warnings in the same format. No Textual import here, so ``perptop --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from feeds.symbols import DEFAULT_WATCHLIST, SymbolError, normalize_symbol
from feeds.venues import VENUE_NAMES
from signals.params import SignalParams
from themes import DEFAULT_THEME, MONOCHROME_THEME, theme_names
from tui.config.alerts import AlertRule, EventSettings
from tui.config.alerts_reader import AlertsConfigError, read_alerts
from tui.config.columns import COLUMN_KEYS
from tui.config.limits import MAX_SYMBOLS, too_many
from tui.config.lines import KeyPath, key_lines, line_of
from tui.config.paths import BadPath, default_config_path, expand_path, state_path_for
from tui.config.state import WatchState, kept_watchlist, load_state
from tui.config.syntax import syntax_error
from tui.config.values import BadValue, Bounds, read_duration, read_number, read_url, show

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

POLL_BOUNDS = Bounds(2.0, 3600.0)  # below 2 s the venues' weight budgets run out (EXCHANGES.md)
PAINT_BOUNDS = Bounds(0.25, 60.0)
VENUE_URL_KEYS: dict[str, tuple[str, ...]] = {
    "base_url": ("https://", "http://"),
    "spot_url": ("https://", "http://"),
    "ws_url": ("wss://", "ws://"),
}

_DURATION_1M_30D = Bounds(1 / 60, 720.0)
_DURATION_1H_30D = Bounds(1.0, 720.0)  # lookback: capped by venue history (30 d) and by memory
RETENTION_BOUNDS = Bounds(1.0, 24 * 3650.0)  # an hour to ten years
STORE_KEYS: tuple[str, ...] = ("path", "retention", "record")
DISPLAY_KEYS: tuple[str, ...] = ("dim_unproven", "large_liquidation_usd")
LARGE_LIQUIDATION_BOUNDS = Bounds(1.0, 1e12)


@dataclass(frozen=True)
class SignalKey:
    """One ``[signals]`` key: its ``SignalParams`` field, kind and bounds in the user's units."""

    key: str
    field: str
    kind: str  # "duration" (hours), "percent" (stored / 100) or "number"
    bounds: Bounds


SIGNAL_KEYS: tuple[SignalKey, ...] = (
    SignalKey("window", "window_h", "duration", _DURATION_1M_30D),
    SignalKey("price_change_pct", "price_change", "percent", Bounds(0, 100, open_lo=True)),
    SignalKey("oi_change_pct", "oi_change", "percent", Bounds(0, 100, open_lo=True)),
    SignalKey("ls_short", "ls_short", "number", Bounds(0, 100, open_lo=True)),
    SignalKey("ls_long", "ls_long", "number", Bounds(0, 100, open_lo=True)),
    SignalKey("funding_hi_pct", "funding_hi", "percent", Bounds(0, 10)),
    SignalKey("liq_window", "liq_window_h", "duration", _DURATION_1M_30D),
    SignalKey("lookback", "lookback_h", "duration", _DURATION_1H_30D),
    SignalKey("liq_quantile", "liq_quantile", "number", Bounds(0, 1, open_lo=True, open_hi=True)),
    SignalKey("sfr_max", "sfr_max", "number", Bounds(0, 100, open_lo=True)),
    SignalKey("sfr_window", "sfr_window_h", "duration", _DURATION_1H_30D),
    SignalKey("funding_extreme_pct", "funding_extreme", "percent", Bounds(0, 10, open_lo=True)),
    SignalKey("premium_max_pct", "premium_max", "percent", Bounds(0, 10, open_lo=True)),
    SignalKey("flow_window", "flow_window_h", "duration", _DURATION_1M_30D),
    SignalKey("flow_min", "flow_min", "number", Bounds(0, 1, open_lo=True)),
    SignalKey("ls_gap", "ls_gap", "number", Bounds(0, 100, open_lo=True)),
    SignalKey("dispersion_min_pct", "dispersion_min", "percent", Bounds(0, 10, open_lo=True)),
    SignalKey("low_confidence", "low_confidence", "number", Bounds(0, 1)),
)
_TABLES = ("signals", "venue", "store", "display", "events", "alerts")
_TOP_KEYS = ("watchlist", "venues", "theme", "columns", "poll_interval", "paint_interval", *_TABLES)


class ConfigError(Exception):
    """A config file perptop cannot use. ``str()`` is one line naming the file, line and key."""


@dataclass(frozen=True)
class AppConfig:
    """Everything the app needs from the config file, the state file and the command line.

    Attributes:
        watchlist: the symbols to show (base coins), after the state file or ``--watchlist``.
        venues: the venues to poll, in the user's order.
        theme: the theme name to start with (after ``--theme``, ``NO_COLOR`` and the state file).
        columns: the watchlist columns chosen in the file (None: as many as fit, by priority).
        poll_interval: seconds between venue polls (live mode).
        paint_interval: seconds between repaints.
        signals: the flag thresholds.
        venue_options: per-venue overrides from ``[venue.<name>]``, e.g. ``{"binance": {"base_url": ...}}``.
        source_path: the config file that was read, or None when there was none.
        warnings: one-line warnings (unknown keys, corrupt state file) to show the user.
        config_path: where the config file is or would be; the state file sits beside it.
        config_watchlist: the config file's watchlist, before the state file's changes.
        state_path: where ``a``/``d`` changes are saved; None when they are not (``--watchlist`` given).
        state: the state file's changes that ``watchlist`` includes.
        store_path: the history store file from ``[store] path`` (None: the user data folder's).
        store_retention_days: how long the history store keeps bars (``[store] retention``).
        store_record: whether the live monitor writes its bars to the store and resumes from it.
        alerts: the ``[[alerts]]`` rules, in file order.
        events: the ``[events]`` settings.
        dim_unproven: dim the flags in the watchlist whose verdict on the symbol is not "beats" (no
            measured edge, too little history); ``[display] dim_unproven``, on by default.
        large_liquidation_usd: the liquidation tape marks events of at least this many USD as large
            (``[display] large_liquidation_usd``; the default is ``tui.model.liq_tape``'s).
    """

    watchlist: tuple[str, ...] = DEFAULT_WATCHLIST
    venues: tuple[str, ...] = VENUE_NAMES
    theme: str = DEFAULT_THEME
    columns: tuple[str, ...] | None = None
    poll_interval: float = 10.0
    paint_interval: float = 2.0
    signals: SignalParams = field(default_factory=SignalParams)
    venue_options: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)
    source_path: Path | None = None
    warnings: tuple[str, ...] = ()
    config_path: Path | None = None
    config_watchlist: tuple[str, ...] = DEFAULT_WATCHLIST
    state_path: Path | None = None
    state: WatchState = field(default_factory=WatchState)
    store_path: Path | None = None
    store_retention_days: float = 30.0
    store_record: bool = True
    alerts: tuple[AlertRule, ...] = ()
    events: EventSettings = field(default_factory=EventSettings)
    dim_unproven: bool = True
    large_liquidation_usd: float = 100_000.0


class _Reader:
    """Validates parsed TOML against the schema, knowing the file and each key's line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.lines = key_lines(text)
        self.warnings: list[str] = []

    def where(self, key: KeyPath) -> str:
        line = line_of(self.lines, key)
        return f"{self.path} line {line}" if line is not None else f"{self.path}"

    def error(self, key: KeyPath, problem: str) -> ConfigError:
        return ConfigError(f"config error: {self.where(key)}: key '{'.'.join(key)}': {problem}")

    def unknown(self, key: KeyPath, known: tuple[str, ...]) -> None:
        import difflib  # only for the rare unknown key

        name = ".".join(key)
        # Compare the last part only: a shared "venue.binance." prefix would make any two keys look alike.
        close = difflib.get_close_matches(key[-1], known, n=1)
        hint = f"; did you mean '{'.'.join((*key[:-1], close[0]))}'?" if close else ""
        self.warnings.append(f"config warning: {self.where(key)}: unknown key '{name}' (ignored){hint}")

    def table(self, data: Any, key: KeyPath) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.error(key, f"expected a table, got {show(data)}")
        return data

    def read(self, data: dict[str, Any]) -> AppConfig:
        for key in data:
            if key not in _TOP_KEYS:
                self.unknown((key,), _TOP_KEYS)
        values: dict[str, Any] = {}
        if "watchlist" in data:
            values["watchlist"] = self.watchlist(data["watchlist"])
            values["config_watchlist"] = values["watchlist"]
        if "venues" in data:
            values["venues"] = self.venues(data["venues"])
        if "theme" in data:
            values["theme"] = self.theme(data["theme"])
        if "columns" in data:
            values["columns"] = self.columns(data["columns"])
        for key, bounds in (("poll_interval", POLL_BOUNDS), ("paint_interval", PAINT_BOUNDS)):
            if key in data:
                try:
                    values[key] = read_number(data[key], bounds, " of seconds")
                except BadValue as exc:
                    raise self.error((key,), str(exc)) from None
        if "signals" in data:
            values["signals"] = self.signals(self.table(data["signals"], ("signals",)))
        if "venue" in data:
            values["venue_options"] = self.venue_options(self.table(data["venue"], ("venue",)))
        if "store" in data:
            values.update(self.store(self.table(data["store"], ("store",))))
        if "display" in data:
            values.update(self.display(self.table(data["display"], ("display",))))
        if "alerts" in data or "events" in data:
            try:
                found = read_alerts(data.get("alerts"), data.get("events"), self.path, self.text)
            except AlertsConfigError as exc:
                raise ConfigError(str(exc)) from None
            values.update(alerts=found.rules, events=found.events)
            self.warnings += found.warnings
        return AppConfig(
            source_path=self.path, config_path=self.path, warnings=tuple(self.warnings), **values
        )

    def watchlist(self, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            raise self.error(
                ("watchlist",), f'expected an array of symbols like ["BTC", "ETH"], got {show(raw)}'
            )
        if len(raw) > MAX_SYMBOLS:  # before normalising any of them: a huge array is refused at once
            raise self.error(("watchlist",), too_many(len(raw)))
        out: dict[str, None] = {}
        for position, item in enumerate(raw, start=1):
            try:
                out.setdefault(normalize_symbol(item), None)
            except SymbolError as exc:
                raise self.error(("watchlist",), f"item {position}: {exc}") from None
        return tuple(out)

    def venues(self, raw: Any) -> tuple[str, ...]:
        expected = f"an array of venue names from {', '.join(VENUE_NAMES)}"
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw) or not raw:
            raise self.error(
                ("venues",), f"expected {expected}, got {show(raw) if raw != [] else 'an empty array'}"
            )
        out: dict[str, None] = {}
        for item in raw:
            name = item.strip().lower()
            if name not in VENUE_NAMES:
                raise self.error(
                    ("venues",), f"unknown venue {show(item)}: expected one of {', '.join(VENUE_NAMES)}"
                )
            out.setdefault(name, None)
        return tuple(out)

    def theme(self, raw: Any) -> str:
        names = theme_names()
        if not isinstance(raw, str) or raw not in names:
            what = "unknown theme" if isinstance(raw, str) else "expected a theme name, got"
            raise self.error(("theme",), f"{what} {show(raw)}: the themes are {', '.join(names)}")
        return raw

    def columns(self, raw: Any) -> tuple[str, ...]:
        known = ", ".join(COLUMN_KEYS)
        if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
            raise self.error(("columns",), f"expected an array of column names from {known}, got {show(raw)}")
        for position, name in enumerate(raw, start=1):
            if name not in COLUMN_KEYS:
                raise self.error(
                    ("columns",), f"item {position}: unknown column {show(name)}: expected {known}"
                )
        # Shown in display order whatever the file's order; the symbol column always (rows need a name).
        return tuple(c for c in COLUMN_KEYS if c in raw or c == "symbol")

    def signals(self, raw: dict[str, Any]) -> SignalParams:
        specs = {spec.key: spec for spec in SIGNAL_KEYS}
        fields: dict[str, float] = {}
        for key, value in raw.items():
            spec = specs.get(key)
            if spec is None:
                self.unknown(("signals", key), tuple(specs))
                continue
            try:
                if spec.kind == "duration":
                    fields[spec.field] = read_duration(value, spec.bounds)
                else:
                    unit = " in percent" if spec.kind == "percent" else ""
                    number = read_number(value, spec.bounds, unit)
                    fields[spec.field] = number / 100 if spec.kind == "percent" else number
            except BadValue as exc:
                raise self.error(("signals", key), str(exc)) from None
        params = SignalParams(**fields)
        if params.ls_short > params.ls_long:
            key = "ls_long" if "ls_long" in raw else "ls_short"
            raise self.error(
                ("signals", key),
                f"ls_short ({params.ls_short:g}) must not exceed ls_long ({params.ls_long:g})",
            )
        if params.lookback_h < params.liq_window_h:
            key = "lookback" if "lookback" in raw else "liq_window"
            raise self.error(("signals", key), "lookback must be at least as long as liq_window")
        return params

    def store(self, raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            where = ("store", key)
            if key == "path":
                if not isinstance(value, str) or not value.strip():
                    raise self.error(where, f"expected a file path as a string, got {show(value)}")
                try:
                    path = expand_path(value)
                except BadPath as exc:
                    raise self.error(where, str(exc)) from None
                # A relative path is taken from the config file's folder, not from wherever perptop started.
                out["store_path"] = path if path.is_absolute() else self.path.parent / path
            elif key == "retention":
                try:
                    out["store_retention_days"] = read_duration(value, RETENTION_BOUNDS) / 24
                except BadValue as exc:
                    raise self.error(where, str(exc)) from None
            elif key == "record":
                if not isinstance(value, bool):
                    raise self.error(where, f"expected true or false, got {show(value)}")
                out["store_record"] = value
            else:
                self.unknown(where, STORE_KEYS)
        return out

    def display(self, raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in raw.items():
            where = ("display", key)
            if key == "dim_unproven":
                if not isinstance(value, bool):
                    raise self.error(where, f"expected true or false, got {show(value)}")
                out["dim_unproven"] = value
            elif key == "large_liquidation_usd":
                try:
                    out[key] = read_number(value, LARGE_LIQUIDATION_BOUNDS, " of USD")
                except BadValue as exc:
                    raise self.error(where, str(exc)) from None
            else:
                self.unknown(where, DISPLAY_KEYS)
        return out

    def venue_options(self, raw: dict[str, Any]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for venue, options in raw.items():
            if venue not in VENUE_NAMES:
                self.unknown(("venue", venue), VENUE_NAMES)
                continue
            table = self.table(options, ("venue", venue))
            for key, value in table.items():
                schemes = VENUE_URL_KEYS.get(key)
                if schemes is None:
                    self.unknown(("venue", venue, key), tuple(VENUE_URL_KEYS))
                    continue
                try:
                    out.setdefault(venue, {})[key] = read_url(value, schemes)
                except BadValue as exc:
                    raise self.error(("venue", venue, key), str(exc)) from None
        return out


def parse_config(text: str, path: Path) -> AppConfig:
    """Validate the TOML ``text`` of the config file at ``path`` (used in messages).

    Raises:
        ConfigError: for a syntax error, a wrong type, an out-of-range value or an unknown theme.
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark from Windows editors; TOML does not allow it
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(syntax_error(path, text, str(exc))) from None
    return _Reader(path, text).read(data)


def load_config(path: Path | None = None) -> AppConfig:
    """Read and validate the config file.

    Args:
        path: the file given with ``--config``; it must exist. None: the default location, where an
            absent file means the defaults.

    Raises:
        ConfigError: for any problem with the file, in one line naming the file (and line and key).
    """
    explicit = path is not None
    target = path if path is not None else default_config_path()
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config error: {target}: no such file") from None
        return AppConfig(config_path=target)
    except IsADirectoryError:
        raise ConfigError(f"config error: {target}: is a directory, not a config file") from None
    except PermissionError:
        raise ConfigError(f"config error: {target}: cannot read: permission denied") from None
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else str(exc)
        if target.is_dir():
            reason = "is a directory, not a config file"
        raise ConfigError(f"config error: {target}: cannot read: {reason}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"config error: {target} line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None
    return parse_config(text, target)


def choose_theme(cli_theme: str | None, config_theme: str, environ: Mapping[str, str]) -> str:
    """The theme to start with: ``--theme``, else monochrome under ``NO_COLOR``, else the config's.

    ``NO_COLOR`` counts only when set and non-empty (no-color.org). A ``--theme`` given on the command
    line beats it; the config file's ``theme`` does not, since it is written once and ``NO_COLOR`` is
    the more specific wish of the moment. Textual greys out colours under ``NO_COLOR`` in any case.
    """
    if cli_theme:
        return cli_theme
    if environ.get("NO_COLOR"):
        return MONOCHROME_THEME
    return config_theme


def resolve_config(
    config: AppConfig,
    *,
    cli_watchlist: tuple[str, ...] | None = None,
    cli_theme: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> AppConfig:
    """Apply the state file (or ``--watchlist``, which ignores it) and the theme choice to ``config``.

    The theme is ``--theme``, else monochrome under ``NO_COLOR``, else the one last picked in the app
    (the state file), else the config's.

    Args:
        config: the file's config, from ``load_config``.
        cli_watchlist: normalised symbols from ``--watchlist``; the state file is then neither read
            nor written.
        cli_theme: the ``--theme`` name, already checked against ``themes.theme_names()``.
        environ: the environment (``NO_COLOR``); defaults to ``os.environ``.
    """
    env = os.environ if environ is None else environ
    if cli_watchlist is not None:
        theme = choose_theme(cli_theme, config.theme, env)
        return replace(config, watchlist=cli_watchlist, theme=theme, state_path=None, state=WatchState())
    config_path = config.config_path or default_config_path()
    state_path = state_path_for(config_path)
    state = load_state(state_path)
    warnings = config.warnings + ((state.warning,) if state.warning else ())
    watchlist, state, left_out = kept_watchlist(config.config_watchlist, state, state_path)
    warnings += (left_out,) if left_out else ()
    # The theme last picked with t beats the config's (the file is written once, the key pressed since).
    saved = state.ui.theme if state.ui.theme in theme_names() else None
    return replace(
        config,
        watchlist=watchlist,
        theme=choose_theme(cli_theme, saved or config.theme, env),
        state_path=state_path,
        state=state,
        warnings=warnings,
    )
