"""How the drill-down screen arranges its charts, flag list and timeline for the terminal's size.

Provides ``layout_for`` (the terminal size -> a ``Layout``), ``visible_charts`` / ``show_charts`` (which of
the five charts a layout shows, from the one chosen with ``c`` / ``C``), ``apply_layout`` (the classes and
sizes the screen's stylesheet, also here, switches on) and ``title_lines`` (the title wrapped to the
width). Breakpoints, chosen on renders of the demo:

- The flag list stands beside the charts from 110 columns (it needs 40; a chart under 70 columns beside
  it is cramped), else under them.
- Two charts side by side from 120 columns: each keeps 40 columns, where four time labels and the y
  labels still fit; narrower, one chart takes the width.
- Two rows of charts from 45 rows: the timeline takes 17 (a strip per flag, the axis, its border), the
  title and footer 2, and each chart keeps 13 (a legend line and four labelled value ticks); shorter, one
  row. Three rows from 58, where all five charts are on screen at once, the last one across both columns.
- The liquidation clusters (a fixed height) sit under the flag list, in the same column.
- Under 32 rows, or under 110 columns, the screen does not fit at once: one chart at a time across the
  width (``c`` the next), and the page scrolls: the chart (with the flag list beside it from 110
  columns, under it below), then the timeline, each at its full height, measured hit rates included.
  At 80x24 that is a 19-row chart with the flag list starting under it, rather than four 20x5 charts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

from tui.widgets.charts import ChartPanel

CHART_COUNT = 5
FLAGS_BESIDE_MIN_WIDTH = 110
TWO_COLUMNS_MIN_WIDTH = 120
TWO_ROWS_MIN_HEIGHT = 45
THREE_ROWS_MIN_HEIGHT = 58  # 3 x 13 chart rows + 17 for the timeline + 2
FIT_MIN_HEIGHT = 32  # under this the timeline (17 rows) would leave the charts too little: scroll
SCROLL_PEEK = 4  # rows of the next part left in sight under a scrolled chart: there is more below
CHART_HEIGHTS = (12, 24)  # a chart on a scrolling page: no shorter than reads, no taller than helps


@dataclass(frozen=True)
class Layout:
    """One arrangement of the drill-down.

    Attributes:
        columns: chart grid columns (1 or 2).
        rows: chart grid rows (1 or 2).
        flags_beside: the flag list stands right of the charts (else under them).
        scroll: the page scrolls, and ``chart_height`` fixes the charts' height; else everything fits
            the screen and the charts take the room left.
        chart_height: rows of the chart area on a scrolling page.
    """

    columns: int
    rows: int
    flags_beside: bool
    scroll: bool
    chart_height: int = 0

    @property
    def shown(self) -> int:
        """How many charts are on screen at once (1, 2, 4, or all five)."""
        return min(CHART_COUNT, self.columns * self.rows)


def layout_for(size: Size) -> Layout:
    """The arrangement for a terminal of ``size`` (see the module docstring for the breakpoints)."""
    beside = size.width >= FLAGS_BESIDE_MIN_WIDTH
    if beside and size.height >= FIT_MIN_HEIGHT:
        columns = 2 if size.width >= TWO_COLUMNS_MIN_WIDTH else 1
        rows = 3 if size.height >= THREE_ROWS_MIN_HEIGHT else 2 if size.height >= TWO_ROWS_MIN_HEIGHT else 1
        if columns == 1:
            rows = min(rows, 2)  # one chart per row: three rows of one would still leave charts off screen
        return Layout(columns, rows, flags_beside=True, scroll=False)
    lo, hi = CHART_HEIGHTS
    height = min(hi, max(lo, size.height - 2 - SCROLL_PEEK))  # 2: the title and the footer
    return Layout(1, 1, flags_beside=beside, scroll=True, chart_height=height)


def visible_charts(first: int, layout: Layout) -> list[int]:
    """Indices of the charts on screen: ``layout.shown`` of them, a page that holds chart ``first``."""
    if layout.shown >= CHART_COUNT:
        return list(range(CHART_COUNT))
    start = first - first % layout.shown
    return [(start + k) % CHART_COUNT for k in range(layout.shown)]


def apply_layout(screen: Screen[Any], layout: Layout) -> None:
    """Set the classes the stylesheet switches on, and the sizes that depend on the terminal's."""
    screen.set_class(layout.scroll, "-scroll")
    screen.set_class(not layout.flags_beside, "-stacked")
    charts = screen.query_one("#dd-charts", Widget)
    charts.styles.grid_size_columns = layout.columns
    charts.styles.grid_size_rows = layout.rows
    charts.styles.height = layout.chart_height if layout.scroll else "1fr"
    # All five in a grid of six cells: the last one takes the row's two cells rather than leave one empty.
    spread = layout.columns * layout.rows == CHART_COUNT + 1
    for k, chart in enumerate(screen.query(ChartPanel)):
        chart.styles.column_span = layout.columns if spread and k == CHART_COUNT - 1 else 1
    # Beside the charts on a scrolling page, the flag list is as tall as they are and scrolls itself.
    flags = screen.query_one("#dd-flags", Widget)
    flags.styles.height = layout.chart_height if layout.scroll and layout.flags_beside else None


def show_charts(charts: Sequence[ChartPanel], names: Mapping[str, str], first: int, layout: Layout) -> None:
    """Show the charts of the page that holds chart ``first``, hide the others, and number them in
    their titles (``1/4``) where not all are on screen."""
    shown = visible_charts(first, layout)
    for k, chart in enumerate(charts):
        chart.set_class(k not in shown, "-off-screen")
        count = f"  {k + 1}/{CHART_COUNT}" if layout.shown < CHART_COUNT else ""
        chart.border_title = f"{names[chart.id or '']}{count}"


def title_lines(parts: list[str], width: int, sep: str = "  ·  ") -> str:
    """``parts`` joined by ``sep``, on as many lines of ``width`` as they need, never cut within a part."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return "\n".join(lines)


STYLESHEET = """
DrilldownScreen {
    layout: vertical;
}
DrilldownScreen #dd-title {
    height: auto;
    padding: 0 1;
    background: $panel;
    color: $foreground;
    text-style: bold;
}
DrilldownScreen #dd-page {
    height: 1fr;
    overflow-y: hidden;
    scrollbar-size-vertical: 1;
}
DrilldownScreen #dd-body {
    height: 1fr;
    layout: horizontal;
}
DrilldownScreen #dd-charts {
    width: 2fr;
    height: 1fr;
    grid-size: 2 2;
}
DrilldownScreen #dd-side {
    width: 1fr;
    min-width: 40;
}
DrilldownScreen #dd-flags {
    height: 1fr;
    border: round $muted;
    padding: 0 1;
}
DrilldownScreen #dd-timeline {
    border: round $muted;
}
DrilldownScreen ChartPanel.-off-screen {
    display: none;
}
/* A scrolling page: every part keeps its own height and the page scrolls past them. */
DrilldownScreen.-scroll #dd-page {
    overflow-y: auto;
}
DrilldownScreen.-scroll #dd-body, DrilldownScreen.-scroll #dd-side {
    height: auto;
}
DrilldownScreen.-stacked #dd-body {
    layout: vertical;
}
DrilldownScreen.-stacked #dd-charts {
    width: 1fr;
}
DrilldownScreen.-stacked #dd-side {
    width: 1fr;
    min-width: 0;
}
DrilldownScreen.-stacked #dd-flags {
    height: auto;
}
"""
