"""Plotext charts of the drill-down screen: price with open interest, funding, long/short, liquidations.

Provides ``ChartPanel`` (a ``PlotextPlot`` that lays its figure out again at every new size, keeps the
legend on a line of its own above the plot, and says "no data" or "too small" in one line rather than
drawing an empty or garbled box), the theme-derived ``Palette`` (plotext takes RGB tuples, so theme
variables are resolved here and every theme recolours the charts), and one pure ``plot_*`` function per
chart that draws onto a plotext figure of a given size and returns a ``Figure``: its legend keys, or why
there is nothing to draw. Ticks come from ``tui.widgets.chart_axes`` so that they fit that size. The
screen hands the functions over when data changed; plotext runs only for charts on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.color import Color, ColorParseError
from textual.geometry import Size
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from signals.columns import Col
from signals.features import funding8h
from tui.widgets.chart_axes import (
    Labeller,
    TimeAxis,
    fixed_labels,
    mirrored_usd_labels,
    pct_labels,
    usd_labels,
    y_ticks,
)

RGB = tuple[int, int, int]

# Variables the project's themes define, each with a stock Textual variable to fall back on so a bare
# Textual theme (or a theme that predates a variable) still gets distinct, theme-consistent colours.
_FALLBACK: dict[str, str] = {
    "up": "success",
    "down": "error",
    "neutral": "foreground",
    "muted": "foreground-muted",
    "flag-bull": "success",
    "flag-bear": "error",
    "flag-context": "warning",
}
_SERIES_VARIABLES = ("primary", "accent", "secondary", "warning", "foreground")
_DISTINCT = 60.0  # RGB distance under which two series colours read as one in a legend key


def _distinct(colours: Sequence[RGB]) -> tuple[RGB, ...]:
    """``colours`` without those too close to an earlier one (``dark`` has amber as accent and warning);
    all of them when that leaves fewer than two (``monochrome``: the legend order tells them apart)."""
    kept: list[RGB] = []
    for c in colours:
        if all(sum((a - b) ** 2 for a, b in zip(c, k, strict=True)) ** 0.5 >= _DISTINCT for k in kept):
            kept.append(c)
    return tuple(kept) if len(kept) >= 2 else tuple(colours)


def _rgb(variables: Mapping[str, str], name: str) -> RGB:
    value = (
        variables.get(name) or variables.get(_FALLBACK.get(name, ""), "") or variables.get("foreground", "")
    )
    try:
        color = Color.parse(value)
    except ColorParseError:  # an absent or unparsable value: plotext still needs some colour
        color = Color(128, 128, 128)
    return (color.r, color.g, color.b)


@dataclass(frozen=True)
class Palette:
    """Chart colours as RGB tuples, resolved from a theme's variables."""

    foreground: RGB
    muted: RGB
    up: RGB
    down: RGB
    series: tuple[RGB, ...]

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> Palette:
        """Build a palette from ``App.theme_variables`` (``up``, ``down``, ``muted``, ``primary``...)."""
        return cls(
            foreground=_rgb(variables, "foreground"),
            muted=_rgb(variables, "muted"),
            up=_rgb(variables, "up"),
            down=_rgb(variables, "down"),
            series=_distinct([_rgb(variables, v) for v in _SERIES_VARIABLES]),
        )


def bucket_sums(times_ms: np.ndarray, values: np.ndarray, bucket_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum a flow series into UTC-aligned buckets; NaN bars count as nothing.

    Args:
        times_ms: bar open times, ascending.
        values: the flow per bar (NaN where unknown).
        bucket_ms: the bucket length.

    Returns:
        The bucket start times and the sums, one per bucket that holds at least one bar.
    """
    if len(times_ms) == 0:
        return np.empty(0), np.empty(0)
    keys = np.floor(np.asarray(times_ms) / bucket_ms) * bucket_ms
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sums = np.add.reduceat(np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0), starts)
    return keys[starts], sums


MAX_POINTS = 360
"""Points per line at most: about two per terminal column of a wide chart. Plotext's cost grows with
points (a week of 5-minute bars on four venues took ~300 ms), while the picture cannot show more."""


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """The finite points of a line, thinned to ``MAX_POINTS`` keeping the latest point."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    stride = -(-len(y) // MAX_POINTS)
    if stride > 1:
        x, y = x[::-1][::stride][::-1], y[::-1][::stride][::-1]
    return x.tolist(), y.tolist()


@dataclass(frozen=True)
class Key:
    """One legend entry: the glyph drawn in the series' colour, then its name."""

    glyph: str
    name: str
    color: RGB


@dataclass(frozen=True)
class Figure:
    """What a ``plot_*`` function drew: its legend, or (``empty``) why there was nothing to draw."""

    keys: tuple[Key, ...] = ()
    empty: str | None = None


PlotFn = Callable[[Plot, Size], Figure]
"""Draws one chart onto a cleared figure of the given size (the plot's, legend row excluded)."""

LINE, BAR, GUIDE = "━", "█", "─"
MIN_PLOT = Size(24, 6)
"""The least plot that reads: three canvas rows between the frame lines, and one x label."""

_FRAME_COLUMNS = 2  # plotext boxes the canvas: one frame column each side
_FRAME_ROWS = 3  # top and bottom frame lines, and the row of x labels


def _axes(
    plt: Plot,
    size: Size,
    axis: TimeAxis,
    left: tuple[float, float, Labeller],
    right: tuple[float, float, Labeller] | None = None,
) -> None:
    """Set both value axes and the time axis of ``plt`` so every label fits ``size`` without touching.

    The y labels are chosen first: their width decides how many columns the canvas keeps, and that
    decides how many time labels fit under it.
    """
    rows = size.height - _FRAME_ROWS
    widths = {"left": 0, "right": 0}
    for side, spec in (("left", left), ("right", right)):
        if spec is None:
            continue
        lo, hi, labeller = spec
        ticks, labels = y_ticks(lo, hi, rows, labeller)
        if not ticks:
            continue
        widths[side] = max(len(label) for label in labels)
        top = max(ticks[-1], hi)
        bottom = min(ticks[0], lo)
        # plotext's type stub declares yside a number; the library takes "left" / "right".
        plt.ylim(bottom, top, yside=side)  # type: ignore[arg-type]
        plt.yticks(ticks, labels, yside=side)  # type: ignore[arg-type]
    plt.xlim(0.0, axis.width_min)
    canvas = size.width - _FRAME_COLUMNS - widths["left"] - widths["right"]
    xt, xl = axis.fit(canvas, widths["left"] + 1, widths["right"] + 1)  # + 1: the frame's column
    plt.xticks(xt, xl)


def plot_price_oi(plt: Plot, size: Size, axis: TimeAxis, bars: np.ndarray, pal: Palette) -> Figure:
    """Price (left axis) and open interest in USD (right axis) of a cross-venue series."""
    x = axis.x(bars[:, Col.TIME])
    px, py = _finite(x, bars[:, Col.PRICE])
    if not py:
        return Figure(empty="no price in this window")
    keys = [Key(LINE, "price", pal.foreground)]
    ox, oy = _finite(x, bars[:, Col.OI] * bars[:, Col.PRICE])
    right = None
    if oy:  # drawn first, so the price line stays on top where they cross
        plt.plot(ox, oy, color=pal.series[0], yside="right")
        keys.append(Key(LINE, "OI USD (right)", pal.series[0]))
        right = (min(oy), max(oy), usd_labels)
    plt.plot(px, py, color=pal.foreground)
    _axes(plt, size, axis, (min(py), max(py), fixed_labels), right)
    return Figure(tuple(keys))


def plot_per_venue(
    plt: Plot,
    size: Size,
    axis: TimeAxis,
    lines: Mapping[str, tuple[np.ndarray, np.ndarray]],
    pal: Palette,
    labeller: Labeller,
    guides: Sequence[float] = (),
    guide_name: str = "",
) -> Figure:
    """One line per venue (funding or long/short), with optional guide levels.

    Args:
        plt: the figure to draw on.
        size: the figure's size in cells.
        axis: the time axis.
        lines: venue -> (bar times, values); venues with no finite value are skipped.
        pal: the colours.
        labeller: formats the y tick labels.
        guides: levels drawn as muted horizontal lines when they fall near the data (thresholds, zero).
        guide_name: what the guides are, for the legend.
    """
    drawn: list[tuple[str, list[float], list[float]]] = []
    for venue, (t, y) in lines.items():
        vx, vy = _finite(axis.x(t), y)
        if vy:
            drawn.append((venue, vx, vy))
    if not drawn:
        return Figure(empty="no venue publishes it")
    lo = min(min(v) for _, _, v in drawn)
    hi = max(max(v) for _, _, v in drawn)
    margin = (hi - lo) * 0.25 or abs(hi) * 0.25 or 1e-6
    keys: list[Key] = []
    for k, (venue, vx, vy) in enumerate(drawn):
        color = pal.series[k % len(pal.series)]
        plt.plot(vx, vy, color=color)
        keys.append(Key(LINE, venue, color))
    shown = [g for g in guides if lo - margin <= g <= hi + margin]
    for g in shown:
        lo, hi = min(lo, g), max(hi, g)
        plt.horizontal_line(g, color=pal.muted)
    if shown and guide_name:
        keys.append(Key(GUIDE, guide_name, pal.muted))
    _axes(plt, size, axis, (lo, hi, labeller))
    return Figure(tuple(keys))


def plot_liquidations(
    plt: Plot, size: Size, axis: TimeAxis, bars: np.ndarray, bucket_ms: int, pal: Palette
) -> Figure:
    """Liquidated longs (up from zero) and shorts (down from zero) per bucket, in USD."""
    longs, shorts = bars[:, Col.LIQ_LONG], bars[:, Col.LIQ_SHORT]
    if np.isnan(longs).all() and np.isnan(shorts).all():
        return Figure(empty="no venue publishes liquidations")
    starts, long_sum = bucket_sums(bars[:, Col.TIME], longs, bucket_ms)
    _, short_sum = bucket_sums(bars[:, Col.TIME], shorts, bucket_ms)
    x = axis.x(starts + bucket_ms / 2).tolist()
    plt.bar(x, long_sum.tolist(), color=pal.down, minimum=0, reset_ticks=False)
    plt.bar(x, (-short_sum).tolist(), color=pal.up, minimum=0, reset_ticks=False)
    top = float(long_sum.max(initial=0.0))
    bottom = -float(short_sum.max(initial=0.0))
    if top == bottom == 0.0:
        top = 1.0  # nothing liquidated: still show a readable zero line
    # After the bars: plotext's bar() would otherwise relabel the x axis.
    _axes(plt, size, axis, (bottom, top, mirrored_usd_labels))
    return Figure((Key(BAR, "longs ▲", pal.down), Key(BAR, "shorts ▼", pal.up)))


def plot_funding(
    plt: Plot, size: Size, axis: TimeAxis, series: Mapping[str, np.ndarray], pal: Palette
) -> Figure:
    """Funding per venue normalised to 8 h, in percent, so 8h/4h/1h venues compare.

    Args:
        plt: the figure to draw on.
        size: the figure's size in cells.
        axis: the time axis.
        series: venue -> its bars in the window.
        pal: the colours.
    """
    lines = {
        v: (b[:, Col.TIME], funding8h(b[:, Col.FUNDING], b[:, Col.FUNDING_INTERVAL_H]) * 100.0)
        for v, b in series.items()
    }
    return plot_per_venue(plt, size, axis, lines, pal, pct_labels, guides=(0.0,))


def plot_long_short(
    plt: Plot,
    size: Size,
    axis: TimeAxis,
    series: Mapping[str, np.ndarray],
    pal: Palette,
    guides: Sequence[float],
) -> Figure:
    """Long/short accounts ratio per venue, with the squeeze thresholds as guides."""
    lines = {v: (b[:, Col.TIME], b[:, Col.LS_RATIO]) for v, b in series.items()}
    return plot_per_venue(
        plt, size, axis, lines, pal, fixed_labels, guides=guides, guide_name="squeeze levels"
    )


LEGEND_LINES = 2
"""Legend lines at most: four long venue names wrap once in a 40-column chart rather than being cut."""


def legend_lines(keys: Sequence[Key], width: int) -> list[Text]:
    """The legend: each key's glyph in its colour and its name, on as few lines of ``width`` as it takes
    (``LEGEND_LINES`` at most, the last cut with an ellipsis), never splitting a key."""
    lines = [Text(no_wrap=True, overflow="ellipsis")]
    for key in keys:
        entry = Text(" ")
        entry.append(key.glyph, Style(color=f"rgb({key.color[0]},{key.color[1]},{key.color[2]})"))
        entry.append(f" {key.name} ")
        if lines[-1].cell_len and lines[-1].cell_len + entry.cell_len > width and len(lines) < LEGEND_LINES:
            lines.append(Text(no_wrap=True, overflow="ellipsis"))
        lines[-1].append_text(entry)
    for line in lines:
        line.rstrip()
        line.truncate(max(1, width), overflow="ellipsis")
    return lines


class ChartPanel(PlotextPlot):
    """A plotext chart under a one-line legend; plain words instead of a plot that cannot be read.

    ``draw`` only keeps the plot function: ``render`` runs it on a cleared figure whenever the widget's
    size changed since (ticks depend on the room) and lays the figure out, so a chart hidden by the
    layout costs nothing and a resized one is never a stretched picture of the old size.
    """

    DEFAULT_CSS = """
    ChartPanel {
        border: round $muted;
        content-align: center middle;
        color: $text-muted;
    }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = title
        self._plot_fn: PlotFn | None = None
        self._figure = Figure(empty="no data")
        self._laid_out: Size | None = None  # plot size the figure was last filled for

    @property
    def no_data(self) -> str | None:
        """Why the chart is empty (None while it shows a plot, or before it was first laid out)."""
        return None if self._figure.empty is None else f"no data: {self._figure.empty}"

    def draw(self, plot: PlotFn, subtitle: str = "") -> None:
        """Keep ``plot`` to fill the figure at the next repaint, and ask for one.

        Args:
            plot: draws onto a cleared figure of the given size; returns its legend, or why it is empty.
            subtitle: shown under the chart (units, bucket size).
        """
        self._plot_fn = plot
        self._laid_out = None
        self.border_subtitle = subtitle
        self.refresh()

    def _fill(self, size: Size) -> Figure:
        if self._laid_out != size and self._plot_fn is not None:
            self.plt.clear_figure()
            self._figure = self._plot_fn(self.plt, size)
            self._laid_out = size
        return self._figure

    def render(self) -> RenderResult:
        """The legend and the plot; or one line saying there is no data, or no room."""
        width, height = self.size
        if self._laid_out is None:  # new data: whether there is anything to draw, and its legend
            self._fill(Size(width, max(0, height - 1)))
        if self._figure.empty is not None:
            return Text(f"no data: {self._figure.empty}", no_wrap=True, overflow="ellipsis")
        legend = legend_lines(self._figure.keys, width)
        plot = Size(width, max(0, height - len(legend)))  # the first rows are the legend's
        figure = self._fill(plot)
        if plot.width < MIN_PLOT.width or plot.height < MIN_PLOT.height:
            need = f"{MIN_PLOT.width}×{MIN_PLOT.height + 1}"
            return Text(
                f"too small to draw: {width}×{height}, needs {need}", no_wrap=True, overflow="ellipsis"
            )
        self.plt.plotsize(*plot)
        self.plt._set_size(*plot)  # as PlotextPlot.render does: plotsize alone does not always stick
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        return Text("\n").join([*legend_lines(figure.keys, width), Text.from_ansi(self.plt.build())])
