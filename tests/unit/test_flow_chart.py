"""The drill-down's taker-flow chart: cumulative volume delta by hand, its labels, and an honest empty chart."""

from __future__ import annotations

import numpy as np
from textual.geometry import Size
from textual_plotext.plot import Plot

from signals.columns import COLUMNS, Col
from tui.widgets.chart_axes import TimeAxis
from tui.widgets.charts import Palette
from tui.widgets.flow_chart import cumulative_delta, plot_taker_flow, signed_usd_labels

NAN = float("nan")
STEP = 300_000
T0 = 1_764_547_200_000  # 2025-12-01 00:00 UTC


def test_cumulative_delta_sums_buys_minus_sells_and_carries_over_a_bar_without_figures() -> None:
    buy = np.array([10.0, 5.0, NAN, 1.0, 0.0])
    sell = np.array([4.0, 9.0, 3.0, 1.0, 2.0])
    # 10-4 = 6; 6 + (5-9) = 2; a bar without a buy figure: no point, nothing added; 2 + 0 = 2; 2 - 2 = 0
    got = cumulative_delta(buy, sell)
    assert got[:2].tolist() == [6.0, 2.0]
    assert np.isnan(got[2])
    assert got[3:].tolist() == [2.0, 0.0]


def test_signed_labels_put_net_buying_above_zero() -> None:
    assert signed_usd_labels([-5e6, -2.5e6, 0.0, 2.5e6, 5e6]) == ["-5.0M", "-2.5M", "0", "+2.5M", "+5.0M"]


def bars(n: int) -> np.ndarray:
    out = np.full((n, len(COLUMNS)), NAN)
    out[:, Col.TIME] = T0 + STEP * np.arange(n)
    out[:, Col.PRICE] = 100.0
    return out


def palette() -> Palette:
    return Palette.from_variables({"foreground": "#ffffff", "primary": "#0000ff", "accent": "#ff0000"})


def test_a_window_without_taker_figures_says_so_instead_of_a_flat_line() -> None:
    b = bars(12)
    fig = plot_taker_flow(Plot(), Size(60, 14), TimeAxis.spanning(T0, T0 + 12 * STEP), b, palette())
    assert fig.empty is not None and "taker" in fig.empty


def test_perp_and_spot_lines_are_both_drawn_when_both_are_known() -> None:
    b = bars(12)
    b[:, Col.TAKER_BUY], b[:, Col.TAKER_SELL] = 2e6, 1e6  # perp takers net buy 1M a bar
    b[:, Col.SPOT_TAKER_BUY], b[:, Col.SPOT_TAKER_SELL] = 1e6, 3e6  # spot takers net sell 2M a bar
    fig = plot_taker_flow(Plot(), Size(60, 14), TimeAxis.spanning(T0, T0 + 12 * STEP), b, palette())
    assert fig.empty is None
    assert [k.name for k in fig.keys if k.name.endswith("CVD")] == ["perp CVD", "spot CVD"]
