"""Axes of the drill-down charts: UTC time ticks and value ticks that fit the room a chart has.

Provides the UTC ``TimeAxis`` (shared by the charts and the flag timeline) with ``fit``, which keeps as
many of its round-time ticks as the plot's width can label without two labels touching; ``nice_ticks``
and ``y_ticks``, which pick round values that the plot's height can label one row apart at least, with
labels that are all different once formatted; and the label formats (plain, USD, funding %, mirrored
liquidations). Pure functions: the charts call them each time they are laid out at a new size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import pairwise

import numpy as np

from signals.times import DAY_MS, HOUR_MS, MINUTE_MS

Labeller = Callable[[Sequence[float]], list[str]]
"""Formats a whole list of ticks at once, so unit and decimals are chosen for the axis, not per tick."""

LABEL_GAP = 2
"""Blank columns kept between two x labels at least: one looks like a single ``00:00 04:00`` token."""

# (tick spacing, label format) per window span: four to seven labels whatever the window.
_TICK_STEPS: tuple[tuple[float, int, str], ...] = (
    (1.0, 15 * MINUTE_MS, "%H:%M"),
    (4.0, HOUR_MS, "%H:%M"),
    (24.0, 4 * HOUR_MS, "%H:%M"),
    (math.inf, DAY_MS, "%b %d"),
)


def _utc(ms: float, fmt: str) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime(fmt)


def tick_column(value: float, lo: float, hi: float, columns: int) -> int:
    """The canvas cell of ``value`` on an axis from ``lo`` to ``hi`` over ``columns`` cells (plotext's rule)."""
    return math.floor(round(0.5 + (columns - 1) * (value - lo) / (hi - lo), 8))


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

    def fit(self, columns: int, left: int = 0, right: int = 0) -> tuple[list[float], list[str]]:
        """The ticks and labels that ``columns`` canvas cells can show, evenly thinned.

        Every ``k``-th tick is kept, counted back from the latest (the right edge matters most), with the
        smallest ``k`` that leaves ``LABEL_GAP`` blank cells between neighbouring labels. A label is
        centred on its tick; one that would stick out past the ``left`` / ``right`` cells beside the
        canvas (the y labels' room) is where plotext pulls it inside. None when not even one label fits.

        Args:
            columns: the canvas width in cells.
            left: cells left of the canvas that a label may overhang.
            right: cells right of the canvas that a label may overhang.
        """
        if not self.ticks or columns < 1 or self.width_min <= 0:
            return [], []
        width = max(len(label) for label in self.labels)
        if width > columns + left + right:
            return [], []
        starts = []
        for t in self.ticks:
            col = tick_column(t, 0.0, self.width_min, columns)
            start = col - width // 2
            # Where plotext's "dynamic" alignment puts a label that would stick out of its row: it
            # centres it in the free cells around the tick, which moves it further in than needed.
            if start < -left:
                start = (col - left) // 2
            elif start + width > columns + right:
                start = (col + columns + right - 2 * width) // 2
            starts.append(start)
        last = len(self.ticks) - 1
        for k in range(1, len(self.ticks) + 1):
            keep = [i for i in range(len(self.ticks)) if (last - i) % k == 0]
            if all(starts[b] - starts[a] >= width + LABEL_GAP for a, b in pairwise(keep)):
                return [self.ticks[i] for i in keep], [self.labels[i] for i in keep]
        return [], []


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


def _step(ticks: Sequence[float]) -> float:
    return abs(ticks[1] - ticks[0]) if len(ticks) > 1 else abs(ticks[0]) or 1.0


def fixed_labels(ticks: Sequence[float]) -> list[str]:
    """Thousands separators and just the decimals the step needs: ``3,700``, ``1.25``."""
    if not ticks:
        return []
    decimals = tick_decimals(_step(ticks))
    return [f"{t:,.{decimals}f}" for t in ticks]


_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def usd_labels(ticks: Sequence[float]) -> list[str]:
    """One unit for the whole axis (that of the largest tick) and the decimals its step needs:
    ``0``, ``2.5M``, ``5.0M``; never two ticks shown as the same ``10.0M``."""
    if not ticks:
        return []
    top = max(abs(t) for t in ticks)
    scale, unit = next(((s, u) for s, u in _UNITS if top >= s), (1.0, ""))
    decimals = tick_decimals(_step(ticks) / scale)
    return ["0" if abs(t) < 1e-9 * (top or 1.0) else f"{t / scale:,.{decimals}f}{unit}" for t in ticks]


def pct_labels(ticks: Sequence[float]) -> list[str]:
    """Signed percentages with the decimals the step needs (at least one): ``+0.05%``, ``0%``, ``-0.10%``."""
    if not ticks:
        return []
    decimals = max(1, tick_decimals(_step(ticks)))
    return ["0%" if abs(t) < 1e-12 else f"{t:+.{decimals}f}%" for t in ticks]


def mirrored_usd_labels(ticks: Sequence[float]) -> list[str]:
    """USD amounts of a mirrored bar chart: ``▲`` above zero (longs), ``▼`` below (shorts), both sides
    with the same unit, so +10M and -10M read ``▲10M`` and ``▼10M``, not ``10.0M`` twice."""
    amounts = usd_labels([abs(t) for t in ticks])
    return [a if a == "0" else ("▲" if t > 0 else "▼") + a for t, a in zip(ticks, amounts, strict=True)]


def y_ticks(lo: float, hi: float, rows: int, labeller: Labeller) -> tuple[list[float], list[str]]:
    """Round ticks over ``[lo, hi]`` that ``rows`` canvas rows can label, with distinct labels.

    Labels sit at least two rows apart (a blank row between them) when there are three or more; fewer
    intervals are tried until that holds and no two labels format alike. Failing that, the two ends
    only (one tick if even they format alike), so the axis never shows the same text twice.

    Args:
        lo: the smallest value to show.
        hi: the largest value to show.
        rows: the plot's canvas height in rows.
        labeller: formats the chosen ticks.
    """
    ticks: list[float] = []
    for n in (4, 3, 2, 1):
        ticks = nice_ticks(lo, hi, n)
        if not ticks:
            return [], []
        labels = labeller(ticks)
        spaced = len(ticks) <= 2 or (rows - 1) / (len(ticks) - 1) >= 2
        if spaced and len(set(labels)) == len(labels):
            return ticks, labels
    # No room for a blank row between labels: the two ends only, unless they too read alike.
    ends = [ticks[0], ticks[-1]]
    labels = labeller(ends)
    return (ends, labels) if labels[0] != labels[1] else (ends[:1], labels[:1])
