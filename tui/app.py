"""The perptop app: banner, watchlist, funding heatmap and status bar, driven by one paint timer.

Data flow: the source writes bars into the ``BarStore`` from its worker. A single app-level timer
(``config.paint_interval``) asks the source for its ``SourceHealth`` and the ``WatchView`` for the rows
of the symbols whose bars moved (``tui.model.view``), and hands their cells to the watchlist, which
repaints only changed characters. No widget owns a timer, nothing blinks, and no reactive holds data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from feeds.history.writer import HistoryWriter
from feeds.messages import ALL
from feeds.sim.source import demo_source
from feeds.source import SeriesKey, Source, SourceHealth
from signals.times import wall_ms
from tui.alerts.events import Event
from tui.alerts.measuring import BackfillHold
from tui.app_actions import WatchlistActions
from tui.app_alerts import AppAlerts
from tui.app_history import AppHistory
from tui.app_source import SourceStart
from tui.config.loader import AppConfig
from tui.lifeline import TerminalWatch, install_stop_handlers, leave
from tui.memory import give_back
from tui.model.bars import BarStore, capacity_for, hot_rows_for
from tui.model.liq_tape import LiqTape
from tui.model.rows import Cell, RowData, countdown_updates
from tui.model.view import WatchView
from tui.palette import SymbolCommands
from tui.widgets.columns import default_columns, fit_columns
from tui.widgets.heatmap import FundingHeatmap
from tui.widgets.statusbar import StatusBar, status_spans
from tui.widgets.watchlist import Watchlist

# Sparklines fill their columns exactly: one width, set where the columns are.
_WIDTHS = {c.key: c.width for c in default_columns(1.0)}
SPARK_WIDTHS = (_WIDTHS["spark"], _WIDTHS["oi_spark"])
TRIM_INTERVAL_S = 60.0
"""How often freed memory is handed back (``tui.memory``): a trim costs a few ms of a walk over the heap."""
HEATMAP_MIN_HEIGHT = 20  # below this many rows the heatmap hides itself: the watchlist needs them more
HEATMAP_ROWS = (5, 14)  # its height otherwise: a third of the screen, within these


def heatmap_height(mode: str, screen_height: int) -> int:
    """Rows the funding heatmap takes on a screen ``screen_height`` rows tall (0: hidden)."""
    if mode == "hidden" or screen_height < HEATMAP_MIN_HEIGHT:
        return 0
    low, high = HEATMAP_ROWS
    return max(low, min(high, screen_height // 3))


class PerptopApp(WatchlistActions, SourceStart):
    """The main screen of perptop.

    Args:
        config: settings (watchlist, theme, intervals, signal params).
        mode: ``demo`` (simulated market) or ``live``.
        seed: simulation seed (demo).
        speed: simulated seconds per second (demo).
        source: a data source to use instead of the one ``mode`` implies (tests inject one).
        clock: epoch-ms clock (frozen in tests).
        state_path: where ``a``/``d`` changes are saved (default: ``config.state_path``).
        history: the history writer the live monitor records into (None: no recording).
        recording_off: why the monitor does not record though asked to (shown as "recording off").
    """

    CSS_PATH = "app.tcss"
    TITLE = "perptop"
    COMMANDS: ClassVar[set[Any]] = WatchlistActions.COMMANDS | {SymbolCommands}
    BINDINGS: ClassVar[list[Any]] = [
        Binding("slash", "filter", "filter"),
        Binding("escape", "clear_filter", "clear filter", show=False),
        Binding("s", "sort", "sort"),
        Binding("S", "reverse_sort", "reverse", show=False),
        Binding("f", "flagged", "flagged"),
        Binding("F", "funding_spread", "funding spread", show=False),
        Binding("a", "add_symbol", "add"),
        Binding("d", "remove_symbol", "remove"),
        Binding("u", "undo", "undo", show=False),
        Binding("c", "columns", "columns"),
        Binding("h", "heatmap", "heatmap"),
        Binding("l", "event_log", "events"),
        Binding("L", "liquidation_tape", "liquidations", show=False),
        Binding("t", "next_theme", "theme"),
        Binding("p", "pause", "pause"),
        Binding("r", "retry_venues", "retry venues", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
    ]

    # Watchlist actions: they act on the watchlist's selection, so not from the drill-down or a prompt.
    _MAIN_SCREEN_ACTIONS = frozenset(
        {
            "filter",
            "clear_filter",
            "sort",
            "reverse_sort",
            "flagged",
            "add_symbol",
            "remove_symbol",
            "undo",
            "columns",
            "heatmap",
            "pause",
            "event_log",
        }
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Watchlist actions only while the main screen is on top (``d`` on a drill-down removed a symbol)."""
        if self.view.loading and action in ("add_symbol", "remove_symbol", "undo"):
            return False  # the simulated week is being generated for the symbols there are: wait for it
        return not (action in self._MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1)

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
        recording_off: str = "",
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
            source = demo_source(config.watchlist, seed, speed, self.clock)
        self.source = source
        step = source.step_ms
        # the bars older than the hot windows in float32: half the panel's bytes for most of the week
        self.store = BarStore(
            list(config.watchlist),
            source.venues,
            capacity_for(self.params, step, 24.0),
            step,
            hot=hot_rows_for(self.params, step),
        )
        self.history = history
        self.view = WatchView(self.store, self.params, self.clock, SPARK_WIDTHS)
        self.alerts = AppAlerts(
            self, config, self.store, history, self.clock, self.hit_rate_job, self.stored_hit_rates_job
        )
        # flag records wait for the end of a live backfill (measured on a store still filling, they
        # would be measured again), then for its days to be packed
        self.alerts.service.measure_held = BackfillHold(
            lambda: self.source.health(self.clock()).backfilling,
            history.pack_soon if history is not None else None,
        )
        # Flags with no measured edge on their symbol are dimmed from the alert service's records.
        self.view.edge_source, self.view.dim_unproven = self.alerts.service.records, config.dim_unproven
        self.stored = AppHistory(
            self, self.store, source, history, self.clock, self.alerts, self._resumed, off=recording_off
        )
        # The tape keeps the source's liquidation events from the start. A source hands them to one
        # listener, so the recorder's (set just above, when recording) gets them through the tape's.
        self.liq_tape = LiqTape(large_usd=config.large_liquidation_usd, mode=mode)
        recorder = self.stored.recorder
        source.listen_liquidations(self.liq_tape.listener(recorder.liquidations if recorder else None))
        self.paused = False
        self.paints = 0
        self.chosen_columns = config.columns
        self.picked_theme = config.state.ui.theme
        self._mounted = False
        self._undo = None
        self._register_themes()

    @property
    def rows(self) -> dict[SeriesKey, RowData]:
        """The figures of every row computed so far (the watchlist's model)."""
        return self.view.rows

    # ---- themes ------------------------------------------------------------------------------------

    def _register_themes(self) -> None:
        """Ours only: Textual's built-in themes lack the semantic colours, and the palette lists what is
        registered (picking one of those gave a hybrid)."""
        from themes import theme_names
        from themes.loader import load_themes

        builtin = set(self.available_themes)
        themes = load_themes()
        self.theme_names = list(theme_names())
        for name in self.theme_names:
            self.register_theme(themes[name])
        self.theme = self.config.theme if self.config.theme in themes else self.theme_names[0]
        for name in builtin - set(themes):  # after ours is current: Textual falls back to textual-dark
            self.unregister_theme(name)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Semantic colours for any theme that lacks them (none of ours does; a safety net)."""
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
            yield Static(self._banner_text(), id="banner")
        yield Watchlist(default_columns(self.params.window_h), id="watchlist")
        yield FundingHeatmap(self.params.funding_extreme, id="heatmap")
        yield StatusBar(id="status")

    def on_mount(self) -> None:
        """Load history, start the feed worker and the paint timer, paint the first frame."""
        self.watchlist = self.query_one(Watchlist)
        self.watchlist.cell_source = self._due_cells
        self.heatmap = self.query_one(FundingHeatmap)
        self.status = self.query_one(StatusBar)
        self.apply_ui(self.watch_state.ui)
        if self.config.columns is not None:  # the config's columns beat a choice saved with the picker
            self.chosen_columns = self.config.columns
        self.layout_columns()
        self._mounted = True
        self.watchlist.focus()
        self.start_source()  # or, for the simulated week, a first frame of loading rows while it is built
        self.set_interval(self.config.paint_interval, self.paint, name="paint")
        # freed memory handed back to the system: the start's, a backfill's, a new bar's temporaries
        self.set_interval(TRIM_INTERVAL_S, give_back, name="trim")
        self._terminal = TerminalWatch()
        install_stop_handlers(self.exit, hangup=self._terminal.armed)
        if self._terminal.armed and self.config.paint_interval > 2.0:
            # the paint tick also watches the terminal; keep it prompt
            self.set_interval(2.0, self._check_terminal, name="terminal")
        for warning in self.config.warnings:
            self.notify(warning, severity="warning", timeout=15)
        self.stored.announce()  # the store it was asked to record into could not be opened: say why
        if self.view.loading:  # the rows, marked loading, in the very first frame (not "waiting for data")
            self.paint()
        self.call_after_refresh(self.paint)

    @property
    def resumed_bars(self) -> int:
        """Bars read back from the history store since the start."""
        return self.stored.resumed_bars

    def close_history(self) -> bool:
        """Let the alert sinks finish, write the current bar and wait for the history writer to commit;
        False if that did not finish in time."""
        delivered = self.alerts.close()
        return self.stored.close() and delivered

    def _check_terminal(self) -> None:
        if self._terminal.lost():
            leave(self.exit)

    def _banner_text(self) -> str:
        return f"perptop · {self.mode} · {', '.join(self.source.venues)}"

    # ---- layout by size ----------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        """Columns and the heatmap follow the terminal's size (from the first frame, laid out on mount)."""
        if self._mounted:  # the first resize comes before on_mount, which lays out the first frame
            # This handler runs before App's own, so self.size is still the old size: use the event's.
            self.layout_columns(event.size.width, event.size.height)

    def layout_columns(self, width: int = 0, height: int = 0) -> None:
        """Fit the watchlist's columns to the width (by priority, or the user's choice) and size the heatmap
        to the height (0: the app's size now)."""
        width, height = width or self.size.width, height or self.size.height
        # One cell for the vertical scrollbar, which shows once the rows overflow.
        self.watchlist.set_columns(fit_columns(self.watchlist.all_columns, width - 1, self.chosen_columns))
        rows = heatmap_height(self.view.heatmap_mode, height)
        self.heatmap.display = rows > 0
        if rows:
            self.heatmap.styles.height = rows

    # ---- the paint tick ----------------------------------------------------------------------------

    def paint(self, force: bool = False) -> None:
        """One repaint: status line always; rows, order and heatmap for symbols whose data changed.

        Args:
            force: repaint even while paused (after a key that changes what is shown).
        """
        self._check_terminal()
        now = self.clock()
        health = self.source.health(now)
        self._show_status(health, now)
        notice_moved, rows_moved = self.view.take_health(health)
        if notice_moved:  # the banner says when no venue is reachable
            banner = self.query_one("#banner", Static)
            banner.update(health.notice or self._banner_text())
            banner.set_class(bool(health.notice), "unreachable")
        if rows_moved and not self.paused:  # rows gone quiet (or back) are drawn in the stale colour
            self._reorder()
        if self.paused and not force:
            return
        if (self.store.count == 0 and not self.view.loading) or not self.store.symbols:
            self._refresh_all()  # says what it is waiting for, or "no symbols", instead of blank rows
            return
        if self.view.refresh({key[0] for key in self.watchlist.visible_keys}):
            self.paints += 1
            self._refresh_all()
        else:  # the settlement countdown moves with the clock, not the data
            self.watchlist.refresh_cells()

    def show_notes(self) -> None:
        """The status line again at once: a filter or flagged-only is said as it hides rows, not at the
        next paint tick (2 s by default)."""
        now = self.clock()
        self._show_status(self.source.health(now), now)

    def _show_status(self, health: SourceHealth, now: int) -> None:
        """The status line: each venue's state, the mode, the alerts and what hides rows."""
        stale_after = max(30.0, 3 * self.config.poll_interval)
        line = status_spans(
            health.venues, now, self.mode, self.paused, stale_after, self.alerts.spans(), self._notes()
        )
        self.status.show(line, now)

    def _reorder(self) -> None:
        # no bar yet: no row has a figure to show (while loading, each row says so instead)
        order = self.view.order() if self.store.count or self.view.loading else []
        self.watchlist.set_order(order)
        self.watchlist.refresh_cells()
        self.watchlist.set_marks(self.view.sort_marks())
        if not order:
            self.watchlist.empty_text = self.view.empty_text(self.source.venues)

    def _due_cells(self, keys: Sequence[SeriesKey]) -> dict[SeriesKey, tuple[Cell, ...]]:
        """The watchlist's ``cell_source``: new cells of the rows of ``keys`` whose data moved, or whose
        settlement countdown reads differently now (only its cells: the watchlist repaints only those)."""
        due = self.view.due_cells(keys)
        if self.paused:  # the countdown stands still with the figures
            return due
        drawn = self.watchlist.drawn_cells
        due.update(
            countdown_updates(
                self.view.rows,
                lambda k: due.get(k) or drawn(k),
                keys,
                self.clock(),
                self.view.old_series,
            )
        )
        return due

    def _visible_symbols(self) -> list[str]:
        return [s for s, v in self.watchlist.order if v == ALL]

    def _notes(self) -> list[tuple[str, str]]:
        """What hides rows, said in the status bar so it is never forgotten."""
        v = self.view
        notes = [(f"filter: {v.filter_text}", "paused")] if v.filter_text else []
        if v.flagged_only:
            notes.append(("flagged only", "paused"))
        return notes + self.stored.notes()  # "recording off": nothing this session reaches the store

    def _update_heatmap(self) -> None:
        if self.heatmap.display:
            self.heatmap.set_data(*self.view.heatmap(self._visible_symbols()))

    def _refresh_all(self) -> None:
        """Re-apply order and heatmap at once (after new data, or a key that changes what is shown)."""
        with self.batch_update():
            self._reorder()
            self._update_heatmap()

    # ---- actions (the watchlist's own are in WatchlistActions) ------------------------------------

    def action_event_log(self) -> None:
        """``l``: the event log, newest first."""
        self.alerts.open_log(self.drill_into_event)

    def drill_into_event(self, event: Event) -> None:
        """The drill-down of ``event``'s symbol with its bar marked (from the event log)."""
        if self.store.symbol_index(event.symbol) is None:
            self.notify(
                f"{event.symbol} is not on the watchlist any more: add it (a) to drill into it", timeout=6
            )
            return
        self.open_drilldown(event.symbol, mark=(event.time_ms, event.label))

    def on_app_blur(self) -> None:
        """The terminal lost focus: events from now count as seen while away."""
        self.alerts.blurred()

    def on_app_focus(self) -> None:
        """The terminal has focus again."""
        self.alerts.focused()

    def action_help(self) -> None:
        """``?``: keys and the flag legend."""
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    # ---- watchlist events --------------------------------------------------------------------------

    def on_watchlist_row_chosen(self, event: Watchlist.RowChosen) -> None:
        """Enter or double-click: open the drill-down of the symbol."""
        self.open_drilldown(event.key[0])

    def open_drilldown(self, symbol: str, mark: tuple[int, str] | None = None) -> None:
        """The drill-down of ``symbol`` (``mark``: the bar time and words of an event the charts mark)."""
        from tui.screens.drilldown import DrilldownScreen

        # n / N there follow the rows as shown here (filter and sort included).
        screen = DrilldownScreen(
            self.store,
            symbol,
            self._visible_symbols(),
            self.params,
            measure=self.hit_rate_job,
            clock=self.clock,
            observed_liquidations=self.mode == "live",
            mark=mark,
            liquidations=self.liq_tape,
        )
        self.push_screen(screen, self._drilldown_closed)

    def _drilldown_closed(self, symbol: str | None) -> None:
        """Back from the drill-down: the cursor goes to the symbol viewed last there (``n``/``N``)."""
        if symbol:
            self.jump_to(symbol)

    def hit_rate_job(self, symbol: str) -> Callable[[], Any]:
        """How the drill-down measures ``symbol``'s flags: on the history store when the monitor records
        (days to weeks of bars), else on the bars in memory, named for what they are."""
        from tui.model import hit_rates

        if self.history is not None and self.history.path.exists():
            return hit_rates.prepare_stored(self.history.path, symbol, self.params, self.store.venues)
        what = {"demo": "simulated history in memory", "replay": "bars replayed so far"}.get(
            self.mode, "bars in memory (recording off)" if self.stored.off else "bars in memory"
        )
        return hit_rates.prepare_memory(self.store, symbol, self.params, what)

    def stored_hit_rates_job(self, symbols: Sequence[str]) -> Callable[[], Any] | None:
        """How the alerts measure several symbols' flags together: on the history store, read a few
        symbols a pass (None when the monitor does not record: each is measured on its bars in memory)."""
        from tui.model import hit_rates

        if self.history is None or not self.history.path.exists():
            return None
        return hit_rates.prepare_stored_many(self.history.path, symbols, self.params, self.store.venues)


__all__ = ["PerptopApp"]
