"""Pure helpers of the drill-down charts and timeline: UTC axes, tick values, bucketing, cell folding."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from tui.widgets.charts import Palette, TimeAxis, bucket_sums, nice_ticks, tick_decimals
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
