"""The main screen's keys, and the state they leave behind.

``WatchlistActions`` is the part of ``PerptopApp`` that answers the watchlist's keys: filter, sort,
flagged only, heatmap, columns, theme, pause, retry stopped venues, add, remove and undo. Whatever they
change is written to the state file beside the config (``tui.config.state``), so a restart comes back
to the screen as it was left: theme, sort, heatmap, chosen columns, expanded symbols, filter, flagged only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App

from feeds.history.writer import HistoryWriter
from feeds.messages import ALL
from feeds.source import Source
from tui.app_alerts import AppAlerts
from tui.app_history import AppHistory
from tui.config import state as saved
from tui.config.limits import MAX_SYMBOLS
from tui.config.loader import AppConfig
from tui.model.bars import BarStore
from tui.model.liq_tape import LiqTape
from tui.model.rows import SORTS
from tui.model.view import WatchView
from tui.widgets.watchlist import Watchlist

UNDO_S = 30.0  # how long a removal can be undone with u


class WatchlistActions(App[None]):
    """The watchlist's keys (a base of ``PerptopApp``, which provides the attributes below)."""

    config: AppConfig
    store: BarStore
    source: Source
    view: WatchView
    watchlist: Watchlist
    alerts: AppAlerts
    stored: AppHistory
    liq_tape: LiqTape
    history: HistoryWriter | None
    watch_state: saved.WatchState
    state_path: Path | None
    paused: bool
    theme_names: list[str]
    picked_theme: str | None  # the theme picked with t (saved); None: the config's
    chosen_columns: tuple[str, ...] | None
    _undo: tuple[str, float] | None

    # Provided by PerptopApp (its paint path), called here after a key changed what is shown.
    _refresh_all: Callable[[], None]
    _update_heatmap: Callable[[], None]
    show_notes: Callable[[], None]
    layout_columns: Callable[..., None]
    paint: Callable[..., None]
    open_drilldown: Callable[..., None]
    clock: Callable[[], int]

    # ---- the state file ------------------------------------------------------------------------

    def save_ui(self) -> None:
        """Write how the screen is now into the state file (theme, sort, heatmap, columns, ...)."""
        v = self.view
        ui = saved.UiState(
            theme=self.picked_theme,
            sort=SORTS[v.sort_index][0] if v.sort_index else None,
            reverse=v.sort_reverse,
            heatmap=v.heatmap_mode,
            columns=self.chosen_columns,
            expanded=tuple(s for s in self.store.symbols if s in v.expanded),
            filter=v.filter_text,
            flagged=v.flagged_only,
        )
        if ui != self.watch_state.ui:
            self._persist(saved.WatchState(self.watch_state.added, self.watch_state.removed, ui=ui))

    def apply_ui(self, ui: saved.UiState) -> None:
        """Put the screen back as the state file says it was left (at start)."""
        v = self.view
        labels = [label for label, _ in SORTS]
        if ui.sort in labels:
            v.sort_index = labels.index(ui.sort)
        v.sort_reverse = ui.reverse
        if ui.heatmap is not None:
            v.heatmap_mode = ui.heatmap
        v.expanded = {s for s in ui.expanded if s in self.store.symbols}
        v.filter_text = ui.filter
        v.flagged_only = ui.flagged
        if ui.columns is not None:
            known = {c.key for c in self.watchlist.all_columns}
            self.chosen_columns = tuple(c for c in ui.columns if c in known) or None

    def _persist(self, new_state: saved.WatchState) -> None:
        self.watch_state = new_state
        if self.state_path is None:
            return
        try:
            saved.save_state(self.state_path, new_state)
        except OSError as exc:
            self.notify(f"could not save the watchlist state: {exc}", severity="error")

    # ---- what is shown -------------------------------------------------------------------------

    def action_filter(self) -> None:
        """``/``: filter by text as you type; Enter keeps it, Esc clears it."""
        from tui.screens.prompt import PromptScreen

        def done(value: str | None) -> None:
            self.set_filter(value or "")

        self.push_screen(PromptScreen("filter", self.view.filter_text, on_change=self.set_filter), done)

    def set_filter(self, text: str) -> None:
        """Show only symbols containing ``text``."""
        self.view.filter_text = text
        self._refresh_all()
        self.show_notes()
        self.save_ui()

    def action_clear_filter(self) -> None:
        """Esc: clear the filter."""
        if self.view.filter_text:
            self.set_filter("")

    def action_sort(self) -> None:
        """``s``: the next sort column."""
        self.view.sort_index = (self.view.sort_index + 1) % len(SORTS)
        self.view.sort_reverse = False
        self._refresh_all()
        self.save_ui()
        self.notify(f"sorted by {SORTS[self.view.sort_index][0]}", timeout=2)

    def action_reverse_sort(self) -> None:
        """``S``: reverse the sort."""
        self.view.sort_reverse = not self.view.sort_reverse
        self._refresh_all()
        self.save_ui()

    def action_flagged(self) -> None:
        """``f``: show only symbols with a flag on."""
        self.view.flagged_only = not self.view.flagged_only
        self._refresh_all()
        self.show_notes()
        self.save_ui()

    def action_funding_spread(self) -> None:
        """``F``: the watchlist's symbols ranked by their funding spread across venues."""
        if len(self.screen_stack) > 1:  # from the main screen only: not over a drill-down or itself
            return
        from tui.screens.funding import FundingSpreadScreen

        self.push_screen(FundingSpreadScreen(self.store, self.open_drilldown, self.clock))

    def action_liquidation_tape(self) -> None:
        """``L``: the latest liquidations across venues, newest first."""
        if len(self.screen_stack) > 1:  # from the main screen only: not over a drill-down or itself
            return
        from tui.screens.liquidations import LiquidationTapeScreen

        self.push_screen(LiquidationTapeScreen(self.liq_tape))

    def action_heatmap(self) -> None:
        """``h``: the heatmap by venue, by hour, or hidden."""
        modes = saved.HEATMAP_MODES
        self.view.heatmap_mode = modes[(modes.index(self.view.heatmap_mode) + 1) % len(modes)]
        self.layout_columns()
        self._update_heatmap()
        self.save_ui()

    def action_columns(self) -> None:
        """``c``: choose the watchlist's columns."""
        from tui.screens.columns import ColumnsScreen

        def done(chosen: tuple[str, ...] | str | None) -> None:
            if chosen is None:  # cancelled
                return
            self.chosen_columns = chosen if isinstance(chosen, tuple) else None  # "auto": fit by priority
            self.layout_columns()
            self.save_ui()

        shown = tuple(c.key for c in self.watchlist.columns)
        self.push_screen(ColumnsScreen(self.watchlist.all_columns, self.chosen_columns or shown), done)

    def action_next_theme(self) -> None:
        """``t``: the next perptop theme, in the README's order."""
        names = self.theme_names
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = self.picked_theme = names[(i + 1) % len(names)]
        self.save_ui()
        self.notify(f"theme: {self.theme}", timeout=2)

    def action_pause(self) -> None:
        """``p``: stop (or resume) repainting data; the feed keeps filling the store."""
        self.paused = not self.paused
        self.paint()

    def action_retry_venues(self) -> None:
        """``r``: try every venue stopped for its location now, rather than at its next hourly try."""
        retried = self.source.retry_stopped()  # only the live source stops venues
        if retried:
            self.notify(f"retrying {', '.join(retried)} now", timeout=4)
        else:
            self.notify("no venue is stopped: nothing to retry", timeout=3)

    # ---- the watchlist's symbols ---------------------------------------------------------------

    def action_add_symbol(self) -> None:
        """``a``: ask for a symbol, add it and remember it in the state file."""
        from tui.screens.prompt import PromptScreen

        self.push_screen(PromptScreen("add symbol"), self.add_symbol)

    def add_symbol(self, text: str | None) -> None:
        """Add the symbol named by ``text`` (normalised, e.g. ``ethusdt`` -> ``ETH``)."""
        from feeds.symbols import SymbolError, normalize_symbol

        if not text:
            return
        try:
            symbol = normalize_symbol(text)
        except SymbolError as exc:
            self.notify(str(exc), severity="error")
            return
        if self.store.symbol_index(symbol) is not None:
            self.notify(f"{symbol} is already on the watchlist", timeout=3)
            self.jump_to(symbol)
            return
        if len(self.store.symbols) >= MAX_SYMBOLS:
            self.notify(
                f"{symbol} not added: the watchlist holds at most {MAX_SYMBOLS} symbols, the most perptop "
                "watches at once; remove one first",
                severity="error",
            )
            return
        self.store.add_symbol(symbol)
        self.source.add_symbol(symbol)
        self.alerts.service.forget_symbols()
        self.stored.resume_symbol(symbol)
        self.view.invalidate()
        self._persist(saved.add_symbol(self.watch_state, self.config.config_watchlist, symbol))
        self.paint(force=True)
        self.jump_to(symbol)

    def action_remove_symbol(self) -> None:
        """``d``: remove the selected symbol (``u`` undoes it) and remember that in the state file."""
        key = self.watchlist.cursor_key
        if key is None:
            return
        symbol, venue = key
        if venue != ALL:
            self.notify(f"d removes a whole symbol: go to {symbol}'s row (←) to remove it", timeout=4)
            return
        self.store.remove_symbol(symbol)
        self.source.remove_symbol(symbol)
        self.alerts.service.forget_symbols()
        self.view.invalidate()
        self.watchlist.forget(self.view.forget(symbol))
        self.view.expanded.discard(symbol)
        self._persist(saved.remove_symbol(self.watch_state, self.config.config_watchlist, symbol))
        self._refresh_all()
        self._undo = (symbol, self.monotonic())
        self.notify(f"removed {symbol} · u undoes it", timeout=UNDO_S / 3)

    def action_undo(self) -> None:
        """``u``: put back the symbol removed last (within ``UNDO_S`` seconds)."""
        if self._undo is None or self.monotonic() - self._undo[1] > UNDO_S:
            self.notify("nothing to undo", timeout=2)
            return
        symbol, _ = self._undo
        self._undo = None
        self.add_symbol(symbol)

    def monotonic(self) -> float:
        """Seconds on a steady clock (a method, so tests can move it)."""
        import time

        return time.monotonic()

    def jump_to(self, symbol: str) -> None:
        """Select ``symbol``'s row, clearing a filter that hides it."""
        if (symbol, ALL) not in self.watchlist.order:
            self.view.filter_text = ""
            self.view.flagged_only = False
            self._refresh_all()
        order = self.watchlist.order
        if (symbol, ALL) in order:
            self.watchlist.move_cursor(order.index((symbol, ALL)))

    def on_watchlist_expand_toggled(self, event: Watchlist.ExpandToggled) -> None:
        """Show or hide the per-venue rows of a symbol; the cursor stays on that symbol."""
        if event.expanded == (event.symbol in self.view.expanded):
            if not event.expanded:  # ← on a collapsed symbol's venue row cannot happen; on its row: stay
                self.jump_to(event.symbol)
            return
        # Hidden venue rows are no longer kept fresh: the watchlist forgets them too.
        self.watchlist.forget(self.view.set_expanded(event.symbol, event.expanded))
        self.paint(force=True)
        self.jump_to(event.symbol)
        self.save_ui()

    def watched_symbols(self) -> list[str]:
        """The watched symbols, in watchlist order (the command palette lists them)."""
        return list(self.store.symbols)
