"""The flag timeline of the drill-down screen: when each flag was on across the window.

Provides ``FlagTimeline``, one line per flag: its code and name, then a strip of cells across the window
(``█`` where the flag was on, coloured by its direction; ``·`` where it could be computed and was off;
blank where its inputs were missing), and a UTC time axis under the strips. Bars are folded into
as many cells as the widget is wide, so a 7-day window of 5-minute bars still fits one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

from signals.flags import CODE, FLAG_NAMES
from tui.widgets.chart_axes import TimeAxis

LABEL_WIDTH = 24
ON, OFF, MISSING = "█", "·", " "
DIRECTION_STYLE = {1: "$flag-bull", -1: "$flag-bear", 0: "$flag-context"}


@dataclass(frozen=True)
class FlagHistory:
    """Flag states over the bars of a window (from ``signals.evaluate.evaluate`` on the ALL series).

    Attributes:
        axis: the window; bar ``i`` spans ``axis.start_ms + i * step`` onwards.
        fired: flag name -> bool per bar.
        available: flag name -> bool per bar (False: an input column is missing from the series).
        direction: flag name -> direction per bar (funding_extreme's changes with funding's sign).
    """

    axis: TimeAxis
    fired: Mapping[str, np.ndarray] = field(default_factory=dict)
    available: Mapping[str, np.ndarray] = field(default_factory=dict)
    direction: Mapping[str, np.ndarray] = field(default_factory=dict)

    @property
    def bars(self) -> int:
        """Number of bars in the window."""
        return max((len(v) for v in self.fired.values()), default=0)


def cell_starts(bars: int, cells: int) -> np.ndarray:
    """First bar of each of ``cells`` cells that share ``bars`` bars out evenly (repeats when bars < cells)."""
    return (np.arange(cells) * bars) // cells


def fold(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Whether any bar of each cell is true (``starts`` from ``cell_starts``)."""
    if len(values) == 0:
        return np.zeros(len(starts), dtype=bool)
    return np.logical_or.reduceat(np.asarray(values, dtype=bool), starts)


def _last_direction(fired: np.ndarray, direction: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Direction at the last on-bar of each cell (0 where none), so a cell takes its latest colour."""
    idx = np.where(fired, np.arange(len(fired)), -1)
    last = np.maximum.reduceat(idx, starts)
    return np.where(last >= 0, np.asarray(direction)[np.maximum(last, 0)], 0).astype(int)


class FlagTimeline(Widget):
    """One strip per flag across the window, coloured by direction, with a UTC time axis."""

    DEFAULT_CSS = """
    FlagTimeline {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._history: FlagHistory | None = None

    def show(self, history: FlagHistory | None) -> None:
        """Display ``history`` (None: nothing to show) and repaint."""
        self._history = history
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        """One line per flag plus the time axis."""
        return len(FLAG_NAMES) + 1

    def render(self) -> RenderResult:
        """The strips and the axis, fitted to the current width."""
        h = self._history
        cells = max(1, self.size.width - LABEL_WIDTH)
        if h is None or h.bars == 0:
            return Content.styled("no bars in this window", "$text-muted")
        starts = cell_starts(h.bars, cells)
        lines = [self._strip(name, h, starts) for name in FLAG_NAMES]
        lines.append(self._axis(h.axis, cells))
        return Content("\n").join(lines)

    def _strip(self, name: str, h: FlagHistory, starts: np.ndarray) -> Content:
        label = f"{CODE[name]} {name}"[: LABEL_WIDTH - 1].ljust(LABEL_WIDTH)
        fired = np.asarray(h.fired.get(name, np.zeros(h.bars, dtype=bool)), dtype=bool)
        avail = np.asarray(h.available.get(name, np.zeros(h.bars, dtype=bool)), dtype=bool)
        direction = h.direction.get(name, np.zeros(h.bars, dtype=int))
        on = fold(fired, starts)
        known = fold(avail, starts)
        dirs = _last_direction(fired, np.broadcast_to(direction, fired.shape), starts)
        parts: list[tuple[str, str] | str] = [(label, "$text-muted" if not on.any() else "")]
        if not known.any():
            parts.append(("unavailable (inputs missing)", "$stale"))
            return Content.assemble(*parts)
        # Runs of equal cells become one styled segment: a few spans per line instead of one per cell.
        kinds = np.where(on, 2 + dirs, np.where(known, 0, -5))
        edges = np.flatnonzero(np.r_[True, kinds[1:] != kinds[:-1], True])
        for a, b in pairwise(edges.tolist()):
            k = int(kinds[a])
            if k >= 1:
                parts.append((ON * (b - a), DIRECTION_STYLE[k - 2]))
            elif k == 0:
                parts.append((OFF * (b - a), "$text-muted"))
            else:
                parts.append(MISSING * (b - a))
        return Content.assemble(*parts)

    @staticmethod
    def _axis(axis: TimeAxis, cells: int) -> Content:
        row = [" "] * cells
        width = axis.width_min or 1.0
        free_from = 0
        # Evenly thinned, as under the charts: every other label beats labels a space apart.
        for tick, label in zip(*axis.fit(cells), strict=True):
            pos = round(tick / width * (cells - 1))
            start = min(max(0, pos - len(label) // 2), cells - len(label))
            if start < free_from or start < 0:
                continue  # would overlap the previous label
            row[start : start + len(label)] = list(label)
            free_from = start + len(label) + 1
        return Content.assemble(("UTC".ljust(LABEL_WIDTH), "$text-muted"), ("".join(row), "$text-muted"))
