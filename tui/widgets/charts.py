"""Plotext charts of the drill-down screen: price with open interest, funding, long/short, liquidations.

Provides ``ChartPanel`` (a ``PlotextPlot`` that says "no data" plainly instead of drawing an empty box),
the theme-derived ``Palette`` (plotext takes RGB tuples, so theme variables are resolved here and every
theme recolours the charts), the UTC ``TimeAxis`` shared by the charts and the flag timeline, and one pure
``plot_*`` function per chart that draws onto a plotext figure and returns why it could not, if it could
not. Plotext renders in milliseconds per chart, so the screen calls these only when data changed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.color import Color, ColorParseError
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from signals.columns import Col
from signals.features import funding8h
from signals.formats import fmt_usd
from signals.times import DAY_MS, HOUR_MS, MINUTE_MS

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


def _fixed(v: float, decimals: int) -> str:
    """``v`` with thousands separators and ``decimals`` decimals: an axis label."""
    return f"{v:,.{decimals}f}"


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
            series=tuple(_rgb(variables, v) for v in _SERIES_VARIABLES),
        )


# (tick spacing, label format) per window span: four to seven labels whatever the window.
_TICK_STEPS: tuple[tuple[float, int, str], ...] = (
    (1.0, 15 * MINUTE_MS, "%H:%M"),
    (4.0, HOUR_MS, "%H:%M"),
    (24.0, 4 * HOUR_MS, "%H:%M"),
    (math.inf, DAY_MS, "%b %d"),
)


def _utc(ms: float, fmt: str) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime(fmt)


@dataclass(frozen=True)
class TimeAxis:
    """A window of time in UTC: x positions are minutes since ``start_ms``.

    Attributes:
        start_ms: window start (epoch ms).
        end_ms: window end: the close of the latest bar.
        ticks: tick positions, minutes since ``start_ms``, on round UTC times.
        labels: tick labels, ``HH:MM`` up to a day, dates beyond.
    """

    start_ms: float
    end_ms: float
    ticks: tuple[float, ...]
    labels: tuple[str, ...]

    @classmethod
    def spanning(cls, start_ms: float, end_ms: float) -> TimeAxis:
        """The axis from ``start_ms`` to ``end_ms`` with ticks on round UTC times."""
        span_h = (end_ms - start_ms) / HOUR_MS
        _, every, fmt = next(s for s in _TICK_STEPS if span_h <= s[0] + 1e-9)
        first = math.ceil(start_ms / every) * every
        tick_ms = np.arange(first, end_ms + 1, every)
        return cls(
            start_ms=start_ms,
            end_ms=end_ms,
            ticks=tuple(float(t - start_ms) / MINUTE_MS for t in tick_ms),
            labels=tuple(_utc(float(t), fmt) for t in tick_ms),
        )

    @property
    def width_min(self) -> float:
        """The window's span in minutes."""
        return (self.end_ms - self.start_ms) / MINUTE_MS

    def x(self, times_ms: np.ndarray) -> np.ndarray:
        """Minutes since the window start of ``times_ms``."""
        return (np.asarray(times_ms, dtype=np.float64) - self.start_ms) / MINUTE_MS

    def apply(self, plt: Plot) -> None:
        """Set the x range and the UTC tick labels of ``plt`` to this axis."""
        plt.xlim(0.0, self.width_min)
        plt.xticks(list(self.ticks), list(self.labels))


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]`` (steps of 1, 2, 2.5 or 5 x 10^k).

    Args:
        lo: the smallest value to show.
        hi: the largest value to show.
        n: the rough number of intervals wanted.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        pad = abs(lo) * 0.01 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    count = math.ceil((hi - start) / step - 1e-9)
    return [start + i * step for i in range(count + 1)]


def tick_decimals(step: float) -> int:
    """Decimals that tell ticks ``step`` apart: 2000 -> 0, 0.25 -> 2, 0.0000005 -> 7."""
    exponent = math.floor(math.log10(step) + 1e-9)
    mantissa = step / 10.0**exponent
    return max(0, -exponent + (1 if abs(mantissa - 2.5) < 1e-6 else 0))


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


def _yticks(
    plt: Plot, lo: float, hi: float, fmt: Callable[[float], str] | None = None, yside: str = "left"
) -> None:
    """Round ticks over ``[lo, hi]``, labelled by ``fmt`` or, by default, with just the decimals they need."""
    ticks = nice_ticks(lo, hi)
    if not ticks:
        return
    if fmt is None:
        decimals = tick_decimals(ticks[1] - ticks[0] if len(ticks) > 1 else 1.0)
        fmt = functools.partial(_fixed, decimals=decimals)
    # plotext's type stub declares yside a number; the library takes "left" / "right".
    plt.ylim(ticks[0], ticks[-1], yside=yside)  # type: ignore[arg-type]
    plt.yticks(ticks, [fmt(t) for t in ticks], yside=yside)  # type: ignore[arg-type]


def _fmt_pct8h(v: float) -> str:
    return "0%" if abs(v) < 1e-12 else f"{v:+.3f}%"


def plot_price_oi(plt: Plot, axis: TimeAxis, bars: np.ndarray, pal: Palette) -> str | None:
    """Price (left axis) and open interest in USD (right axis) of a cross-venue series.

    Returns:
        None when drawn, else why there is nothing to draw.
    """
    x = axis.x(bars[:, Col.TIME])
    px, py = _finite(x, bars[:, Col.PRICE])
    if not py:
        return "no price in this window"
    axis.apply(plt)
    plt.plot(px, py, color=pal.foreground, label="price")
    _yticks(plt, min(py), max(py))
    ox, oy = _finite(x, bars[:, Col.OI] * bars[:, Col.PRICE])
    if oy:
        plt.plot(ox, oy, color=pal.series[0], yside="right", label="OI USD")
        _yticks(plt, min(oy), max(oy), fmt_usd, yside="right")
    return None


def plot_per_venue(
    plt: Plot,
    axis: TimeAxis,
    lines: Mapping[str, tuple[np.ndarray, np.ndarray]],
    pal: Palette,
    fmt: Callable[[float], str],
    guides: Sequence[float] = (),
) -> str | None:
    """One line per venue (funding or long/short), with optional dotted guide levels.

    Args:
        plt: the figure to draw on.
        axis: the time axis.
        lines: venue -> (bar times, values); venues with no finite value are skipped.
        pal: the colours.
        fmt: formats y tick labels.
        guides: levels drawn as muted horizontal lines when they fall near the data (thresholds, zero).

    Returns:
        None when drawn, else why there is nothing to draw.
    """
    drawn: list[tuple[str, list[float], list[float]]] = []
    for venue, (t, y) in lines.items():
        vx, vy = _finite(axis.x(t), y)
        if vy:
            drawn.append((venue, vx, vy))
    if not drawn:
        return "no venue publishes it"
    axis.apply(plt)
    lo = min(min(v) for _, _, v in drawn)
    hi = max(max(v) for _, _, v in drawn)
    margin = (hi - lo) * 0.25 or abs(hi) * 0.25 or 1e-6
    for g in guides:
        if lo - margin <= g <= hi + margin:
            lo, hi = min(lo, g), max(hi, g)
            plt.horizontal_line(g, color=pal.muted)
    for k, (venue, vx, vy) in enumerate(drawn):
        plt.plot(vx, vy, color=pal.series[k % len(pal.series)], label=venue)
    _yticks(plt, lo, hi, fmt)
    return None


def plot_liquidations(
    plt: Plot, axis: TimeAxis, bars: np.ndarray, bucket_ms: int, pal: Palette
) -> str | None:
    """Liquidated longs (up from zero) and shorts (down from zero) per bucket, in USD.

    Returns:
        None when drawn, else why there is nothing to draw.
    """
    longs, shorts = bars[:, Col.LIQ_LONG], bars[:, Col.LIQ_SHORT]
    if np.isnan(longs).all() and np.isnan(shorts).all():
        return "no venue publishes liquidations"
    starts, long_sum = bucket_sums(bars[:, Col.TIME], longs, bucket_ms)
    _, short_sum = bucket_sums(bars[:, Col.TIME], shorts, bucket_ms)
    x = axis.x(starts + bucket_ms / 2).tolist()
    plt.bar(x, long_sum.tolist(), color=pal.down, label="longs liquidated", minimum=0, reset_ticks=False)
    plt.bar(x, (-short_sum).tolist(), color=pal.up, label="shorts liquidated", minimum=0, reset_ticks=False)
    axis.apply(plt)  # after the bars: plotext's bar() would otherwise relabel the x axis
    top = float(long_sum.max(initial=0.0))
    bottom = -float(short_sum.max(initial=0.0))
    if top == bottom == 0.0:
        top = 1.0  # nothing liquidated: still show a readable zero line
    _yticks(plt, bottom, top, lambda v: fmt_usd(abs(v)))
    return None


def plot_funding(plt: Plot, axis: TimeAxis, series: Mapping[str, np.ndarray], pal: Palette) -> str | None:
    """Funding per venue normalised to 8 h, in percent, so 8h/4h/1h venues compare.

    Args:
        plt: the figure to draw on.
        axis: the time axis.
        series: venue -> its bars in the window.
        pal: the colours.
    """
    lines = {
        v: (b[:, Col.TIME], funding8h(b[:, Col.FUNDING], b[:, Col.FUNDING_INTERVAL_H]) * 100.0)
        for v, b in series.items()
    }
    return plot_per_venue(plt, axis, lines, pal, _fmt_pct8h, guides=(0.0,))


def plot_long_short(
    plt: Plot, axis: TimeAxis, series: Mapping[str, np.ndarray], pal: Palette, guides: Sequence[float]
) -> str | None:
    """Long/short accounts ratio per venue, with the squeeze thresholds as guides."""
    lines = {v: (b[:, Col.TIME], b[:, Col.LS_RATIO]) for v, b in series.items()}
    return plot_per_venue(plt, axis, lines, pal, lambda v: f"{v:.2f}", guides=guides)


class ChartPanel(PlotextPlot):
    """A plotext chart that shows a plain "no data" line when its series is missing.

    The figure is filled only by ``draw`` (when data changed); Textual calls ``render`` after that or on
    a resize, which lays out the already-filled figure.
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
        self._no_data: str | None = "no data"

    @property
    def no_data(self) -> str | None:
        """Why the chart is empty (None while it shows a plot)."""
        return self._no_data

    def draw(self, plot: Callable[[Plot], str | None], subtitle: str = "") -> None:
        """Clear the figure, let ``plot`` fill it, and repaint.

        Args:
            plot: draws onto the figure; returns None, or the reason there is nothing to draw.
            subtitle: shown under the chart (units, bucket size).
        """
        self.plt.clear_figure()
        reason = plot(self.plt)
        self._no_data = None if reason is None else f"no data: {reason}"
        self.border_subtitle = subtitle
        self.refresh()

    def render(self) -> RenderResult:
        """The plot, or the no-data line."""
        if self._no_data is not None:
            return Text(self._no_data)
        return super().render()
