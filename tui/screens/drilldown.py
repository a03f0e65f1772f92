"""The drill-down screen: one symbol in depth, pushed from the watchlist on Enter.

Provides ``DrilldownScreen``: charts of price with open interest, funding per venue (normalised to 8 h),
the long/short ratio and liquidations; every flag on the symbol with its reason, cross-venue and per venue;
and a timeline of when each flag was on across the window. Keys ``1``-``4`` pick the window (1h, 4h, 24h,
7d), ``n``/``p`` the next or previous symbol, Esc goes back.

It follows live data cheaply: one screen-level timer looks at ``store.versions`` for this symbol and
re-renders (plotext, evaluation) only when they moved, at most once per ``refresh_s``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer, Static
from textual_plotext.plot import Plot

from feeds.messages import ALL
from signals.columns import COLUMNS, Col
from signals.evaluate import LatestResult, evaluate, evaluate_latest, needed_bars
from signals.formats import fmt_funding, fmt_price
from signals.params import SignalParams, n_bars
from signals.times import HOUR_MS, MINUTE_MS, Clock, utc_text, wall_ms
from tui.model.bars import BarStore
from tui.model.hit_rates import HORIZON, HitRates
from tui.screens.drilldown_flags import flags_content, funding_lines
from tui.widgets.charts import (
    ChartPanel,
    Palette,
    TimeAxis,
    plot_funding,
    plot_liquidations,
    plot_long_short,
    plot_price_oi,
)
from tui.widgets.timeline import FlagHistory, FlagTimeline


@dataclass(frozen=True)
class Window:
    """A chart window: its key, label, span and the liquidation bucket that keeps bars readable."""

    key: str
    label: str
    hours: float
    bucket_ms: int


WINDOWS: tuple[Window, ...] = (
    Window("1", "1h", 1.0, 5 * MINUTE_MS),
    Window("2", "4h", 4.0, 15 * MINUTE_MS),
    Window("3", "24h", 24.0, HOUR_MS),
    Window("4", "7d", 168.0, 4 * HOUR_MS),
)
DEFAULT_WINDOW = "3"


def _step_label(step_ms: int) -> str:
    minutes = step_ms / MINUTE_MS
    return f"{minutes:g}m" if minutes < 60 else f"{minutes / 60:g}h"


CHART_REFRESH_S = 30.0
REMEASURE_S = 600.0  # hit rates on days of history move little within ten minutes


class DrilldownScreen(Screen[None]):
    """One symbol in depth: charts, flags with reasons, and a flag timeline."""

    DEFAULT_CSS = """
    DrilldownScreen {
        layout: vertical;
    }
    DrilldownScreen #dd-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    DrilldownScreen #dd-body {
        height: 1fr;
    }
    DrilldownScreen #dd-charts {
        width: 2fr;
        grid-size: 2 2;
    }
    DrilldownScreen #dd-flags {
        width: 1fr;
        min-width: 40;
        border: round $muted;
        padding: 0 1;
    }
    DrilldownScreen #dd-timeline {
        border: round $muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "window('1')", "1h"),
        Binding("2", "window('2')", "4h"),
        Binding("3", "window('3')", "24h"),
        Binding("4", "window('4')", "7d"),
        Binding("n", "next_symbol", "next"),
        Binding("p", "previous_symbol", "previous"),
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
    ) -> None:
        """Create the screen.

        Args:
            store: the bar store the feeds write to.
            symbol: the symbol to show first.
            symbols: the watchlist order, for ``n``/``p``.
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
        if mark is not None and store.current_time is not None:
            back_h = (store.current_time + store.step_ms - mark[0]) / HOUR_MS
            self.window = next((w for w in WINDOWS if w.hours >= back_h), WINDOWS[-1])
        self.measured: dict[str, tuple[float, HitRates | None]] = {}  # symbol -> (monotonic time, result)
        self._seen: tuple[int, int, int | None] | None = None
        self._charts_at = 0.0  # monotonic time of the last full render

    def compose(self) -> ComposeResult:
        """Title, charts beside the flag list, the timeline, and the key footer."""
        yield Static(id="dd-title")
        with Horizontal(id="dd-body"):
            with Grid(id="dd-charts"):
                yield ChartPanel("price (left) · OI USD (right)", id="chart-price")
                yield ChartPanel("funding 8h-equivalent % per venue", id="chart-funding")
                yield ChartPanel("long/short accounts ratio per venue", id="chart-ls")
                # Live, Binance pushes at most one liquidation per symbol per second and OKX says its feed
                # is not the total: the sums are what was observed, a lower bound.
                observed = " (observed: a lower bound)" if self.observed_liquidations else ""
                yield ChartPanel(f"liquidations USD{observed}: longs ▲ shorts ▼", id="chart-liq")
            with VerticalScroll(id="dd-flags"):
                yield Static(id="dd-flag-list")
        yield FlagTimeline(id="dd-timeline")
        yield Footer()

    def on_mount(self) -> None:
        """Render once, then watch the store at the live cadence."""
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.render_all()
        self.set_interval(self.refresh_s, self._poll)

    # ---- actions -----------------------------------------------------------------------------

    def action_window(self, key: str) -> None:
        """Show the window bound to ``key`` (1h, 4h, 24h, 7d)."""
        self.window = next(w for w in WINDOWS if w.key == key)
        self.render_all()

    def action_next_symbol(self) -> None:
        """Move to the next symbol of the watchlist, wrapping around."""
        self._step_symbol(1)

    def action_previous_symbol(self) -> None:
        """Move to the previous symbol of the watchlist, wrapping around."""
        self._step_symbol(-1)

    def action_back(self) -> None:
        """Return to the screen below."""
        self.app.pop_screen()

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
            self._render_timeline(axis, series, n)

    def _render_empty(self) -> None:
        self.query_one("#dd-title", Static).update(
            f"{self.symbol}  ·  window {self.window.label}  ·  no bars yet"
        )
        for chart in self.query(ChartPanel):
            chart.draw(lambda plt: "no bars for this symbol yet")
        self.query_one("#dd-flag-list", Static).update(flags_content(None, []))
        self.query_one(FlagTimeline).show(None)

    def _render_title(self, series: np.ndarray) -> None:
        position = self.symbols.index(self.symbol) + 1 if self.symbol in self.symbols else 0
        last = series[-1]
        when = utc_text(last[Col.TIME], suffix="")
        event = ""
        if self.mark is not None and self.mark[1].startswith(self.symbol):
            event = f"  ·  │ marks {self.mark[1]} at {utc_text(self.mark[0], suffix='')} UTC"
        self.query_one("#dd-title", Static).update(
            f"{self.symbol}  {position}/{len(self.symbols)}  ·  window {self.window.label}"
            f"  ·  {_step_label(self.store.step_ms)} bars  ·  last bar {when} UTC"
            f"  ·  price {fmt_price(last[Col.PRICE])}  ·  funding 8h {fmt_funding(last[Col.FUNDING])}{event}"
        )

    def _render_charts(
        self, axis: TimeAxis, recent: np.ndarray, venues: Mapping[str, np.ndarray], pal: Palette
    ) -> None:
        bucket = max(self.window.bucket_ms, self.store.step_ms)
        guides = (self.params.ls_short, self.params.ls_long)
        mark = self.mark[0] if self.mark is not None and self.mark[0] >= axis.start_ms else None

        def marked(plot: Callable[[Plot], str | None]) -> Callable[[Plot], str | None]:
            def draw(plt: Plot) -> str | None:
                why = plot(plt)
                if why is None and mark is not None:  # the event's bar, as a vertical line
                    plt.vline(float(axis.x(np.array([mark]))[0]), color=pal.muted)
                return why

            return draw

        self.query_one("#chart-price", ChartPanel).draw(
            marked(lambda plt: plot_price_oi(plt, axis, recent, pal)), "UTC"
        )
        self.query_one("#chart-funding", ChartPanel).draw(
            marked(lambda plt: plot_funding(plt, axis, venues, pal)), "UTC · funding × 8 / interval h"
        )
        self.query_one("#chart-ls", ChartPanel).draw(
            marked(lambda plt: plot_long_short(plt, axis, venues, pal, guides)),
            "UTC · guides: squeeze thresholds",
        )
        self.query_one("#chart-liq", ChartPanel).draw(
            marked(lambda plt: plot_liquidations(plt, axis, recent, bucket, pal)),
            f"UTC · per {_step_label(bucket)}",
        )

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
        window = store.tail(need)[:, s]
        results = evaluate_latest(window, self.params, store.step_ms)
        empty = np.isnan(window[:, store.venue_index(ALL)]).all(axis=0)
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
