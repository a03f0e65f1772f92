"""The state file: what the user changed in the app, kept beside the config (never in it).

Symbols added (``a``) and removed (``d``) are kept as the difference from the config's watchlist, so a
symbol later added to or removed from the config by hand still takes effect. The screen's own state
(theme, sort, heatmap, chosen columns, expanded symbols, filter, flagged-only) is kept too, so a restart
comes back as it was left. The file is JSON (``{"version": 1, "added": [...], "removed": [...], "ui":
{...}}``), written atomically (a temporary file in the same folder, then ``os.replace``) so a crash or a
full disk never leaves half a file. A corrupt state file is reported as a warning and ignored; it is
overwritten at the next change; a bad ``ui`` value is dropped on its own. A state file adding more symbols
than perptop watches at once (``tui.config.limits``) keeps the first ones, with one warning.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from feeds.symbols import SymbolError, normalize_symbol
from tui.config.limits import MAX_SYMBOLS, kept_symbols

STATE_VERSION = 1
HEATMAP_MODES = ("venues", "time", "hidden")


@dataclass(frozen=True)
class UiState:
    """How the main screen was left: each None (or empty) where the user changed nothing.

    Attributes:
        theme: the theme picked with ``t``.
        sort: the sort column's label (``tui.model.rows.SORTS``), and whether it was reversed.
        reverse: the sort was reversed.
        heatmap: ``venues``, ``time`` or ``hidden``.
        columns: the columns chosen with the picker (None: fit to the width by priority).
        expanded: symbols whose venue rows were shown.
        filter: the symbol filter.
        flagged: flagged rows only.
    """

    theme: str | None = None
    sort: str | None = None
    reverse: bool = False
    heatmap: str | None = None
    columns: tuple[str, ...] | None = None
    expanded: tuple[str, ...] = ()
    filter: str = ""
    flagged: bool = False

    def as_json(self) -> dict[str, object]:
        """The ``ui`` object of the state file (only what was set)."""
        out: dict[str, object] = {}
        for key, value in (
            ("theme", self.theme),
            ("sort", self.sort),
            ("heatmap", self.heatmap),
            ("filter", self.filter or None),
        ):
            if value is not None:
                out[key] = value
        if self.reverse:
            out["reverse"] = True
        if self.flagged:
            out["flagged"] = True
        if self.columns is not None:
            out["columns"] = list(self.columns)
        if self.expanded:
            out["expanded"] = list(self.expanded)
        return out


def _ui(raw: object) -> UiState:
    """The ``ui`` object as read back; a value of the wrong type is dropped, never fatal."""
    if not isinstance(raw, dict):
        return UiState()

    def text(key: str) -> str | None:
        v = raw.get(key)
        return v if isinstance(v, str) and len(v) <= 64 else None

    def names(key: str) -> tuple[str, ...] | None:
        v = raw.get(key)
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return None
        return tuple(dict.fromkeys(v))[:256]

    heatmap = text("heatmap")
    return UiState(
        theme=text("theme"),
        sort=text("sort"),
        reverse=raw.get("reverse") is True,
        heatmap=heatmap if heatmap in HEATMAP_MODES else None,
        columns=names("columns"),
        expanded=names("expanded") or (),
        filter=text("filter") or "",
        flagged=raw.get("flagged") is True,
    )


@dataclass(frozen=True)
class WatchState:
    """Symbols added to and removed from the config's watchlist in the app.

    Attributes:
        added: symbols shown in addition to the config's watchlist, in the order they were added.
        removed: symbols of the config's watchlist that are hidden.
        warning: why the state file was ignored or partly ignored, if it was; not part of equality.
        ui: how the main screen was left.
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    warning: str | None = field(default=None, compare=False)
    ui: UiState = field(default_factory=UiState)


def load_state(path: Path) -> WatchState:
    """Read the state file; an absent file is an empty state.

    A file that cannot be read or parsed, or holds the wrong shape, gives an empty state whose
    ``warning`` says so (one line, naming the file). Bad symbols inside are dropped with a warning.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return WatchState()
    except (OSError, UnicodeDecodeError) as exc:
        return WatchState(warning=f"state warning: {path}: cannot read ({_reason(exc)}); ignored")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return WatchState(
            warning=f"state warning: {path} line {exc.lineno}: not valid JSON ({exc.msg}); ignored"
        )
    if not isinstance(data, dict):
        return WatchState(warning=f"state warning: {path}: expected a JSON object; ignored")
    lists: dict[str, tuple[str, ...]] = {}
    dropped: list[str] = []
    for key in ("added", "removed"):
        items = data.get(key, [])
        if not isinstance(items, list):
            return WatchState(warning=f"state warning: {path}: '{key}' is not a list; ignored")
        symbols: dict[str, None] = {}
        for item in items:
            try:
                if not isinstance(item, str):
                    raise SymbolError(item)
                symbols.setdefault(normalize_symbol(item), None)
            except SymbolError:
                dropped.append(json.dumps(item))
        lists[key] = tuple(symbols)
    warning = f"state warning: {path}: ignored {_listing(dropped)}" if dropped else None
    return WatchState(added=lists["added"], removed=lists["removed"], warning=warning, ui=_ui(data.get("ui")))


def _listing(items: list[str], shown: int = 5) -> str:
    """The first ``shown`` items and how many more: a file of 10,000 bad entries still gives one short line."""
    more = len(items) - shown
    return ", ".join(items[:shown]) + (f" and {more:,} more" if more > 0 else "")


def _reason(exc: BaseException) -> str:
    return exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else str(exc)


def save_state(path: Path, state: WatchState) -> None:
    """Write ``state`` to ``path`` atomically, creating the folder if needed.

    Raises:
        OSError: if the folder cannot be created or written; the previous file is then left intact.
    """
    import tempfile  # only needed when the user changes the watchlist; keeps start-up lean

    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, object] = {
        "version": STATE_VERSION,
        "added": list(state.added),
        "removed": list(state.removed),
    }
    ui = state.ui.as_json()
    if ui:
        payload["ui"] = ui
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def effective_watchlist(config_watchlist: tuple[str, ...], state: WatchState) -> tuple[str, ...]:
    """The config's watchlist without the removed symbols, then the added ones (no repeats)."""
    removed = set(state.removed)
    out: dict[str, None] = {s: None for s in config_watchlist if s not in removed}
    for symbol in state.added:
        out.setdefault(symbol, None)
    return tuple(out)


def kept_watchlist(
    config_watchlist: tuple[str, ...], state: WatchState, path: Path
) -> tuple[tuple[str, ...], WatchState, str | None]:
    """The effective watchlist cut to ``MAX_SYMBOLS``, the state that shows it, and a warning if cut.

    The config's symbols come first, so the ones left out are the latest added. The state returned keeps
    only the added symbols shown, so the next ``a``/``d`` change writes the file as the screen shows it.

    Args:
        config_watchlist: the config file's watchlist.
        state: the state file as read.
        path: the state file, named in the warning.
    """
    watchlist, left_out = kept_symbols(effective_watchlist(config_watchlist, state))
    if not left_out:
        return watchlist, state, None
    shown = set(watchlist)
    state = replace(state, added=tuple(s for s in state.added if s in shown))
    plural = "" if left_out == 1 else "s"
    warning = (
        f"state warning: {path}: {left_out:,} added symbol{plural} left out: perptop watches at most "
        f"{MAX_SYMBOLS} at once (the config's watchlist first, then the earliest added)"
    )
    return watchlist, state, warning


def add_symbol(state: WatchState, config_watchlist: tuple[str, ...], symbol: str) -> WatchState:
    """The state after the user adds ``symbol`` (already normalised) in the app."""
    removed = tuple(s for s in state.removed if s != symbol)
    if symbol in config_watchlist or symbol in state.added:
        return WatchState(state.added, removed, ui=state.ui)
    return WatchState((*state.added, symbol), removed, ui=state.ui)


def remove_symbol(state: WatchState, config_watchlist: tuple[str, ...], symbol: str) -> WatchState:
    """The state after the user removes ``symbol`` (already normalised) in the app."""
    added = tuple(s for s in state.added if s != symbol)
    if symbol in config_watchlist and symbol not in state.removed:
        return WatchState(added, (*state.removed, symbol), ui=state.ui)
    return WatchState(added, state.removed, ui=state.ui)
