"""The drill-down screen: one symbol in depth, pushed from the watchlist on Enter.

Provides ``DrilldownScreen``: charts of price with open interest, funding per venue (normalised to 8 h),
the long/short ratio, liquidations, and taker flow (cumulative buy - sell, perp and spot); every flag on
the symbol with its reason, cross-venue and per venue; the observed liquidations of the window clustered
by price (from the app's liquidation tape, under the flag list); and a timeline of when each flag was on
across the window. Keys ``1``-``4`` pick the window (1h, 4h, 24h, 7d), ``n``/``N`` the next or previous
symbol, ``c``/``C`` the next or previous charts where the screen shows fewer than five, Esc goes back.
How the parts are arranged follows the terminal's size
(``tui.screens.drilldown_layout``), again on every resize.

It follows live data cheaply: one screen-level timer looks at ``store.versions`` for this symbol and
re-renders (plotext, evaluation) only when they moved, at most once per ``refresh_s``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import ClassVar

import numpy as np
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Grid, Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer, Static

from feeds.messages import ALL
from signals.columns import COLUMNS, Col
from signals.evaluate import LatestResult, evaluate, evaluate_latest, needed_bars
from signals.formats import fmt_funding, fmt_price
from signals.params import SignalParams, n_bars
from signals.times import HOUR_MS, Clock, utc_text, wall_ms
from tui.model.bars import BarStore
from tui.model.hit_rates import HORIZON, HitRates
from tui.model.liq_tape import LiqTape
from tui.screens.drilldown_charts import DEFAULT_WINDOW, WINDOWS, chart_names, draw_charts, step_label
from tui.screens.drilldown_flags import flags_content, funding_lines
from tui.screens.drilldown_layout import (
    CHART_COUNT,
    STYLESHEET,
    Layout,
    apply_layout,
    layout_for,
    show_charts,
    title_lines,
)
from tui.widgets.chart_axes import TimeAxis
from tui.widgets.charts import ChartPanel, Figure, Palette
from tui.widgets.liq_clusters import LiqClusters, clusters_of
from tui.widgets.timeline import FlagHistory, FlagTimeline

CHART_REFRESH_S = 30.0
REMEASURE_S = 600.0  # hit rates on days of history move little within ten minutes


class DrilldownScreen(Screen[str | None]):
    """One symbol in depth: charts, flags with reasons, and a flag timeline.

    Esc dismisses the screen with the symbol shown last as its result (``n`` / ``N`` move between
    symbols), so the screen below can put its cursor on that symbol's row.
    """

    DEFAULT_CSS = STYLESHEET

    BINDINGS: ClassVar[list[BindingType]] = [
        # One footer entry for the four windows: at 80 columns the footer has room for every key then.
        Binding("1", "window('1')", "window", key_display="1-4"),
        Binding("2", "window('2')", "4h", show=False),
        Binding("3", "window('3')", "24h", show=False),
        Binding("4", "window('4')", "7d", show=False),
        Binding("n", "next_symbol", "next"),
        # N, not p: on the watchlist p pauses, and a key should not mean two things a keypress apart.
        Binding("N", "previous_symbol", "previous"),
        Binding("c", "chart(1)", "charts"),
        Binding("C", "chart(-1)", "charts back", show=False),
        Binding("escape", "back", "back"),
    ]

    def __init__(
        self,
        store: BarStore,
        symbol: str,
        symbols: list[str],
        params: SignalParams,
        *,
        window: str = DEFAULT_WINDOW,
        hit_rates: Mapping[str, str] | None = None,
        refresh_s: float = 5.0,
        measure: Callable[[str], Callable[[], HitRates]] | None = None,
        clock: Clock = wall_ms,
        observed_liquidations: bool = False,
        mark: tuple[int, str] | None = None,
        liquidations: LiqTape | None = None,
    ) -> None:
        """Create the screen.

        Args:
            store: the bar store the feeds write to.
            symbol: the symbol to show first.
            symbols: the watchlist order, for ``n``/``N``.
            params: signal thresholds.
            window: key of the initial window (``"1"``-``"4"``).
            hit_rates: flag name -> measured hit rate from a backtest, already formatted; absent flags
                show none.
            refresh_s: the least time between two live re-renders.
            measure: symbol -> a callable that scores its flags on its history (``tui.model.hit_rates``);
                called on the event loop, the callable it returns runs on a worker thread. Each
                symbol is measured when first shown and again every ``REMEASURE_S``.
            clock: epoch ms (the app's, frozen in tests), for the funding countdowns.
            observed_liquidations: the liquidation figures are what the streams delivered, a lower
                bound (live), and the chart says so.
            mark: (bar time, what happened) of an event to mark on the charts (from the event log): the
                first window shown is the shortest that holds it.
            liquidations: the app's liquidation tape, whose events of the symbol the clusters panel
                bins by price (None: no panel).
        """
        super().__init__()
        self.store = store
        self.symbol = symbol
        self.symbols = list(symbols) or [symbol]
        self.params = params
        self.window = next((w for w in WINDOWS if w.key == window), WINDOWS[2])
        self.hit_rates = hit_rates
        self.refresh_s = refresh_s
        self.measure = measure
        self.clock = clock
        self.observed_liquidations = observed_liquidations
        self.mark = mark
        self.liquidations = liquidations
        self._tape_seen = -1  # the tape's version the clusters last showed
        if mark is not None and store.current_time is not None:
            back_h = (store.current_time + store.step_ms - mark[0]) / HOUR_MS
            self.window = next((w for w in WINDOWS if w.hours >= back_h), WINDOWS[-1])
        self.measured: dict[str, tuple[float, HitRates | None]] = {}  # symbol -> (monotonic time, result)
        self._seen: tuple[int, int, int | None] | None = None
        self._charts_at = 0.0  # monotonic time of the last full render
        self.layout_now: Layout | None = None  # set from the terminal's size on mount and every resize
        self.first_chart = 0  # the chart ``c`` / ``C`` brought forward, where not all five fit

    def compose(self) -> ComposeResult:
        """Title; a page of the charts and flag list, then the timeline; the key footer."""
        yield Static(id="dd-title")
        with VerticalScroll(id="dd-page"):
            with Container(id="dd-body"):
                with Grid(id="dd-charts"):
                    for chart_id, name in chart_names(self.observed_liquidations).items():
                        yield ChartPanel(name, id=chart_id)
                with Vertical(id="dd-side"):
                    with VerticalScroll(id="dd-flags"):
                        yield Static(id="dd-flag-list")
                    clusters = LiqClusters(id="dd-clusters")
                    clusters.display = self.liquidations is not None
                    yield clusters
            yield FlagTimeline(id="dd-timeline")
        yield Footer()

    def on_mount(self) -> None:
        """Arrange for the terminal's size, render once, then watch the store at the live cadence."""
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._arrange(self.app.size)
        self.render_all()
        self.set_interval(self.refresh_s, self._poll)

    def on_resize(self, event: events.Resize) -> None:
        """Arrange again for the new size (the charts lay themselves out again as they repaint); Textual
        sends this too when the screen comes back on top of a terminal resized meanwhile."""
        self._arrange(event.size)

    def _arrange(self, size: Size) -> None:
        layout = layout_for(size)
        changed = layout != self.layout_now
        self.layout_now = layout
        apply_layout(self, layout)
        self._show_charts()
        if self.store.count and self.store.symbol_index(self.symbol) is not None:
            self._render_title(self.store.series(self.symbol, ALL))  # wrapped to the new width
        if changed:
            self.refresh_bindings()  # c / C only where some charts are off screen
            # Keys scroll what overflows: the page when it scrolls, else the flag list.
            self.query_one("#dd-page" if layout.scroll else "#dd-flags").focus()

    def _show_charts(self) -> None:
        layout = self.layout_now or layout_for(self.app.size)
        show_charts(
            list(self.query(ChartPanel)), chart_names(self.observed_liquidations), self.first_chart, layout
        )

    # ---- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``c`` / ``C`` only where some charts are off screen (and off the footer otherwise)."""
        if action == "chart":
            return self.layout_now is None or self.layout_now.shown < CHART_COUNT
        return True

    def action_window(self, key: str) -> None:
        """Show the window bound to ``key`` (1h, 4h, 24h, 7d)."""
        self.window = next(w for w in WINDOWS if w.key == key)
        self.render_all()

    def action_chart(self, step: int) -> None:
        """Bring the next (``step`` 1) or previous (-1) charts on screen, as many as the layout shows."""
        shown = self.layout_now.shown if self.layout_now is not None else 1
        first = self.first_chart - self.first_chart % shown
        self.first_chart = (first + step * shown) % CHART_COUNT
        self._show_charts()

    def action_next_symbol(self) -> None:
        """Move to the next symbol of the watchlist, wrapping around."""
        self._step_symbol(1)

    def action_previous_symbol(self) -> None:
        """Move to the previous symbol of the watchlist, wrapping around."""
        self._step_symbol(-1)

    def action_back(self) -> None:
        """Return to the screen below, with the symbol shown last as the screen's result."""
        self.dismiss(self.symbol)

    def _step_symbol(self, delta: int) -> None:
        i = self.symbols.index(self.symbol) if self.symbol in self.symbols else -delta
        self.symbol = self.symbols[(i + delta) % len(self.symbols)]
        self.render_all()

    # ---- live --------------------------------------------------------------------------------

    def _version(self) -> tuple[int, int, int | None]:
        s = self.store.symbol_index(self.symbol)
        total = -1 if s is None else int(self.store.versions[s].sum())
        return (-1 if s is None else s, total, self.store.current_time)

    def _poll(self) -> None:
        """The screen's timer: a new bar redraws everything; within a bar, the title and flags follow
        every tick and the charts and timeline at most every CHART_REFRESH_S (plotext costs 50-150 ms,
        which every 5 s was 1-3 % of a core for a drill-down left open)."""
        if not self.is_current:
            return
        seen, now = self._seen, self._version()
        if now == seen:
            tape = self.liquidations
            if tape is not None and tape.version != self._tape_seen and self.store.count:
                self._render_clusters(self.store.series(self.symbol, ALL))  # new events within a bar
            return
        new_bar_or_symbol = seen is None or now[0] != seen[0] or now[2] != seen[2]
        if new_bar_or_symbol or time.monotonic() - self._charts_at >= CHART_REFRESH_S:
            self.render_all()
            return
        self._seen = now
        s = self.store.symbol_index(self.symbol)
        if s is not None and self.store.count:
            with self.app.batch_update():
                self._render_title(self.store.series(self.symbol, ALL))
                self._render_flags(s)

    def _theme_changed(self, theme: Theme) -> None:
        self.render_all()

    # ---- rendering ---------------------------------------------------------------------------

    def render_all(self) -> None:
        """Re-render the title, charts, flags and timeline for the current symbol and window."""
        self._seen = self._version()
        self._charts_at = time.monotonic()
        store, s = self.store, self.store.symbol_index(self.symbol)
        pal = Palette.from_variables(self.app.theme_variables)
        n = n_bars(self.window.hours, store.step_ms)
        with self.app.batch_update():
            if s is None or store.count == 0 or store.current_time is None:
                self._render_empty()
                return
            end = store.current_time + store.step_ms
            axis = TimeAxis.spanning(end - self.window.hours * HOUR_MS, end)
            series = store.series(self.symbol, ALL)
            recent = series[-n:]
            self._render_title(series)
            venues = {v: store.series(self.symbol, v)[-n:] for v in store.venues}
            self._render_charts(axis, recent, venues, pal)
            self._render_flags(s)
            self._render_clusters(series)
            self._render_timeline(axis, series, n)

    def _render_empty(self) -> None:
        self.query_one("#dd-title", Static).update(
            f"{self.symbol}  ·  window {self.window.label}  ·  no bars yet"
        )
        for chart in self.query(ChartPanel):
            chart.draw(lambda plt, size: Figure(empty="no bars for this symbol yet"))
        self.query_one("#dd-flag-list", Static).update(flags_content(None, []))
        self.query_one(LiqClusters).show(None)
        self.query_one(FlagTimeline).show(None)

    def _render_title(self, series: np.ndarray) -> None:
        position = self.symbols.index(self.symbol) + 1 if self.symbol in self.symbols else 0
        last = series[-1]
        when = utc_text(last[Col.TIME], suffix="")
        event = ""
        if self.mark is not None and self.mark[1].startswith(self.symbol):
            event = f"│ marks {self.mark[1]} at {utc_text(self.mark[0], suffix='')} UTC"
        parts = [
            f"{self.symbol}  {position}/{len(self.symbols)}",
            f"window {self.window.label}",
            f"{step_label(self.store.step_ms)} bars",
            f"last bar {when} UTC",
            f"price {fmt_price(last[Col.PRICE])}",
            f"funding 8h {fmt_funding(last[Col.FUNDING])}",
        ]
        if event:
            parts.append(event)
        # Narrow terminals get the title on two lines rather than the price and funding cut off.
        self.query_one("#dd-title", Static).update(title_lines(parts, self.app.size.width - 2))

    def _render_charts(
        self, axis: TimeAxis, recent: np.ndarray, venues: Mapping[str, np.ndarray], pal: Palette
    ) -> None:
        mark = self.mark[0] if self.mark is not None and self.mark[0] >= axis.start_ms else None
        draw_charts(
            {chart.id or "": chart for chart in self.query(ChartPanel)},
            axis,
            recent,
            venues,
            pal,
            bucket_ms=max(self.window.bucket_ms, self.store.step_ms),
            guides=(self.params.ls_short, self.params.ls_long),
            mark_ms=mark,
        )

    def _render_clusters(self, series: np.ndarray) -> None:
        """The symbol's observed liquidations of the window by price, the latest price marked."""
        tape = self.liquidations
        if tape is None or self.store.current_time is None or not len(series):
            return
        self._tape_seen = tape.version
        end = self.store.current_time + self.store.step_ms
        start = end - int(self.window.hours * HOUR_MS)
        data = clusters_of(tape, self.symbol, start, end, float(series[-1][Col.PRICE]), self.window.label)
        self.query_one(LiqClusters).show(data)

    def _measured_for(self, symbol: str) -> HitRates | None:
        """The symbol's hit rates if measured; starts a measurement when there is none or it is old."""
        if self.measure is None:
            return None
        at, result = self.measured.get(symbol, (None, None))
        if at is None or time.monotonic() - at >= REMEASURE_S:
            self.measured[symbol] = (time.monotonic(), result)  # one measurement at a time per symbol
            job = self.measure(symbol)
            self.run_worker(
                lambda: self._measure(symbol, job),
                thread=True,
                group="hit-rates",
                exit_on_error=False,
                name=f"hit rates {symbol}",
            )
        return result

    def _measure(self, symbol: str, job: Callable[[], HitRates]) -> None:
        """Worker thread: score the symbol's history, then show it."""
        try:
            result = job()
        except Exception as exc:
            result = HitRates(symbol, f"history not readable ({exc})", HORIZON[0])
        self.app.call_from_thread(self._measured, symbol, result)

    def _measured(self, symbol: str, result: HitRates) -> None:
        self.measured[symbol] = (time.monotonic(), result)
        s = self.store.symbol_index(self.symbol)
        if symbol == self.symbol and s is not None and self.store.count and self.is_attached:
            self._render_flags(s)

    def _render_flags(self, s: int) -> None:
        store = self.store
        need = min(store.count, needed_bars(self.params, store.step_ms))
        older, newer = store.tail_split(need)  # this symbol's rows of each tier: not a week of everyone's
        window, before = newer[:, s], None if older is None else older[:, s]
        results = evaluate_latest(window, self.params, store.step_ms, older=before)
        empty = np.isnan(window[:, store.venue_index(ALL)]).all(axis=0)
        if before is not None:
            empty &= np.isnan(before[:, store.venue_index(ALL)]).all(axis=0)
        absent = {c for k, c in enumerate(COLUMNS) if empty[k]}
        has_bars = ~np.isnan(store.tail(1)[0, s, :, Col.PRICE])
        per_venue: list[tuple[str, LatestResult | None]] = [
            (v, results[k] if has_bars[k] else None) for k, v in enumerate(store.venues)
        ]
        overall = results[store.venue_index(ALL)] if has_bars[-1] else None
        latest = store.latest()[s]
        rows = [
            (
                v,
                float(latest[k, Col.FUNDING]),
                float(latest[k, Col.FUNDING_INTERVAL_H]),
                int(store.next_funding_ms[s, k]),
            )
            for k, v in enumerate(store.venues)
        ]
        funding = funding_lines(rows, self.clock())
        measured = self._measured_for(self.symbol)
        rates = dict(self.hit_rates or {})
        if measured is not None:
            rates.update(measured.rates)
        pending = self.measure is not None and measured is None
        self.query_one("#dd-flag-list", Static).update(
            flags_content(overall, per_venue, rates, funding, measured, pending=pending, absent=absent)
        )

    def _render_timeline(self, axis: TimeAxis, series: np.ndarray, n: int) -> None:
        # Evaluate the window plus the warm-up its windows need, not the whole store.
        warm = needed_bars(self.params, self.store.step_ms)
        table = evaluate(series[-(n + warm) :], self.params, self.store.step_ms)
        shown = min(n, len(series))
        pad = n - shown  # bars before the store's first: shown as missing

        def tail(a: np.ndarray, fill: object) -> np.ndarray:
            a = np.asarray(a)[-shown:]
            return np.concatenate([np.full(pad, fill, dtype=a.dtype), a]) if pad else a

        self.query_one(FlagTimeline).show(
            FlagHistory(
                axis=axis,
                fired={k: tail(v, False) for k, v in table.fired.items()},
                available={
                    k: tail(np.full(len(v), bool(table.available[k])), False) for k, v in table.fired.items()
                },
                direction={k: tail(v, 0) for k, v in table.direction.items()},
            )
        )
