"""The perptop app: banner, watchlist, funding heatmap and status bar, driven by one paint timer.

Data flow: the source writes bars into the ``BarStore`` from its worker. A single app-level timer
(``config.paint_interval``) finds the symbols whose ``store.versions`` moved, evaluates the flags at the
latest bar of every cross-venue series in one vectorised call (and of the venue rows of expanded
symbols in a second; each selection keeps its own ``LatestCache``), rebuilds the rows of the changed
symbols only and hands their cells to the watchlist, which repaints only changed characters.
No widget owns a timer, nothing blinks, and no reactive holds data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from signals.columns import COLUMNS, Col
from signals.features import funding8h
from signals.latest import LatestCache
from signals.params import n_bars
from signals.times import wall_ms
from tui import state as watch_state
from tui.config import MAX_WATCHLIST, AppConfig
from tui.history_store import read_for, restore
from tui.history_writer import HistoryWriter
from tui.lifeline import TerminalWatch, install_hangup_handler, leave
from tui.palette import SymbolCommands
from tui.recording import RecordingBarStore, tap_liquidations
from tui.rows import (
    SORTS,
    RowData,
    SeriesKey,
    compute_rows,
    display_order,
    evaluate_store,
    row_cells,
)
from tui.sources import DemoSource, Source
from tui.store import ALL, BarStore, capacity_for
from tui.widgets.heatmap import FundingHeatmap
from tui.widgets.spark import sparklines
from tui.widgets.statusbar import StatusBar, status_spans
from tui.widgets.watchlist import Watchlist, default_columns

# Sparklines fill their columns exactly: one width, set where the columns are.
SPARK_W, OI_SPARK_W = (next(c.width for c in default_columns(1.0) if c.key == k) for k in ("spark", "oi_spark"))


SPARK_REFRESH_MS = 10_000


def demo_source(config: AppConfig, seed: int, speed: float, clock: Callable[[], int]) -> DemoSource:
    """The simulated market over the config's watchlist, as a live source."""
    from feeds.sim import SimulatedMarket

    return DemoSource(SimulatedMarket(list(config.watchlist), seed=seed), speed=speed, rng_seed=seed, clock=clock)


class PerptopApp(App[None]):
    """The main screen of perptop.

    Args:
        config: settings (watchlist, theme, intervals, signal params).
        mode: ``demo`` (simulated market) or ``live``.
        seed: simulation seed (demo).
        speed: simulated seconds per second (demo).
        source: a data source to use instead of the one ``mode`` implies (tests inject one).
        clock: epoch-ms clock (frozen in tests).
        state_path: where ``a``/``d`` changes are saved (default: ``config.state_path``).
    """

    CSS_PATH = "app.tcss"
    TITLE = "perptop"
    COMMANDS: ClassVar[set[Any]] = App.COMMANDS | {SymbolCommands}
    BINDINGS: ClassVar[list[Any]] = [
        Binding("slash", "filter", "filter"),
        Binding("escape", "clear_filter", "clear filter", show=False),
        Binding("s", "sort", "sort"),
        Binding("S", "reverse_sort", "reverse", show=False),
        Binding("f", "flagged", "flagged"),
        Binding("a", "add_symbol", "add"),
        Binding("d", "remove_symbol", "remove"),
        Binding("h", "heatmap", "heatmap"),
        Binding("t", "next_theme", "theme"),
        Binding("p", "pause", "pause"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
    ]

    # Watchlist actions: they act on the watchlist's selection, so not from the drill-down or a prompt.
    _MAIN_SCREEN_ACTIONS = frozenset(
        {"filter", "clear_filter", "sort", "reverse_sort", "flagged", "add_symbol", "remove_symbol", "heatmap",
         "pause"}
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Watchlist actions only while the main screen is on top (``d`` on a drill-down removed a symbol)."""
        if action in self._MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1:
            return False
        return True

    def __init__(
        self,
        config: AppConfig,
        mode: str = "demo",
        seed: int = 0,
        speed: float = 1.0,
        source: Source | None = None,
        clock: Callable[[], int] | None = None,
        state_path: Path | None = None,
        history: HistoryWriter | None = None,
    ) -> None:
        from themes.loader import ansi_color_for, load_themes
        from tui import textual_patch

        textual_patch.install()

        # Textual chooses its NO_COLOR filter at construction from the theme current then; ours
        # (monochrome under NO_COLOR) needs the filter that keeps the terminal's default colours.
        super().__init__(ansi_color=ansi_color_for(load_themes()[config.theme]))
        self.config = config
        self.mode = mode
        self.clock = clock or wall_ms
        self.params = config.signals
        self.state_path = state_path if state_path is not None else config.state_path
        self.watch_state = config.state
        if source is None:
            if mode != "demo":
                raise ValueError(f"no source for mode {mode!r}: pass one")
            source = demo_source(config, seed, speed, self.clock)
        self.source = source
        step = source.step_ms
        capacity = capacity_for(self.params, step, 24.0)
        self.history = history
        self.resumed_bars = 0
        if history is None:
            self.store = BarStore(list(config.watchlist), source.venues, capacity, step)
        else:
            self.store = RecordingBarStore(config.watchlist, source.venues, capacity, step, history)
            tap_liquidations(getattr(source, "adapters", {}), history, lambda: self.store.symbols)
        self.rows: dict[SeriesKey, RowData] = {}
        self.paused = False
        self.sort_index = 0
        self.sort_reverse = False
        self.filter_text = ""
        self.flagged_only = False
        self.expanded: set[str] = set()
        self.heatmap_mode = "venues"
        self.paints = 0
        self._seen: np.ndarray | None = None
        self._cache = LatestCache()
        self._venue_cache = LatestCache()  # the expanded symbols' venue rows, a selection of its own
        self._sparks: dict[SeriesKey, tuple[str, str]] = {}
        self._spark_bar: int | None = None
        self._spark_ms = 0
        self._stale_cells: set[SeriesKey] = set()  # rows whose data moved since their cells were built
        self._old_series: set[SeriesKey] = set()  # live rows with no update for three poll intervals
        self._unlisted: set[SeriesKey] = set()  # live venue rows of symbols the venue does not list
        self._notice = ""
        self._register_themes()

    # ---- themes ------------------------------------------------------------------------------------

    def _register_themes(self) -> None:
        from themes.loader import load_themes

        self._theme_names: list[str] = []
        for theme in load_themes().values():
            self.register_theme(theme)
            self._theme_names.append(theme.name)
        if self.config.theme in self._theme_names:
            self.theme = self.config.theme

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Semantic colours for Textual's own themes, which do not define them."""
        from themes.loader import theme_variable_defaults

        return theme_variable_defaults()

    # ---- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Banner, watchlist, heatmap, status bar."""
        if self.mode == "demo":
            yield Static(
                "SIMULATED MARKET — not live data · perptop demo: every number on this screen is made up",
                id="banner",
                classes="simulated",
            )
        else:
            yield Static(f"perptop · {self.mode} · {', '.join(self.source.venues)}", id="banner")
        yield Watchlist(default_columns(self.params.window_h), id="watchlist")
        yield FundingHeatmap(self.params.funding_extreme, id="heatmap")
        yield StatusBar(id="status")

    def on_mount(self) -> None:
        """Load history, start the feed worker and the paint timer, paint the first frame."""
        self.watchlist = self.query_one(Watchlist)
        self.heatmap = self.query_one(FundingHeatmap)
        self.status = self.query_one(StatusBar)
        self.watchlist.focus()
        self.source.attach(self.store)
        if self.history is not None:
            # The stored bars go in before the feed starts, so its first poll lands on resumed windows;
            # the read runs on a thread and the first frame does not wait for it.
            self.run_worker(self._read_history, thread=True, group="history", exit_on_error=False, name="resume")
        elif self.source.live:
            self._start_feed()
        self.set_interval(self.config.paint_interval, self.paint, name="paint")
        self._terminal = TerminalWatch()
        if self._terminal.armed:
            install_hangup_handler(self.exit)
            if self.config.paint_interval > 2.0:  # the paint tick also watches the terminal; keep it prompt
                self.set_interval(2.0, self._check_terminal, name="terminal")
        for warning in self.config.warnings:
            self.notify(warning, severity="warning", timeout=15)
        self.call_after_refresh(self.paint)

    def _start_feed(self) -> None:
        if self.source.live:
            self.run_worker(self.source.run(), group=self.source.group, exit_on_error=False, name="feed")

    def _read_history(self, symbols: list[str] | None = None) -> None:
        """Worker thread: read the stored bars the store can hold, then resume on the event loop.

        Args:
            symbols: a symbol just added (its bars merge under what the feed already wrote); None: every
                symbol, at start, after which the feed starts.
        """
        assert self.history is not None
        now, step = self.clock(), self.store.step_ms
        since = now - now % step - (self.store.capacity - 1) * step
        try:
            histories, problem = read_for(self.store, self.history.path, since, symbols), ""
        except (sqlite3.Error, OSError) as exc:
            histories, problem = [], f"history store {self.history.path}: not read ({exc}); going on without it"
        self.call_from_thread(self._resume, histories, problem, symbols is None)

    def _resume(self, histories: list[Any], problem: str, at_start: bool) -> None:
        if problem:
            self.notify(problem, severity="warning", timeout=15)
        wanted = set(self.store.symbols)  # a symbol removed while its bars were read stays removed
        loaded = restore(self.store, [h for h in histories if h.symbol in wanted])
        self.resumed_bars += loaded
        if at_start:
            resumed = getattr(self.source, "resumed", None)
            if loaded and callable(resumed):
                resumed()  # the live backfill fetches only what the store lacks
            self._start_feed()
        if loaded:
            self._cache.clear()
            self._venue_cache.clear()
        self.paint(force=True)

    def close_history(self) -> bool:
        """Write the current bar and wait for the history writer to commit; False if it did not finish."""
        if self.history is None:
            return True
        if isinstance(self.store, RecordingBarStore):
            self.store.write_current()
        return self.history.close()

    def _check_terminal(self) -> None:
        if self._terminal.lost():
            leave(self.exit)

    # ---- the paint tick ----------------------------------------------------------------------------

    def paint(self, force: bool = False) -> None:
        """One repaint: status line always; rows, order and heatmap for symbols whose data changed.

        Args:
            force: repaint even while paused (after a key that changes what is shown).
        """
        self._check_terminal()
        now = self.clock()
        stale_after = max(30.0, 3 * self.config.poll_interval)
        self.status.show(status_spans(self.source.health(), now, self.mode, self.paused, stale_after), now)
        self._live_notices(now)
        if self.paused and not force:
            return
        store = self.store
        if store.count == 0 or not store.symbols:
            self._reorder()  # says "no symbols" instead of waiting for data forever
            return
        versions = store.versions
        if self._seen is None or self._seen.shape != versions.shape:
            changed = np.arange(len(store.symbols))
        else:
            changed = np.flatnonzero((versions != self._seen).any(axis=1))
        if changed.size == 0:
            return
        self._seen = versions.copy()
        self.paints += 1
        # Flags and rows only for what can be shown: every cross-venue row (sorting and `f` need
        # them all) and the venue rows of expanded symbols.
        results = evaluate_store(store, self.params, self._cache, venues=[ALL], reasons=False)
        fresh = compute_rows(store, self.params, results, changed.tolist(), venues=[ALL])
        if self.expanded:
            shown = [s for s in store.symbols if s in self.expanded]
            by_venue = evaluate_store(store, self.params, self._venue_cache, store.venues, shown, reasons=False)
            moved = [i for i in changed.tolist() if store.symbols[i] in self.expanded]
            fresh.update(compute_rows(store, self.params, by_venue, moved, venues=store.venues))
        self.rows.update(fresh)
        self._stale_cells.update(fresh)
        self._update_sparks(changed)
        with self.batch_update():
            self._reorder()
            self._update_heatmap()

    def _live_notices(self, now: int) -> None:
        """Live only: the banner says when no venue is reachable; rows gone quiet are marked stale."""
        unreachable = getattr(self.source, "unreachable", None)
        if unreachable is None:
            return
        notice = unreachable()
        if notice != self._notice:
            self._notice = notice
            banner = self.query_one("#banner", Static)
            banner.update(notice or f"perptop · {self.mode} · {', '.join(self.source.venues)}")
            banner.set_class(bool(notice), "unreachable")
        old = self.source.stale_series(now)  # type: ignore[attr-defined]
        unlisted = self.source.unlisted_series()  # type: ignore[attr-defined]
        if old != self._old_series or unlisted != self._unlisted:
            moved = (old ^ self._old_series) | (unlisted ^ self._unlisted)
            self._stale_cells.update(moved & self.rows.keys())
            self._old_series, self._unlisted = old, unlisted
            if not self.paused:
                self._reorder()

    def _update_sparks(self, changed: np.ndarray) -> None:
        """Rebuild the sparklines of ``changed`` symbols on a new bar, else at most every SPARK_REFRESH_MS.

        A 12-character sparkline of 24 h moves by one character in hours; redrawing it on every tick
        would cost most of a paint and show nothing new.
        """
        store = self.store
        now = self.clock()
        due = store.current_time != self._spark_bar or now - self._spark_ms >= SPARK_REFRESH_MS
        if due:
            self._spark_bar, self._spark_ms = store.current_time, now
        nv = len(store.venues)
        # Only series that are shown: every cross-venue row, and the venue rows of expanded symbols.
        slots: list[tuple[int, int]] = []
        for s in changed.tolist():
            sym = store.symbols[s]
            shown = [nv, *range(nv)] if sym in self.expanded else [nv]
            slots += [(s, v) for v in shown if due or (sym, self._venue_name(v)) not in self._sparks]
        if not slots:
            return
        n = min(n_bars(24.0, store.step_ms), store.count)
        tail = store.tail(n)
        s_idx = np.array([s for s, _ in slots], dtype=np.int64)
        v_idx = np.array([v for _, v in slots], dtype=np.int64)
        prices = sparklines(tail[:, s_idx, v_idx, Col.PRICE], SPARK_W)
        ois = sparklines(tail[:, s_idx, v_idx, Col.OI], OI_SPARK_W)
        for (s, v), price, oi in zip(slots, prices, ois):
            key = (store.symbols[s], self._venue_name(v))
            if self._sparks.get(key) != (price, oi):
                self._sparks[key] = (price, oi)
                self._stale_cells.add(key)

    def _venue_name(self, slot: int) -> str:
        return self.store.venues[slot] if slot < len(self.store.venues) else ALL

    def _cells(self, key: SeriesKey) -> Any:
        row = self.rows[key]
        spark, oi_spark = self._sparks.get(key, ("", ""))
        if key[1] == ALL:
            label = ("▾ " if key[0] in self.expanded else "▸ ") + key[0]
        else:
            label = "  └"
        cells = row_cells(row, spark, oi_spark, label)
        if key in self._old_series:  # no update for three poll intervals: the whole row says so
            cells = tuple(tuple((text, "stale") for text, _ in cell) for cell in cells)
        elif key in self._unlisted:  # said once, in place of figures the venue cannot have
            cells = (*cells[:2], (("not listed", "muted"),), *cells[3:])
        return cells

    def _reorder(self) -> None:
        label, column = SORTS[self.sort_index]
        order = display_order(
            self.store.symbols, self.store.venues, self.rows, column, self.sort_reverse,
            self.filter_text, self.flagged_only, self.expanded,
        )
        # Cells are formatted only for rows on show (collapsed venue rows and filtered symbols wait).
        todo = [k for k in order if k in self._stale_cells and k in self.rows]
        self.watchlist.update_cells({k: self._cells(k) for k in todo})
        self._stale_cells.difference_update(todo)
        self.watchlist.set_order(order)
        marks = {column: "▲" if (column == "symbol") != self.sort_reverse else "▼"} if column else {}
        self.watchlist.set_marks(marks)
        if not order:
            self.watchlist.empty_text = "no symbol matches the filter" if self.store.symbols else "no symbols"

    def _visible_symbols(self) -> list[str]:
        return [s for s, v in self.watchlist.order if v == ALL]

    def _update_heatmap(self) -> None:
        symbols = self._visible_symbols()
        store = self.store
        idx = [store.symbol_index(s) for s in symbols]
        if self.heatmap_mode == "venues":
            nv = len(store.venues)
            last = store.latest()[idx, :nv] if idx else np.empty((0, nv, len(COLUMNS)))
            with np.errstate(invalid="ignore", divide="ignore"):
                values = funding8h(last[..., Col.FUNDING], last[..., Col.FUNDING_INTERVAL_H])
            self.heatmap.set_data("venues", symbols, store.venues, values)
            return
        step = n_bars(1.0, store.step_ms)
        back = np.arange(23, -1, -1) * step  # bars back from the current one, oldest first
        rows = store.capacity - 1 - back
        nv = len(store.venues)
        values = store.data[rows, :, nv, Col.FUNDING][:, idx].T if idx else np.empty((0, 24))
        self.heatmap.set_data("time", symbols, [f"-{h}h" for h in range(23, -1, -1)], values)

    def _refresh_all(self) -> None:
        """Re-apply order and heatmap at once (after a key that changes what is shown)."""
        with self.batch_update():
            self._reorder()
            self._update_heatmap()

    # ---- actions -----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        """``/``: filter by text as you type; Enter keeps it, Esc clears it."""
        from tui.screens.prompt import PromptScreen

        def done(value: str | None) -> None:
            self.set_filter(value or "")

        self.push_screen(PromptScreen("filter", self.filter_text, on_change=self.set_filter), done)

    def set_filter(self, text: str) -> None:
        """Show only symbols containing ``text``."""
        self.filter_text = text
        self._refresh_all()

    def action_clear_filter(self) -> None:
        """Esc: clear the filter."""
        if self.filter_text:
            self.set_filter("")

    def action_sort(self) -> None:
        """``s``: the next sort column."""
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.sort_reverse = False
        self._refresh_all()
        self.notify(f"sorted by {SORTS[self.sort_index][0]}", timeout=2)

    def action_reverse_sort(self) -> None:
        """``S``: reverse the sort."""
        self.sort_reverse = not self.sort_reverse
        self._refresh_all()

    def action_flagged(self) -> None:
        """``f``: show only symbols with a flag on."""
        self.flagged_only = not self.flagged_only
        self._refresh_all()

    def action_heatmap(self) -> None:
        """``h``: heatmap by venue or by hour."""
        self.heatmap_mode = "time" if self.heatmap_mode == "venues" else "venues"
        self._update_heatmap()

    def action_next_theme(self) -> None:
        """``t``: the next perptop theme."""
        names = self._theme_names
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def action_pause(self) -> None:
        """``p``: stop (or resume) repainting data; the feed keeps filling the store."""
        self.paused = not self.paused
        self.paint()

    def action_help(self) -> None:
        """``?``: keys and the flag legend."""
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_add_symbol(self) -> None:
        """``a``: ask for a symbol, add it and remember it in the state file."""
        from tui.screens.prompt import PromptScreen

        self.push_screen(PromptScreen("add symbol"), self.add_symbol)

    def add_symbol(self, text: str | None) -> None:
        """Add the symbol named by ``text`` (normalised, e.g. ``ethusdt`` -> ``ETH``)."""
        from tui.config_symbols import SymbolError, normalize_symbol

        if not text:
            return
        try:
            symbol = normalize_symbol(text)
        except SymbolError as exc:
            self.notify(str(exc), severity="error")
            return
        if self.store.symbol_index(symbol) is not None:
            self.jump_to(symbol)
            return
        if len(self.store.symbols) >= MAX_WATCHLIST:
            self.notify(f"the watchlist holds at most {MAX_WATCHLIST} symbols; remove one first", severity="error")
            return
        self.store.add_symbol(symbol)
        self.source.add_symbol(symbol)
        if self.history is not None:
            self.run_worker(lambda: self._read_history([symbol]), thread=True, group="history",
                            exit_on_error=False, name=f"resume {symbol}")
        self._cache.clear()
        self._venue_cache.clear()
        self._persist(watch_state.add_symbol(self.watch_state, self.config.config_watchlist, symbol))
        self.paint(force=True)
        self.jump_to(symbol)

    def action_remove_symbol(self) -> None:
        """``d``: remove the selected symbol and remember that in the state file."""
        key = self.watchlist.cursor_key
        if key is None:
            return
        symbol = key[0]
        self.store.remove_symbol(symbol)
        self.source.remove_symbol(symbol)
        self._cache.clear()
        self._venue_cache.clear()
        self._seen = None
        self._forget(symbol)
        self.expanded.discard(symbol)
        self._persist(watch_state.remove_symbol(self.watch_state, self.config.config_watchlist, symbol))
        self._refresh_all()
        self.notify(f"removed {symbol}", timeout=2)

    def _persist(self, new_state: watch_state.WatchState) -> None:
        self.watch_state = new_state
        if self.state_path is None:
            return
        try:
            watch_state.save_state(self.state_path, new_state)
        except OSError as exc:
            self.notify(f"could not save the watchlist state: {exc}", severity="error")

    def jump_to(self, symbol: str) -> None:
        """Select ``symbol``'s row, clearing a filter that hides it."""
        if (symbol, ALL) not in self.watchlist.order:
            self.filter_text = ""
            self.flagged_only = False
            self._refresh_all()
        order = self.watchlist.order
        if (symbol, ALL) in order:
            self.watchlist.move_cursor(order.index((symbol, ALL)))

    # ---- watchlist events --------------------------------------------------------------------------

    def on_watchlist_row_chosen(self, event: Watchlist.RowChosen) -> None:
        """Enter or double-click: open the drill-down of the symbol."""
        from tui.screens.drilldown import DrilldownScreen

        # n / p there follow the rows as shown here (filter and sort included).
        self.push_screen(DrilldownScreen(self.store, event.key[0], self._visible_symbols(), self.params,
                                         measure=self.hit_rate_job))

    def hit_rate_job(self, symbol: str) -> Callable[[], Any]:
        """How the drill-down measures ``symbol``'s flags: on the history store when the monitor records
        (days to weeks of bars), else on the bars in memory, named for what they are."""
        from tui import hit_rates

        if self.history is not None and self.history.path.exists():
            return hit_rates.prepare_stored(self.history.path, symbol, self.params)
        what = {"demo": "simulated history in memory", "replay": "bars replayed so far"}.get(self.mode, "bars in memory")
        return hit_rates.prepare_memory(self.store, symbol, self.params, what)

    def on_watchlist_expand_toggled(self, event: Watchlist.ExpandToggled) -> None:
        """Show or hide the per-venue rows of a symbol."""
        if event.expanded == (event.symbol in self.expanded):
            return
        if event.expanded:
            self.expanded.add(event.symbol)
        else:
            self.expanded.discard(event.symbol)
            self._forget(event.symbol, keep_all_row=True)  # hidden venue rows are no longer kept fresh
        self._venue_cache.clear()
        self._stale_cells.add((event.symbol, ALL))  # its expand marker changed
        self._seen = None  # the newly shown venue rows need their figures now
        self.paint(force=True)

    def _forget(self, symbol: str, keep_all_row: bool = False) -> None:
        """Drop what the app and the watchlist keep for ``symbol``'s rows (all of them, or its venue rows)."""
        keys = [(symbol, v) for v in self.store.venues] + ([] if keep_all_row else [(symbol, ALL)])
        for k in keys:
            self.rows.pop(k, None)
            self._sparks.pop(k, None)
            self._stale_cells.discard(k)
        self.watchlist.forget(keys)


__all__ = ["PerptopApp"]
