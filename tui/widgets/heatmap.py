"""The funding heatmap: symbols x venues (current funding 8h) or symbols x the last 24 hours.

A small Line-API widget. Symbols are laid out in side-by-side blocks so fifty of them fit in a dozen
lines; each cell is a coloured block whose colour comes from a diverging ``textual.color.Gradient``
between the theme's ``heat-neg``, ``heat-zero`` and ``heat-pos``. The scale is fixed (plus/minus the
``funding_extreme`` threshold, saturating beyond) so it means the same thing every second, and the
legend prints it. Colours are quantised; ``set_data`` refreshes only cells whose colour step changed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.color import Color, Gradient
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from signals.formats import fmt_funding

STEPS = 21  # odd, so zero has its own colour
GAP = 2


def cell_glyph(step: int, sign: int, width: int) -> str:
    """The sign of a cell as text, so the heatmap reads without colour (NO_COLOR, monochrome, a capture).

    ``+``/``−`` for any value above or below zero however small (the colour alone cannot show -0.007 %
    on a scale of 0.1 %), doubled beyond 60 % of the scale where the cell is wide enough; ``0`` for zero.
    """
    if sign == 0:
        return "0"
    middle = (STEPS - 1) // 2
    off = step - middle  # whole steps, so the threshold is exact (10 steps = the full scale)
    mark = "+" if sign > 0 else "−"
    return mark * 2 if width >= 2 and abs(off) >= 6 else mark


def short_labels(names: Sequence[str], width: int) -> list[str]:
    """Distinct labels of at most ``width`` characters: ``simA..simD`` -> ``A..D``, ``binance`` -> ``bi``.

    The prefix the names share is dropped first (cutting "simA" and "simB" to two characters would
    give "si" twice); where cut names still collide, their position is used.
    """
    if not names:
        return []
    common = os.path.commonprefix(list(names)) if len(names) > 1 else ""  # noqa: RUF071 - names, not paths
    cut = [n[len(common) :][:width] or n[:width] for n in names]
    if len(set(cut)) == len(cut):
        return cut
    return [str(i + 1)[:width] for i in range(len(names))]


class FundingHeatmap(Widget):
    """Funding 8h as colours: ``mode`` is ``venues`` (symbols x venues) or ``time`` (symbols x 24 h)."""

    DEFAULT_CSS = """
    FundingHeatmap { height: 14; background: $background; color: $foreground; border-top: solid $panel; }
    FundingHeatmap > .heatmap--title { color: $foreground; text-style: bold; }
    FundingHeatmap > .heatmap--muted { color: $muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"heatmap--title", "heatmap--muted"}

    def __init__(self, scale: float, *, id: str | None = None) -> None:
        """Args: scale: the funding 8h (fraction) at which the colour saturates."""
        super().__init__(id=id)
        self.scale = scale
        self.mode = "venues"
        self._symbols: list[str] = []
        self._columns: list[str] = []
        self._steps = np.zeros((0, 0), dtype=np.int64)  # colour step per cell, -1 = no value
        self._signs = np.zeros((0, 0), dtype=np.int64)  # -1, 0, +1: the glyph's sign
        self._lines: dict[int, Strip] = {}
        self._styles: dict[str, Style] = {}
        self._cell_styles: list[Style] = []

    # ---- data -------------------------------------------------------------------------------------

    def set_data(self, mode: str, symbols: Sequence[str], columns: Sequence[str], values: np.ndarray) -> None:
        """Show ``values`` (len(symbols), len(columns)) of funding 8h; repaint only changed cells.

        Args:
            mode: ``venues`` or ``time`` (the title and cell width depend on it).
            symbols: row labels.
            columns: column labels (venue names, or hour offsets).
            values: funding 8h fractions, NaN where unknown.
        """
        with np.errstate(invalid="ignore"):
            pos = np.clip(values / self.scale, -1.0, 1.0)
            steps = np.where(np.isnan(pos), -1, np.rint((pos + 1.0) / 2.0 * (STEPS - 1))).astype(np.int64)
            signs = np.nan_to_num(np.sign(values)).astype(np.int64)
        layout_same = mode == self.mode and list(symbols) == self._symbols and list(columns) == self._columns
        if layout_same and steps.shape == self._steps.shape:
            changed = np.argwhere((steps != self._steps) | (signs != self._signs))
            self._steps = steps
            self._signs = signs
            for s, c in changed.tolist():
                region = self._cell_region(s, c)
                if region is not None:
                    self._lines.pop(region.y, None)
                    self.refresh(region)
            return
        self.mode = mode
        self._symbols = list(symbols)
        self._columns = list(columns)
        self._steps = steps
        self._signs = signs
        self._lines.clear()
        self.refresh()

    # ---- geometry ---------------------------------------------------------------------------------

    @property
    def _cell_w(self) -> int:
        return 3 if self.mode == "venues" else 1

    @property
    def _label_w(self) -> int:
        return min(8, max((len(s) for s in self._symbols), default=4)) + 1

    @property
    def _block_w(self) -> int:
        return self._label_w + self._cell_w * len(self._columns) + GAP

    @property
    def _rows(self) -> int:
        return max(1, self.size.height - 3)  # title, column header, legend

    def _cell_region(self, s: int, c: int) -> Region | None:
        rows = self._rows
        block, r = divmod(s, rows)
        x = block * self._block_w + self._label_w + c * self._cell_w
        if x + self._cell_w > self.size.width:
            return None
        return Region(x, 2 + r, self._cell_w, 1)

    # ---- rendering --------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """The theme changed: rebuild the gradient and every line."""
        super().notify_style_update()
        self._styles = {}
        self._cell_styles = []
        self._lines.clear()

    def on_resize(self) -> None:
        """Blocks reflow with the size."""
        self._lines.clear()

    def _style(self, name: str) -> Style:
        if not self._styles:
            base = self.rich_style
            self._styles = {"": base}
            for n in ("title", "muted"):
                self._styles[n] = base + self.get_component_rich_style(f"heatmap--{n}")
            variables = self.app.theme_variables
            gradient = Gradient(
                (0.0, Color.parse(variables["heat-neg"])),
                (0.5, Color.parse(variables["heat-zero"])),
                (1.0, Color.parse(variables["heat-pos"])),
                quality=STEPS,
            )
            self._cell_styles = [
                Style(bgcolor=gradient.get_color(i / (STEPS - 1)).rich_color) for i in range(STEPS)
            ]
        return self._styles.get(name, self._styles[""])

    def render_line(self, y: int) -> Strip:
        """Cached line ``y``: title, column header, symbol rows in blocks, or the legend."""
        strip = self._lines.get(y)
        if strip is None:
            strip = self._lines[y] = self._build_line(y)
        return strip

    def _build_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._style("")
        if y == 0:
            what = "venues" if self.mode == "venues" else "last 24 h, hourly, cross-venue"
            title = f" funding 8h · {what}  (h: by venue, by hour, hidden)"
            return Strip([Segment(title, self._style("title"))]).adjust_cell_length(width, base)
        if y == self.size.height - 1:
            return self._legend(width)
        if not self._symbols:  # nothing to draw yet (or every row filtered out): say so once
            text = " no funding rates to show yet" if y == 2 else ""
            return Strip([Segment(text, self._style("muted"))]).adjust_cell_length(width, base)
        segments: list[Segment] = []
        rows = self._rows
        n_blocks = min(max(1, math.ceil(len(self._symbols) / rows)), max(1, (width + GAP) // self._block_w))
        for b in range(n_blocks):
            if y == 1:
                segments.append(Segment(" " * self._label_w, base))
                segments.append(Segment(self._column_header(), self._style("muted")))
            else:
                s = b * rows + (y - 2)
                if s >= len(self._symbols):
                    break
                segments.append(Segment(self._symbols[s][: self._label_w - 1].ljust(self._label_w), base))
                for step, sign in zip(self._steps[s].tolist(), self._signs[s].tolist(), strict=True):
                    if step < 0:
                        segments.append(Segment("·".center(self._cell_w), self._style("muted")))
                    else:
                        text = cell_glyph(step, sign, self._cell_w).center(self._cell_w)
                        segments.append(Segment(text, self._cell_styles[step]))
            segments.append(Segment(" " * GAP, base))
        hidden = len(self._symbols) - n_blocks * rows
        if y == 1 and hidden > 0:
            segments.append(Segment(f"+{hidden} more", self._style("muted")))
        return Strip(segments).adjust_cell_length(width, base)

    def _column_header(self) -> str:
        if self.mode == "venues":
            return "".join(c.center(self._cell_w) for c in short_labels(self._columns, 2))
        # One cell per hour, oldest on the left: mark every sixth hour back from now.
        n = len(self._columns)
        return "".join("|" if (n - 1 - i) % 6 == 0 else " " for i in range(n))

    def _legend(self, width: int) -> Strip:
        self._style("")
        muted = self._style("muted")
        segments = [Segment(f" {fmt_funding(-self.scale)} ", muted)]
        segments += [Segment(" ", st) for st in self._cell_styles]
        segments.append(Segment(f" {fmt_funding(self.scale)}", muted))
        segments.append(Segment("  · = no data │ +/− sign, doubled past 60 %, saturates beyond", muted))
        if self.mode == "venues":
            legend = " ".join(
                f"{a}={c}" for a, c in zip(short_labels(self._columns, 2), self._columns, strict=False)
            )
            segments.append(Segment(f"   {legend}", muted))
        else:
            segments.append(Segment("   | every 6 h, now on the right", muted))
        return Strip(segments).adjust_cell_length(width, self._style(""))
