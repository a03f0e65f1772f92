"""A partial refresh writes only the changed cells, not the line from the widget's left edge."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from textual._compositor import ChopsUpdate
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
