"""Snapshots of the main screen, the help screen and the no-network live screen at 80x24, 120x30, 200x60
(the terminals it is left open in: an SSH window, a tmux pane, a wide monitor), and of the light theme, an
expanded symbol and the filter prompt at 160x50, on deterministic data.

Regenerate after an intended visual change with ``pytest tests/snapshot --snapshot-update``
and review the SVG diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.demo_app import SIZE, START_MS, make_app
from tests.support.offline import OfflineSource
from tui.app import PerptopApp
from tui.config.loader import AppConfig

SIZES = [(80, 24), (120, 30), (200, 60)]


async def _painted(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        if pilot.app.watchlist.order:
            break
        await pilot.pause()
    await pilot.pause()


def test_main_screen(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=_painted)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen_at(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=size, run_before=_painted)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen_at(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=size, press=["question_mark"], run_before=_painted)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_live_with_no_network_at(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    def clock() -> int:
        return START_MS + 3_000

    watch = ("BTC", "ETH", "SOL")
    config = AppConfig(watchlist=watch, config_watchlist=watch, state_path=tmp_path / "state.json")
    app = PerptopApp(config, mode="live", source=OfflineSource(clock), clock=clock)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        for _ in range(20):
            if app.query_one("#banner").has_class("unreachable"):
                break
            await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


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
