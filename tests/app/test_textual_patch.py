"""A partial refresh writes only the changed cells, not the line from the widget's left edge."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tui import textual_patch

ORIGINAL = ChopsUpdate.render_segments


class Board(Widget):
    """80 columns of dots with one 6-cell field at column 60 that changes."""

    value = "AAAAAA"

    def render_line(self, y: int) -> Strip:
        return Strip([Segment("." * 60), Segment(self.value), Segment("." * 14)])


class BoardApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Board()


async def _bytes_of_field_update(render_segments) -> str:  # type: ignore[no-untyped-def]
    written: list[str] = []
    app = BoardApp()
    async with app.run_test(size=(80, 3)) as pilot:
        await pilot.pause()
        original_display = app._display

        def capture(screen, update):  # type: ignore[no-untyped-def]
            if isinstance(update, ChopsUpdate):
                written.append(render_segments(update, app.console))
            original_display(screen, update)

        app._display = capture  # type: ignore[method-assign]
        board = app.query_one(Board)
        board.value = "BBBBBB"
        board.refresh(Region(60, 0, 6, 1))
        await pilot.pause()
    return "".join(written)


@pytest.mark.asyncio
async def test_only_the_changed_field_is_written() -> None:
    fixed = await _bytes_of_field_update(textual_patch._render_segments)
    assert "BBBBBB" in fixed
    assert "." not in fixed  # none of the 60 unchanged cells to its left


@pytest.mark.asyncio
async def test_the_unpatched_method_rewrites_from_the_left_edge() -> None:
    # Documents why the patch exists; if Textual fixes this, the patch can go.
    unpatched = await _bytes_of_field_update(ORIGINAL)
    assert "." * 60 in unpatched


def test_installed_only_on_the_pinned_version() -> None:
    import textual

    assert textual_patch.install() == (textual.__version__ == textual_patch.PATCHED_VERSION)


def test_idle_keyboard_waits_longer_but_input_is_returned_at_once() -> None:
    import os
    import time

    selector = textual_patch._IdleAwareSelector()
    read_end, write_end = os.pipe()
    try:
        selector.register(read_end, textual_patch.selectors.EVENT_READ)
        selector._last_input -= 10  # quiet for ten seconds
        t0 = time.monotonic()
        assert selector.select(0.1) == []
        assert time.monotonic() - t0 >= textual_patch.IDLE_WAIT_S * 0.9  # not woken 10 times a second
        os.write(write_end, b"q")
        events = selector.select(0.1)
        assert [key.fd for key, _ in events] == [read_end]  # a key press is not held back
    finally:
        selector.close()
        os.close(read_end)
        os.close(write_end)


def test_the_input_thread_uses_the_idle_aware_selector_once_installed() -> None:
    from textual.drivers import linux_driver

    assert textual_patch.install()
    assert linux_driver.selectors.SelectSelector is textual_patch._IdleAwareSelector


def _console() -> Console:
    return Console(color_system="truecolor", force_terminal=True, width=80)


RED = Style(color="red")
BOLD = Style(bold=True)


def test_a_span_inside_a_chop_writes_a_cursor_move_and_only_its_cells() -> None:
    # Two chops on line 0 (cells 0-5 and 6-9) and one on line 2; spans cut into the first and the third.
    chops: list[dict[int, Strip | None]] = [
        {0: Strip([Segment("ab", RED), Segment("cdef", BOLD)]), 6: Strip([Segment("ghij")])},
        {0: None},
        {0: Strip([Segment("a中b", RED), Segment("xyz")])},
    ]
    update = ChopsUpdate(chops, [(0, 1, 4), (2, 2, 4)], [[6, 10], [10], [7]])
    expected = (
        "\x1b[1;2H"
        "\x1b[31mb\x1b[0m"
        "\x1b[1mcd\x1b[0m"  # cells 1-3: "b" red, "cd" bold
        "\n"
        "\x1b[3;3H"
        "\x1b[31m b\x1b[0m"  # a cut through a wide character leaves a space in its place
    )
    assert textual_patch._render_segments(update, _console()) == expected


def test_a_chop_inside_a_span_is_written_whole_and_one_outside_not_at_all() -> None:
    chops = [{0: Strip([Segment("ab", RED)]), 2: Strip([Segment("cd", BOLD)]), 4: Strip([Segment("ef")])}]
    update = ChopsUpdate(chops, [(0, 2, 4)], [[2, 4, 6]])
    assert textual_patch._render_segments(update, _console()) == "\x1b[1;3H\x1b[1mcd\x1b[0m"


def test_partial_chops_write_what_textuals_crop_would() -> None:
    # Textual's own crop and render are the reference: every span over a line of mixed segments,
    # including empty ones and wide characters.
    strip = Strip(
        [Segment("ab", RED), Segment("", BOLD), Segment("中c", BOLD), Segment("de"), Segment("", RED)]
    )
    console = _console()
    width = strip.cell_length
    for x1 in range(width):
        for x2 in range(x1 + 1, width + 1):
            update = ChopsUpdate([{0: strip}], [(0, x1, x2)], [[width]])
            got = textual_patch._render_segments(update, console)
            want = f"\x1b[1;{x1 + 1}H" + strip.crop(x1, x2).render(console)
            assert got == want, (x1, x2)


ORIGINAL_PARTIAL = Compositor.render_partial_update


class Counted(Widget):
    """Lines of one letter that count how often the widget was rendered."""

    DEFAULT_CSS = "Counted { height: 4; }"

    def __init__(self, letter: str, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.letter = letter
        self.renders = 0

    def render_lines(self, crop: Region) -> list[Strip]:
        self.renders += 1
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        return Strip([Segment(f"{self.letter}{y}" * (self.size.width // 2), RED if y % 2 else BOLD)])


class Stack(App[None]):
    def compose(self) -> ComposeResult:
        yield Counted("a", id="top")
        yield Counted("b", id="middle")
        yield Counted("c", id="bottom")


def _update(app: Stack, regions: list[Region], partial: object) -> str:
    """What a partial update of ``regions`` (screen coordinates) writes, rendered by ``partial``."""
    compositor = app.screen._compositor
    compositor._dirty_regions.clear()
    compositor._dirty_regions.update(regions)
    update = partial(compositor)  # type: ignore[operator]
    return "" if update is None else textual_patch._render_segments(update, app.console)


@pytest.mark.asyncio
async def test_a_partial_update_renders_only_the_widgets_it_meets() -> None:
    app = Stack()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        middle = app.query_one("#middle", Counted)
        before = middle.renders
        # A cell near the top and one on the bottom line: the middle widget lies between them.
        written = _update(
            app, [Region(3, 1, 2, 1), Region(10, 11, 4, 1)], textual_patch._render_partial_update
        )
        assert middle.renders == before
        assert "\x1b[2;4H" in written and "\x1b[12;11H" in written
        _update(app, [Region(3, 1, 2, 1), Region(10, 11, 4, 1)], ORIGINAL_PARTIAL)
        assert middle.renders > before  # Textual's own renders everything in the bounding box


@pytest.mark.asyncio
async def test_a_partial_update_writes_what_textuals_own_writes() -> None:
    app = Stack()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        cases = [
            [Region(3, 1, 2, 1), Region(10, 11, 4, 1)],
            [Region(0, 0, 40, 12)],
            [Region(5, 3, 30, 3), Region(0, 7, 1, 1), Region(39, 11, 1, 1)],  # across widget edges
            [Region(38, 2, 2, 10), Region(0, 4, 40, 1)],  # the right edge, and a whole line
        ]
        for regions in cases:
            ours = _update(app, regions, textual_patch._render_partial_update)
            assert ours == _update(app, regions, ORIGINAL_PARTIAL), regions
