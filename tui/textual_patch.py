"""A fix for Textual 8.2.8's partial screen updates: write only the cells that changed.

When part of a line is refreshed, Textual's ``ChopsUpdate.render_segments`` crops the widget's strip
from the widget's *left edge* to the end of the changed span (``strip.crop(0, ...)``), so a price
that changes at column 40 of the watchlist rewrites columns 0-40 too. Measured with the watchlist
(50 symbols, 160 columns): 7.6 KB of terminal output per tick, ~2.2 KB with this fix. Over SSH that
difference is the budget.

The replacement is the same method with the crop starting at the span. It is installed only on the
exact Textual version it was written against (Textual is pinned exactly in pyproject.toml);
tests/test_textual_patch.py checks the bytes a partial update writes.
"""

from __future__ import annotations

from rich.console import Console
from rich.control import Control

PATCHED_VERSION = "8.2.8"


def _render_segments(self, console: Console) -> str:  # type: ignore[no-untyped-def]
    """``ChopsUpdate.render_segments`` with chops cropped to the update spans on both sides."""
    sequences: list[str] = []
    append = sequences.append
    chops = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        line = chops[y]
        ends = chop_ends[y]
        for end, (x, strip) in zip(ends, line.items()):
            if strip is None or x > x2 or end <= x1:
                continue
            if x2 > x >= x1 and end <= x2:
                append(Control.move_to(x, y).segment.text)
                append(strip.render(console))
                continue
            start = max(x, x1)
            strip = strip.crop(start - x, min(end, x2) - x)
            append(Control.move_to(start, y).segment.text)
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def install() -> bool:
    """Install the fix if the running Textual is the version it was written for; True if installed."""
    import textual
    from textual._compositor import ChopsUpdate

    if getattr(textual, "__version__", None) != PATCHED_VERSION:
        return False
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    return True
