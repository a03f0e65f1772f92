"""The status bar: each venue's state and data age, the last error, the mode, PAUSED, and a UTC clock.

It is one line that changes on every paint (clock, ages); ``show`` compares the new line with the one
on screen and refreshes only the cells that differ, so the clock costs a few bytes a paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from feeds.messages import VenueStatus
from signals.formats import fmt_age, shorten
from signals.times import utc_text
from tui.widgets.linediff import Span, changed_runs, flatten

SEPARATOR, TIGHT_SEPARATOR = " │ ", "│"  # between venues; the tight one where every cell counts
DETAIL_CHARS = 40  # a venue's error in the status line, cut at a word (the full text is in the drill-down)
STYLE_NAMES = ("ok", "stale", "error", "detail", "muted", "aside", "mode", "paused", "clock")
BADGES = ("mode", "paused")  # styles drawn on a coloured background: a note in one gets a cell of margin


class StatusLine(NamedTuple):
    """The status line in two parts: ``head`` (the venues) gives way first, ``tail`` (mode, alerts,
    ``? help``) is always shown; the clock is dropped before the tail is cut."""

    head: list[Span]
    tail: list[Span]


def status_spans(
    venues: Sequence[VenueStatus],
    now_ms: int,
    mode: str,
    paused: bool,
    stale_after_s: float,
    extra: Sequence[Span] = (),
    notes: Sequence[Span] = (),
) -> StatusLine:
    """The status line as (text, style name) spans.

    A venue reported ``ok`` whose latest data is older than ``stale_after_s`` shows as ``stale``; a
    venue's detail is cut at a word. ``notes`` (a filter, flagged only, recording off) and ``extra``
    (alerts, events while away) come after the mode; a note in a badge style is padded to look like one,
    any other is a plain coloured word (``recording off``), which keeps the tail short at 80 columns.
    """
    spans: list[Span] = []
    for i, v in enumerate(venues):
        age_s = (now_ms - v.last_data_ms) / 1000 if v.last_data_ms else None
        state = v.state
        if state == "ok" and age_s is not None and age_s > stale_after_s:
            state = "stale"
        if i:
            spans.append((SEPARATOR, "muted"))
        spans.append((f"{v.venue} ", ""))
        spans.append((state, state if state in STYLE_NAMES else "stale"))
        if age_s is not None:
            spans.append((f" {fmt_age(age_s)}", "aside"))
        if v.detail and state != "ok":
            spans.append((f" {shorten(v.detail.split(';')[0], DETAIL_CHARS)}", "detail"))
        elif state == "ok" and "backfill " in v.detail:  # history still loading: say how far
            progress = v.detail[v.detail.index("backfill ") :].split(";")[0]
            spans.append((f" {progress}", "aside"))
    tail: list[Span] = [("  ", ""), (f" {mode.upper()} ", "mode")]
    if paused:
        tail += [(" ", ""), (" PAUSED ", "paused")]
    for text, style in notes:
        tail += [(" ", ""), (f" {text} " if style in BADGES else text, style)]
    tail.extend(extra)
    tail.append(("  ? help", "muted"))
    return StatusLine(spans, tail)


class StatusBar(Widget):
    """One line: venue health on the left, the UTC clock on the right."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $surface; color: $foreground; }
    StatusBar > .statusbar--ok { color: $success; }
    StatusBar > .statusbar--stale { color: $stale; text-style: bold; }
    StatusBar > .statusbar--error { color: $error; text-style: bold; }
    StatusBar > .statusbar--detail { color: $error; }
    StatusBar > .statusbar--muted { color: $muted; }
    StatusBar > .statusbar--aside { color: $muted; }
    StatusBar > .statusbar--mode { background: $warning; color: $background; text-style: bold; }
    StatusBar > .statusbar--paused { background: $accent; color: $background; text-style: bold; }
    StatusBar > .statusbar--clock { color: $foreground; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"statusbar--{name}" for name in STYLE_NAMES}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells: list[tuple[str, str]] = []
        self._strip: Strip | None = None
        self._last: tuple[StatusLine, int] | None = None  # what show() was last given
        self._styles: dict[str, Style] = {}

    @property
    def text(self) -> str:
        """The status line as plain text (for tests)."""
        return "".join(ch for ch, _ in self._cells)

    def show(self, line: StatusLine, now_ms: int) -> None:
        """Display ``line`` and the clock for ``now_ms`` on the right; repaint what changed.

        When it does not fit, the clock goes first, then the venues' error details, then their asides (data
        ages and backfill progress: every venue's state stays, and a late venue says ``stale``), then the
        spaces around the venues' separators, then the venues are cut (at a cell, with ``…``); the mode,
        the notes and ``? help`` always show.
        """
        self._last = (line, now_ms)
        width = max(self.size.width, 1)
        clock = utc_text(now_ms, seconds=True)
        head, tail = flatten(line.head), flatten(line.tail)
        if 1 + len(head) + len(tail) + len(clock) + 2 > width:
            clock = ""
        room = width - 1 - len(tail) - (len(clock) + 2 if clock else 1)
        if len(head) > room:
            head = flatten([span for span in line.head if span[1] != "detail"])
        if len(head) > room:
            head = flatten([span for span in line.head if span[1] not in ("detail", "aside")])
        if len(head) > room:
            states = [span for span in line.head if span[1] not in ("detail", "aside")]
            head = flatten([(TIGHT_SEPARATOR, s) if t == SEPARATOR else (t, s) for t, s in states])
        if len(head) > room:
            head = [*head[: max(room - 1, 0)], ("…", "muted")] if room > 0 else []
        cells = [(" ", ""), *head, *tail][:width]
        if clock:
            cells += [(" ", "")] * max(0, width - len(cells) - len(clock) - 1)
            cells += flatten([(clock, "clock"), (" ", "")])
        cells += [(" ", "")] * max(0, width - len(cells))
        if cells == self._cells:
            return
        runs = changed_runs(self._cells, cells)
        self._cells = cells
        self._strip = None
        for start, end in runs:
            self.refresh(Region(start, 0, end - start, 1))

    def notify_style_update(self) -> None:
        """The theme changed: rebuild styles and the cached line."""
        super().notify_style_update()
        self._styles = {}
        self._strip = None

    def on_resize(self) -> None:
        """Cells were laid out for the old width: lay the last status out again now, not at the next paint."""
        self._cells = []
        self._strip = None
        if self._last is not None:
            self.show(*self._last)

    def render_line(self, y: int) -> Strip:
        """The cached status line."""
        width = self.size.width
        if y or not self._cells:
            return Strip.blank(width, self.rich_style)
        if self._strip is None:
            self._strip = self._build(width)
        return self._strip

    def _style(self, name: str) -> Style:
        if not self._styles:
            base = self.rich_style
            self._styles = {"": base}
            for n in STYLE_NAMES:
                self._styles[n] = base + self.get_component_rich_style(f"statusbar--{n}")
        return self._styles.get(name, self._styles[""])

    def _build(self, width: int) -> Strip:
        segments: list[Segment] = []
        run, run_style = "", None
        for ch, style in self._cells[:width]:
            if style != run_style and run:
                segments.append(Segment(run, self._style(run_style or "")))
                run = ""
            run_style = style
            run += ch
        if run:
            segments.append(Segment(run, self._style(run_style or "")))
        return Strip(segments).adjust_cell_length(width, self._style(""))
