"""The filter prompt as a user sees it: the typed text in the prompt, the filtered rows behind it."""

from __future__ import annotations

from pathlib import Path

from tests.snapshot.test_snapshots_main import _painted
from tests.support.demo_app import SIZE, make_app


async def test_typed_filter_text_and_filtered_rows_are_on_screen(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _painted(pilot)
        await pilot.press("slash", "S", "O")
        await pilot.pause()
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
    assert any("filter:" in line and "SO" in line for line in lines)
    assert any(line.lstrip("▸▾ ").startswith("SOL ") for line in lines)  # the watchlist shows through
    assert not any(line.lstrip("▸▾ ").startswith("BTC ") for line in lines)
