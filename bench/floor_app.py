"""The least a Textual app pays for a screen like perptop's: the stack's floor, for ``bench_peers.py``.

A Textual app with none of perptop's data or signals: every ``--interval`` seconds it writes new
numbers into ``--changes`` cells of each of ``--rows`` lines (each line changes, as each watchlist
row's price and flows do under the simulated market) through the cheapest path Textual offers, a
Line-API widget that keeps its rendered lines and refreshes only those whose text changed.
``--rows 0`` changes a single line (a clock): an app that updates anything at all; ``--colours``
draws each number in one of three colours, as perptop's figures are drawn. Whatever this costs in
CPU and memory, perptop on the same stack cannot cost less; ``bench_peers.py --floor`` measures it
beside btop in the same rounds.

Usage:
    python bench/floor_app.py [--rows 48] [--changes 2] [--colours] [--interval 2.0]
"""

from __future__ import annotations

import argparse
import random
import time

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class NumberRows(Widget):
    """Lines of numbers: one rendered ``Strip`` kept per line, redrawn only where its text changed."""

    # Up, down, level: a figure's colour as perptop's rows have them (truecolour, as its themes resolve).
    INKS = tuple(
        Style(color=Color.from_rgb(*rgb)) for rgb in ((78, 201, 123), (224, 85, 97), (154, 160, 166))
    )

    def __init__(self, rows: int, changes: int, colours: bool) -> None:
        super().__init__()
        self._colours = colours
        self._cells: list[list[str]] = [[] for _ in range(max(rows, 1))]
        self._texts: list[str] = [""] * max(rows, 1)
        self._strips: list[Strip] = [Strip([])] * max(rows, 1)
        self._clock_only = rows == 0
        self._changes = changes
        self._rng = random.Random(7)

    def _number(self) -> str:
        return f"{self._rng.uniform(0.001, 99_999):>12,.3f}"

    def step(self) -> None:
        """New numbers in ``changes`` cells of every line (the clock with ``--rows 0``); refresh the
        lines that changed."""
        width = self.size.width
        for y, cells in enumerate(self._cells):
            if self._clock_only:
                text = time.strftime("%H:%M:%S")
            else:
                if len(cells) != max(width // 13, 1):  # the first step, or a new width
                    cells[:] = [self._number() for _ in range(max(width // 13, 1))]
                for _ in range(self._changes):
                    cells[self._rng.randrange(len(cells))] = self._number()
                text = f"{y:>3} " + " ".join(cells)
            text = text[:width].ljust(width)
            if text != self._texts[y]:
                self._texts[y] = text
                self._strips[y] = self._strip(text, cells, width)
                self.refresh_line(y)

    def _strip(self, text: str, cells: list[str], width: int) -> Strip:
        """The line as one segment, or with ``--colours`` each number in the ink of its last digit."""
        if not self._colours or not cells:
            return Strip([Segment(text)], width)
        segments = [Segment(text[:4])]
        for n, cell in enumerate(cells):
            if n:
                segments.append(Segment(" "))
            segments.append(Segment(cell, self.INKS[int(cell[-1]) % 3]))
        used = 4 + len(" ".join(cells))
        if used < width:
            segments.append(Segment(" " * (width - used)))
        return Strip(segments, width).crop(0, width)

    def render_line(self, y: int) -> Strip:
        """The kept line ``y`` (blank below the last)."""
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)

    def refresh_line(self, y: int) -> None:
        """Repaint line ``y`` only."""
        self.refresh(Region(0, y, self.size.width, 1))


class FloorApp(App[None]):
    """One ``NumberRows`` and one timer: nothing else runs."""

    CSS = "NumberRows { height: 1fr; }"

    def __init__(self, rows: int, changes: int, colours: bool, interval: float) -> None:
        super().__init__()
        self._rows = NumberRows(rows, changes, colours)
        self._interval = interval

    def compose(self) -> ComposeResult:
        yield self._rows

    def on_mount(self) -> None:
        self.call_after_refresh(self._rows.step)
        self.set_interval(self._interval, self._rows.step, name="step")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=48, help="lines of numbers (0: one clock line)")
    ap.add_argument("--changes", type=int, default=2, help="cells of each line that change at an update")
    ap.add_argument("--colours", action="store_true", help="each number in one of three colours")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between updates (perptop's paint)")
    args = ap.parse_args()
    FloorApp(args.rows, args.changes, args.colours, args.interval).run()


if __name__ == "__main__":
    main()
