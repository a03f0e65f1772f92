"""Two fixes for Textual 8.2.8 that a monitor left open all day pays for: output bytes and idle CPU.

1. Partial screen updates write only the cells that changed.

When part of a line is refreshed, Textual's ``ChopsUpdate.render_segments`` crops the widget's strip
from the widget's *left edge* to the end of the changed span (``strip.crop(0, ...)``), so a price
that changes at column 40 of the watchlist rewrites columns 0-40 too. Measured with the watchlist
(50 symbols, 160 columns): 7.6 KB of terminal output per tick, ~2.2 KB with this fix. Over SSH that
difference is the budget.

The replacement is the same method with the crop starting at the span, and it writes a cropped chop's
cells straight from its segments with plain cursor moves (``CSI row;col H``) rather than through a cropped
``Strip`` and rich's ``Control``: building those was about a sixth of the monitor's busy time at 50 symbols.

2. A partial update renders only the widgets a changed region touches.

Textual renders every widget that overlaps the bounding box of all the changed regions: the status bar's
clock on the bottom line and a price near the top made it render the heatmap and the scrollbar between
them at every tick, each through its styles cache. The replacement renders a widget only where a changed
region meets it, in the band of lines between the first and the last it touches; what is written is the
same, as the patched ``render_segments`` writes only the cells of the changed regions.

3. The input thread sleeps longer while the keyboard is idle.

Textual's Linux input thread wakes every 0.1 s (``selector.select(0.1)``) even when nothing is typed:
measured at 0.2 % of a core, a fifth of the whole watchlist budget. The short timeout matters only
right after input (a lone Esc is told from an escape sequence by a timeout), so the selector waits
IDLE_WAIT_S while the keyboard has been quiet for a second and 0.1 s otherwise. Keys still arrive at
once (select returns on input); only quitting can take up to IDLE_WAIT_S longer.

All three are installed only on the exact Textual version they were written against (Textual is pinned
exactly in pyproject.toml); tests/test_textual_patch.py checks them.
"""

from __future__ import annotations

import selectors
import time
import types
from pathlib import Path

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from textual.geometry import Region
from textual.strip import Strip

PATCHED_VERSION = "8.2.8"


def _render_segments(self, console: Console) -> str:  # type: ignore[no-untyped-def]
    """``ChopsUpdate.render_segments`` with chops cropped to the update spans on both sides.

    A chop inside a span is written whole (its rendering is cached on the strip); one that sticks out of it
    has only the span's cells written, straight from its segments (``_cells_text``).
    """
    sequences: list[str] = []
    append = sequences.append
    chops = self.chops
    chop_ends = self.chop_ends
    last_y = self.spans[-1][0]
    color_system = console._color_system or ColorSystem.TRUECOLOR
    for y, x1, x2 in self.spans:
        line = chops[y]
        ends = chop_ends[y]
        row = y + 1
        for end, (x, strip) in zip(ends, line.items(), strict=False):
            if strip is None or x >= x2 or end <= x1:  # x2 is past the span: a chop there has no cell in it
                continue
            if x >= x1 and end <= x2:
                append(f"\x1b[{row};{x + 1}H")
                append(strip.render(console))
                continue
            start = max(x, x1)
            append(f"\x1b[{row};{start + 1}H")
            append(_cells_text(strip, start - x, min(end, x2) - x, console, color_system))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def _cells_text(strip: Strip, start: int, end: int, console: Console, color_system: ColorSystem) -> str:
    """The terminal text of cells ``start`` to ``end`` of ``strip``: what ``strip.crop(start, end).render()``
    writes, without building the cropped ``Strip`` (a Strip makes five small caches as it is created: that was
    most of the cost of writing a changed price)."""
    length = strip.cell_length
    start = max(0, start)
    end = min(length, end)
    if start == 0 and end == length:
        return strip.render(console)
    if end <= start:
        return ""
    render = Strip.render_style
    out: list[str] = []
    pos = 0
    to_end = end >= length  # crop keeps the zero-width segments after the last cell then
    for segment in strip._segments:
        text, style, _ = segment
        seg_end = pos + cell_len(text)
        if seg_end > start and (pos < end or to_end):
            if pos < start:
                segment = segment.split_cells(start - pos)[1]
                pos = start
            if seg_end > end:
                segment = segment.split_cells(end - pos)[0]
            text = segment.text
            out.append(text if style is None else render(style, text, color_system=color_system))
        elif pos >= end and not to_end:
            break
        pos = seg_end
    return "".join(out)


def _render_partial_update(self):  # type: ignore[no-untyped-def]
    """``Compositor.render_partial_update`` rendering each widget only in the band of lines a changed region
    meets (Textual: every widget overlapping the regions' bounding box, all of its lines)."""
    from textual._compositor import ChopsUpdate

    update_regions = self._dirty_regions.copy()
    self._dirty_regions.clear()
    if not update_regions:
        return None
    screen = self.size.region
    dirty = [region for r in update_regions if (region := r.intersection(screen))]
    if not dirty:
        return None
    spans = list(self._regions_to_spans(set(dirty)))
    is_rendered_line = {y for y, _, _ in spans}.__contains__
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    for widget, (region, clip) in self.visible_widgets.items():  # front to back: the first chop wins
        shown = region.intersection(clip)
        met = [r for r in dirty if r.overlaps(shown)]
        if not met:
            continue
        top = max(shown.y, min(r.y for r in met))
        bottom = min(shown.bottom, max(r.bottom for r in met))
        band = Region(shown.x, top, shown.width, bottom - top)
        strips = widget.render_lines(Region(band.x - region.x, band.y - region.y, band.width, band.height))
        first_cut, last_cut = band.column_span
        for y, strip in zip(band.line_range, strips, strict=False):
            if not is_rendered_line(y):
                continue
            line = chops[y]
            final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            for cut, piece in zip(
                final_cuts, strip.divide([c - band.x for c in final_cuts[1:]]), strict=False
            ):
                if line.get(cut) is None:
                    line[cut] = piece
    return ChopsUpdate(chops, spans, [cut_set[1:] for cut_set in cuts])


IDLE_WAIT_S = 0.5
RECENT_INPUT_S = 1.0


class _IdleAwareSelector:
    """A SelectSelector whose wait stretches to IDLE_WAIT_S once input has been quiet for a while."""

    def __init__(self) -> None:
        self._selector = selectors.SelectSelector()
        self._last_input = time.monotonic()

    def register(self, fileobj: int, events: int) -> selectors.SelectorKey:
        return self._selector.register(fileobj, events)

    def unregister(self, fileobj: int) -> selectors.SelectorKey:
        return self._selector.unregister(fileobj)

    def close(self) -> None:
        self._selector.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        now = time.monotonic()
        if timeout is not None and now - self._last_input > RECENT_INPUT_S:
            timeout = max(timeout, IDLE_WAIT_S)
        events = self._selector.select(timeout)
        if events:
            self._last_input = time.monotonic()
        return events


class _SelectorsForInput(types.SimpleNamespace):
    """What ``textual.drivers.linux_driver`` uses of the ``selectors`` module, with the idle-aware selector."""


def install() -> bool:
    """Install the fixes if the running Textual is the version they were written for; True if installed."""
    import textual
    from textual._compositor import ChopsUpdate, Compositor
    from textual.drivers import linux_driver

    if _textual_version(textual.__file__) != PATCHED_VERSION:
        return False
    ChopsUpdate.render_segments = _render_segments  # type: ignore[method-assign]
    Compositor.render_partial_update = _render_partial_update  # type: ignore[method-assign]
    linux_driver.selectors = _SelectorsForInput(  # type: ignore[attr-defined,assignment]
        SelectSelector=_IdleAwareSelector, EVENT_READ=selectors.EVENT_READ, SelectorKey=selectors.SelectorKey
    )
    return True


def _textual_version(init_file: str | None) -> str | None:
    """The installed Textual's version, from its distribution folder's name beside the package.

    Not ``textual.__version__``: that loads ``importlib.metadata`` (24 ms, a twentieth of the first frame's
    budget). Falls back to it when the folder is not there (an unusual install)."""
    if init_file:
        site = Path(init_file).resolve().parent.parent
        names = [p.name for p in site.glob("textual-*.dist-info")]
        if len(names) == 1:
            return names[0][len("textual-") : -len(".dist-info")]
    import textual

    return getattr(textual, "__version__", None)
