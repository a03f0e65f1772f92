"""Pure helpers of the drill-down charts and timeline: UTC axes, tick values, bucketing, cell folding; and
the charts as plotext prints them at a given size: distinct y labels, x labels apart, legends outside."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import pytest
from rich.text import Text
from textual.geometry import Size
from textual_plotext.plot import Plot

from signals.columns import Col
from tui.widgets.chart_axes import (
    TimeAxis,
    fixed_labels,
    mirrored_usd_labels,
    nice_ticks,
    tick_decimals,
    usd_labels,
    y_ticks,
)
from tui.widgets.charts import (
    Figure,
    Key,
    Palette,
    bucket_sums,
    legend_lines,
    plot_funding,
    plot_liquidations,
    plot_long_short,
    plot_price_oi,
)
from tui.widgets.timeline import cell_starts, fold

MIN = 60_000


def _ms(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000


def test_one_hour_axis_labels_quarter_hours_in_utc() -> None:
    axis = TimeAxis.spanning(_ms("2025-12-01T22:00"), _ms("2025-12-01T23:00"))
    assert axis.labels == ("22:00", "22:15", "22:30", "22:45", "23:00")
    assert axis.ticks == (0.0, 15.0, 30.0, 45.0, 60.0)


def test_day_axis_ticks_every_four_hours_on_round_times() -> None:
    axis = TimeAxis.spanning(_ms("2025-12-01T10:35"), _ms("2025-12-02T10:35"))
    assert axis.labels == ("12:00", "16:00", "20:00", "00:00", "04:00", "08:00")
    assert axis.ticks[0] == 85.0  # 10:35 -> 12:00


def test_week_axis_labels_dates() -> None:
    axis = TimeAxis.spanning(_ms("2025-11-24T23:00"), _ms("2025-12-01T23:00"))
    assert axis.labels == ("Nov 25", "Nov 26", "Nov 27", "Nov 28", "Nov 29", "Nov 30", "Dec 01")


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(0.93, 1.87) == pytest.approx([0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert nice_ticks(-3e6, 9e6) == pytest.approx([-5e6, 0.0, 5e6, 1e7])
    assert nice_ticks(float("nan"), 1.0) == []


def test_tick_labels_carry_just_the_decimals_the_step_needs() -> None:
    assert tick_decimals(2000.0) == 0
    assert tick_decimals(0.25) == 2
    assert tick_decimals(0.5) == 1
    assert tick_decimals(5e-7) == 7


def test_bucket_sums_align_to_utc_buckets_and_skip_nan() -> None:
    # 5-minute bars from 10:05 to 10:55; 15-minute buckets start at 10:00, 10:15, 10:30, 10:45.
    t0 = _ms("2025-12-01T10:05")
    times = t0 + np.arange(11) * 5 * MIN
    values = np.arange(1.0, 12.0)
    values[4] = np.nan  # the 10:25 bar
    starts, sums = bucket_sums(times, values, 15 * MIN)
    assert starts.tolist() == [_ms("2025-12-01T10:00") + k * 15 * MIN for k in range(4)]
    # 10:05+10:10 = 1+2; 10:15..10:25 = 3+4+nan; 10:30..10:40 = 6+7+8; 10:45..10:55 = 9+10+11
    assert sums.tolist() == [3.0, 7.0, 21.0, 30.0]


def test_palette_falls_back_to_stock_variables() -> None:
    pal = Palette.from_variables({"foreground": "#ffffff", "success": "#00ff00", "error": "#ff0000"})
    assert pal.up == (0, 255, 0)
    assert pal.down == (255, 0, 0)
    themed = Palette.from_variables({"foreground": "#ffffff", "up": "#0000ff", "success": "#00ff00"})
    assert themed.up == (0, 0, 255)


def test_fold_stretches_few_bars_and_keeps_a_lone_last_bar_visible() -> None:
    fired = np.zeros(12, dtype=bool)
    fired[11] = True
    cells = fold(fired, cell_starts(12, 24))
    assert cells.tolist() == [False] * 22 + [True, True]  # one bar, two cells wide
    week = np.zeros(2016, dtype=bool)
    week[-1] = True
    cells = fold(week, cell_starts(2016, 100))
    assert cells.sum() == 1 and cells[-1]


# ---- charts drawn at a given size: ticks that fit, distinct labels, legends outside the plot ----------

FRAME = "│┤├┼"
HOUR = 60 * MIN


END = "2025-12-02T00:00"


def _bars(
    hours: float, liq: float = 10e6, price: float = 95_000.0, oi_usd: float = 30e9, end_at: str = END
) -> np.ndarray:
    """A cross-venue series of 5-minute bars ending 2025-12-01 24:00 UTC, with liquidations of ``liq``
    both ways each bar at the end (the case that printed ``10.0M`` twice)."""
    n = int(hours * 12)
    end = _ms(end_at)
    bars = np.full((n, len(Col)), np.nan)
    bars[:, Col.TIME] = end - (n - np.arange(n)) * 5 * MIN
    bars[:, Col.PRICE] = price * (1 + 0.02 * np.sin(np.arange(n) / 7))
    bars[:, Col.OI] = oi_usd / price * (1 + 0.001 * np.arange(n) / n)
    bars[:, Col.FUNDING] = 0.0004 * np.cos(np.arange(n) / 11)
    bars[:, Col.FUNDING_INTERVAL_H] = 8.0
    bars[:, Col.LS_RATIO] = 1.6 + 0.5 * np.sin(np.arange(n) / 5)
    bars[:, Col.LIQ_LONG] = np.where(np.arange(n) >= n - 3, liq / 3, 0.0)
    bars[:, Col.LIQ_SHORT] = np.where(np.arange(n) >= n - 3, liq / 3, 0.0)
    return bars


def _axis(hours: float, end_at: str = END) -> TimeAxis:
    end = _ms(end_at)
    return TimeAxis.spanning(end - hours * HOUR, end)


PAL = Palette.from_variables({"foreground": "#ffffff", "primary": "#0088ff", "success": "#00ff00"})


def _built(fn: Callable[[Plot, Size], Figure], width: int, height: int) -> tuple[Figure, list[str]]:
    """What plotext prints for a chart of ``width`` x ``height``, as plain lines."""
    plt = Plot()
    figure = fn(plt, Size(width, height))
    plt.plotsize(width, height)
    plt._set_size(width, height)
    return figure, Text.from_ansi(plt.build()).plain.splitlines()


def _charts(
    hours: float = 24.0, liq: float = 10e6, end_at: str = END
) -> dict[str, Callable[[Plot, Size], Figure]]:
    bars, axis = _bars(hours, liq, end_at=end_at), _axis(hours, end_at)
    other = bars.copy()
    other[:, [Col.FUNDING, Col.LS_RATIO]] *= 1.1
    venues = {"simA": bars, "simB": other}
    return {
        "price": lambda plt, size: plot_price_oi(plt, size, axis, bars, PAL),
        "liq": lambda plt, size: plot_liquidations(plt, size, axis, bars, HOUR, PAL),
        "funding": lambda plt, size: plot_funding(plt, size, axis, venues, PAL),
        "ls": lambda plt, size: plot_long_short(plt, size, axis, venues, PAL, (1.0, 2.0)),
    }


def _y_labels(lines: list[str]) -> tuple[list[str], list[str]]:
    """The left and right y tick labels of a built chart (the rows between the frame lines)."""
    left, right = [], []
    for line in lines[1:-2]:
        first = min(line.index(c) for c in FRAME if c in line)
        last = max(line.rindex(c) for c in FRAME if c in line)
        left.append(line[:first].strip())
        right.append(line[last + 1 :].strip())
    return [s for s in left if s], [s for s in right if s]


@pytest.mark.parametrize("liq", [10e6, 1e6, 2.5e5, 0.0])
@pytest.mark.parametrize("size", [(40, 12), (60, 20), (80, 8), (120, 30)])
def test_no_two_y_tick_labels_of_a_chart_are_equal(liq: float, size: tuple[int, int]) -> None:
    for name, chart in _charts(liq=liq).items():
        _, lines = _built(chart, *size)
        left, right = _y_labels(lines)
        assert len(left) >= 2, (name, size, left)
        for labels in (left, right):
            assert len(labels) == len(set(labels)), (name, size, labels)


def test_liquidation_labels_say_which_side_they_measure() -> None:
    _, lines = _built(_charts(liq=10e6)["liq"], 60, 20)
    left, _ = _y_labels(lines)
    assert "0" in left
    assert any(s.startswith("▲") for s in left) and any(s.startswith("▼") for s in left)


def test_usd_labels_add_decimals_rather_than_repeat() -> None:
    # Three significant figures read 100M for all of these.
    assert usd_labels([100.0e6, 100.25e6, 100.5e6]) == ["100.00M", "100.25M", "100.50M"]
    assert mirrored_usd_labels([-10e6, 0.0, 10e6]) == ["▼10M", "0", "▲10M"]
    ticks, labels = y_ticks(0.0, 1.0, 3, lambda ts: ["same" for _ in ts])
    assert labels == ["same"] and len(ticks) == 1  # a labeller that cannot tell them apart: one tick


def test_y_ticks_leave_a_row_between_labels() -> None:
    for rows in (3, 5, 9, 20):
        ticks, _ = y_ticks(0.93, 1.87, rows, fixed_labels)
        assert len(ticks) <= 2 or (rows - 1) / (len(ticks) - 1) >= 2, rows


@pytest.mark.parametrize("hours", [1.0, 4.0, 24.0, 168.0])
@pytest.mark.parametrize("name", ["price", "liq", "funding", "ls"])
def test_x_tick_labels_do_not_overlap_at_40_columns(hours: float, name: str) -> None:
    axis = _axis(hours)
    _, lines = _built(_charts(hours)[name], 40, 12)
    row = lines[-1]
    tokens = [(m.start(), m.group()) for m in re.finditer(r"[A-Z][a-z]{2} \d\d|\d\d:\d\d", row)]
    assert len(tokens) >= 2, row
    assert re.sub(r"[A-Z][a-z]{2} \d\d|\d\d:\d\d", "", row).strip() == "", row  # nothing but labels
    for (a, left), (b, _) in itertools.pairwise(tokens):
        assert b - (a + len(left)) >= 2, row  # two blanks at least: `00:00 04:00` reads as one token
    shown = [t for _, t in tokens]
    assert all(t in axis.labels for t in shown), row
    # Evenly thinned: the labels shown are every k-th of the axis's, and every tick mark has its label.
    idx: list[int] = []
    for t in shown:  # the labels shown as a subsequence of the axis's (24h has 00:00 at both ends)
        idx.append(axis.labels.index(t, idx[-1] + 1 if idx else 0))
    assert len({b - a for a, b in itertools.pairwise(idx)}) == 1, row
    assert lines[-2].count("┬") == len(shown), (lines[-2], row)


@pytest.mark.parametrize("width", range(30, 161, 13))
@pytest.mark.parametrize("hours", [1.0, 24.0, 168.0])
@pytest.mark.parametrize("end_at", [END, "2025-12-01T18:35"])  # the live window rarely ends on a tick
def test_plotext_shows_every_time_label_chosen(width: int, hours: float, end_at: str) -> None:
    # Labels plotext cannot place without touching another are silently dropped, unevenly: the chosen
    # ones must all be there, at any width.
    for name, chart in _charts(hours, end_at=end_at).items():
        _, lines = _built(chart, width, 12)
        shown = re.findall(r"[A-Z][a-z]{2} \d\d|\d\d:\d\d", lines[-1])
        assert lines[-2].count("┬") == len(shown) >= 2, (name, lines[-2], lines[-1])


def test_time_axis_fit_thins_evenly_from_the_latest_tick() -> None:
    axis = _axis(24.0)  # 00:00 04:00 ... 00:00: seven ticks
    assert axis.fit(200)[1] == list(axis.labels)
    assert axis.fit(30)[1] == ["00:00", "08:00", "16:00", "00:00"]
    assert axis.fit(3) == ([], [])


@pytest.mark.parametrize("name", ["price", "liq", "funding", "ls"])
def test_legends_are_not_inside_the_plot(name: str) -> None:
    figure, lines = _built(_charts()[name], 60, 20)
    assert figure.keys, "the legend moved out of the plot, not away"
    plot = "\n".join(lines)
    for key in figure.keys:
        assert key.name not in plot
    for word in ("price", "OI USD", "simA", "simB", "longs", "shorts", "squeeze"):
        assert word not in plot


def test_legend_lines_wrap_once_then_cut() -> None:
    keys = [Key("━", f"venue-{k}", (1, 2, 3)) for k in range(8)]
    lines = legend_lines(keys, 40)
    assert len(lines) == 2
    assert all(line.cell_len <= 40 for line in lines)
    assert lines[-1].plain.endswith("…")
    assert [x.plain for x in legend_lines(keys[:2], 40)] == [" ━ venue-0  ━ venue-1"]


def test_an_empty_series_is_a_reason_not_a_plot() -> None:
    bars = _bars(24.0)
    bars[:, Col.PRICE] = np.nan
    plt = Plot()
    assert plot_price_oi(plt, Size(60, 20), _axis(24.0), bars, PAL).empty == "no price in this window"
