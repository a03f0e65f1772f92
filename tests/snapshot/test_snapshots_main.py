"""Snapshots of the main screen, the help screen and the light theme at 160x50 on deterministic data.

Regenerate after an intended visual change with ``pytest tests/snapshot --snapshot-update``
and review the SVG diff.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.demo_app import SIZE, make_app


async def _painted(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        if pilot.app.watchlist.order:
            break
        await pilot.pause()
    await pilot.pause()


def test_main_screen(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=_painted)


def test_main_screen_expanded_and_heatmap_by_hour(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _painted(pilot)
        await pilot.press("down", "right", "h")
        await pilot.pause()

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, press=["question_mark"], run_before=_painted)


def test_light_theme(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path, theme="light"), terminal_size=SIZE, run_before=_painted)


def test_filter_prompt_over_the_watchlist(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The typed text must show in the prompt, and the filtered watchlist must stay visible behind it
    # (an app-wide Screen rule once made every modal opaque, and Input:focus hid the text).
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _painted(pilot)
        await pilot.press("slash", "S", "O")
        await pilot.pause()

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=run_before)
