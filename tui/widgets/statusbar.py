"""The status bar: each venue's state and data age, the last error, the mode, PAUSED, and a UTC clock.

It is one line that changes on every paint (clock, ages); ``show`` compares the new line with the one
on screen and refreshes only the cells that differ, so the clock costs a few bytes a paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from feeds.messages import VenueStatus
from signals.formats import fmt_age
from signals.times import utc_text
from tui.widgets.linediff import Span, changed_runs, flatten

STYLE_NAMES = ("ok", "stale", "error", "muted", "mode", "paused", "clock")


def status_spans(
    venues: Sequence[VenueStatus],
    now_ms: int,
    mode: str,
    paused: bool,
    stale_after_s: float,
    extra: Sequence[Span] = (),
) -> list[Span]:
    """The status line as (text, style name) spans.

    A venue reported ``ok`` whose latest data is older than ``stale_after_s`` shows as ``stale``;
    ``extra`` (alerts, events while away) comes after the mode.
    """
    spans: list[Span] = []
    for i, v in enumerate(venues):
        age_s = (now_ms - v.last_data_ms) / 1000 if v.last_data_ms else None
        state = v.state
        if state == "ok" and age_s is not None and age_s > stale_after_s:
            state = "stale"
        if i:
            spans.append((" │ ", "muted"))
        spans.append((f"{v.venue} ", ""))
        spans.append((state, state if state in STYLE_NAMES else "stale"))
        if age_s is not None:
            spans.append((f" {fmt_age(age_s)}", "muted"))
        if v.detail and state != "ok":
            spans.append((f" {v.detail[:40]}", "error"))
        elif state == "ok" and "backfill " in v.detail:  # history still loading: say how far
            progress = v.detail[v.detail.index("backfill ") :].split(";")[0]
            spans.append((f" {progress}", "muted"))
    spans.append(("  ", ""))
    spans.append((f" {mode.upper()} ", "mode"))
    if paused:
        spans.append((" ", ""))
        spans.append((" PAUSED ", "paused"))
    spans.extend(extra)
    spans.append(("  ? help", "muted"))
    return spans


class StatusBar(Widget):
    """One line: venue health on the left, the UTC clock on the right."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $surface; color: $foreground; }
    StatusBar > .statusbar--ok { color: $success; }
    StatusBar > .statusbar--stale { color: $stale; text-style: bold; }
    StatusBar > .statusbar--error { color: $error; text-style: bold; }
    StatusBar > .statusbar--muted { color: $muted; }
    StatusBar > .statusbar--mode { background: $warning; color: $background; text-style: bold; }
    StatusBar > .statusbar--paused { background: $accent; color: $background; text-style: bold; }
    StatusBar > .statusbar--clock { color: $foreground; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"statusbar--{name}" for name in STYLE_NAMES}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells: list[tuple[str, str]] = []
        self._strip: Strip | None = None
        self._last: tuple[Sequence[Span], int] | None = None  # what show() was last given
        self._styles: dict[str, Style] = {}

    @property
    def text(self) -> str:
        """The status line as plain text (for tests)."""
        return "".join(ch for ch, _ in self._cells)

    def show(self, spans: Sequence[Span], now_ms: int) -> None:
        """Display ``spans`` on the left and the clock for ``now_ms`` on the right; repaint what changed."""
        self._last = (spans, now_ms)
        width = max(self.size.width, 1)
        clock = utc_text(now_ms, seconds=True)
        left = flatten(spans)
        room = width - len(clock) - 2
        if len(left) > room:
            left = left[: max(room, 0)]
        cells = [(" ", ""), *left]
        cells += [(" ", "")] * max(0, width - len(cells) - len(clock) - 1)
        cells += flatten([(clock, "clock"), (" ", "")])
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
