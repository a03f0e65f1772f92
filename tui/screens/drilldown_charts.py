"""The drill-down's five charts: their windows, names, and what each draws from the symbol's bars.

Provides ``Window`` / ``WINDOWS`` (the keys ``1``-``4``: span and liquidation bucket), ``chart_names``
(chart id -> the name in its border) and ``draw_charts``, which hands each ``ChartPanel`` the plot function
of its chart over the current window, with the marked event's bar as a vertical line where there is one.
The panels run the functions when they are next painted, at their own size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from textual.geometry import Size
from textual_plotext.plot import Plot

from signals.times import HOUR_MS, MINUTE_MS
from tui.widgets.chart_axes import TimeAxis
from tui.widgets.charts import (
    ChartPanel,
    Figure,
    Palette,
    PlotFn,
    plot_funding,
    plot_liquidations,
    plot_long_short,
    plot_price_oi,
)
from tui.widgets.flow_chart import plot_taker_flow


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


def step_label(step_ms: int) -> str:
    """A bar or bucket length as ``5m`` or ``4h``."""
    minutes = step_ms / MINUTE_MS
    return f"{minutes:g}m" if minutes < 60 else f"{minutes / 60:g}h"


def chart_names(observed_liquidations: bool) -> dict[str, str]:
    """Chart id -> its name, in the order the charts are laid out and cycled with ``c``."""
    # Live, Binance pushes at most one liquidation per symbol per second and OKX says its feed is not
    # the total: the sums are what was observed, a lower bound.
    observed = " (observed: a lower bound)" if observed_liquidations else ""
    return {
        "chart-price": "price and open interest",
        "chart-funding": "funding, 8h-equivalent %",
        "chart-ls": "long/short accounts ratio",
        "chart-liq": f"liquidations USD{observed}",
        "chart-flow": "taker flow: cumulative buy - sell USD",
    }


def draw_charts(
    panels: Mapping[str, ChartPanel],
    axis: TimeAxis,
    recent: np.ndarray,
    venues: Mapping[str, np.ndarray],
    pal: Palette,
    *,
    bucket_ms: int,
    guides: Sequence[float],
    mark_ms: float | None,
) -> None:
    """Give every chart its plot over ``axis``.

    Args:
        panels: chart id (as in ``chart_names``) -> its panel.
        axis: the window's time axis.
        recent: the cross-venue bars of the window.
        venues: venue -> its bars of the window.
        pal: the colours.
        bucket_ms: the liquidation bucket.
        guides: the long/short squeeze thresholds.
        mark_ms: the bar time of an event to mark, or None.
    """

    def marked(plot: PlotFn) -> PlotFn:
        def draw(plt: Plot, size: Size) -> Figure:
            figure = plot(plt, size)
            if figure.empty is None and mark_ms is not None:  # the event's bar, as a vertical line
                plt.vline(float(axis.x(np.array([mark_ms]))[0]), color=pal.muted)
            return figure

        return draw

    panels["chart-price"].draw(marked(lambda plt, size: plot_price_oi(plt, size, axis, recent, pal)), "UTC")
    panels["chart-funding"].draw(
        marked(lambda plt, size: plot_funding(plt, size, axis, venues, pal)), "UTC · funding × 8 / interval h"
    )
    panels["chart-ls"].draw(
        marked(lambda plt, size: plot_long_short(plt, size, axis, venues, pal, guides)), "UTC"
    )
    panels["chart-liq"].draw(
        marked(lambda plt, size: plot_liquidations(plt, size, axis, recent, bucket_ms, pal)),
        f"UTC · per {step_label(bucket_ms)}",
    )
    panels["chart-flow"].draw(
        marked(lambda plt, size: plot_taker_flow(plt, size, axis, recent, pal)),
        "UTC · from the window's start",
    )
