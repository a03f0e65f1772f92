"""The drill-down's taker-flow chart: cumulative volume delta of the perpetual and of spot.

Cumulative volume delta (CVD) is the running sum, over the chart's window, of what takers bought minus
what they sold, in USD. Drawn for the perp and for the coin's spot pair on one axis, it shows which market
the aggressive buyers and sellers are in: spot buying under a flat or falling perp line is the
``flow_divergence`` of SIGNALS.md. Only bars that carry taker figures count; a venue that does not
publish them adds nothing (the README's venue table says which do).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from textual.geometry import Size
from textual_plotext.plot import Plot

from signals.columns import Col
from tui.widgets.chart_axes import TimeAxis, usd_labels
from tui.widgets.charts import Figure, Palette, plot_per_venue


def cumulative_delta(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    """Running sum of ``buy - sell`` from the window's first bar; NaN where a bar lacks either figure.

    A bar without figures neither moves the line nor breaks it: the sum goes on from the last known
    value at the next bar that has them (the chart draws finite points only, joined by the line).
    """
    delta = np.asarray(buy, dtype=np.float64) - np.asarray(sell, dtype=np.float64)
    known = np.isfinite(delta)
    out = np.cumsum(np.where(known, delta, 0.0))
    out[~known] = np.nan
    return out


def signed_usd_labels(ticks: Sequence[float]) -> list[str]:
    """USD with a sign, one unit for the axis: ``+2.5M``, ``0``, ``-5.0M`` (net bought above zero)."""
    amounts = usd_labels([abs(t) for t in ticks])
    return [a if a == "0" else ("+" if t > 0 else "-") + a for t, a in zip(ticks, amounts, strict=True)]


def plot_taker_flow(plt: Plot, size: Size, axis: TimeAxis, bars: np.ndarray, pal: Palette) -> Figure:
    """CVD of the perp and of spot over the window, from a cross-venue series' taker columns."""
    times = bars[:, Col.TIME]
    lines = {
        "perp CVD": (times, cumulative_delta(bars[:, Col.TAKER_BUY], bars[:, Col.TAKER_SELL])),
        "spot CVD": (times, cumulative_delta(bars[:, Col.SPOT_TAKER_BUY], bars[:, Col.SPOT_TAKER_SELL])),
    }
    if not any(np.isfinite(y).any() for _, y in lines.values()):
        return Figure(empty="no taker buy/sell figures in this window")
    return plot_per_venue(plt, size, axis, lines, pal, signed_usd_labels, guides=(0.0,))
