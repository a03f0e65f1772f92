"""The status bar at every width: what gives way first (clock, then error details, then venues), and what
never does (the mode, the notes, ``? help``)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from feeds.messages import VenueStatus
from tui.widgets.statusbar import StatusBar, status_spans

NOW = 1_767_225_600_000  # 2026-01-01 00:00 UTC
DETAIL = "cannot connect (All connection attempts failed) on /fapi/v1/fundingInfo"
VENUES = tuple(VenueStatus(v, "error", DETAIL, 0) for v in ("binance", "bybit", "okx", "hyperliquid"))
OK = tuple(VenueStatus(v, "ok", "", NOW - 2_000) for v in ("simA", "simB", "simC", "simD"))


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from themes.loader import theme_variable_defaults

        return theme_variable_defaults()


async def shown(width: int, venues: tuple[VenueStatus, ...], mode: str = "live", **kw: object) -> str:
    app = Host()
    async with app.run_test(size=(width, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.show(status_spans(venues, NOW, mode, False, 30.0, **kw), NOW)  # type: ignore[arg-type]
        await pilot.pause()
        return bar.text


async def test_at_80_columns_the_clock_goes_and_the_mode_and_help_stay() -> None:
    text = await shown(80, OK, "demo")
    assert "DEMO" in text and text.rstrip().endswith("? help") and "UTC" not in text
    assert "simA ok 2s" in text and "simD ok 2s" in text


async def test_a_wide_bar_shows_the_clock() -> None:
    text = await shown(200, OK, "demo")
    assert text.rstrip().endswith("2026-01-01 00:00:00 UTC")


async def test_error_details_give_way_before_any_venue_state() -> None:
    text = await shown(80, VENUES)
    assert "binance error │ bybit error │ okx error │ hyperliquid error" in text
    assert "cannot connect" not in text and "LIVE" in text and "? help" in text


async def test_details_shown_where_there_is_room_are_cut_at_a_word() -> None:
    text = await shown(400, VENUES)
    assert "binance error cannot connect (All connection attempts…" in text


@pytest.mark.parametrize("width", [40, 60])
async def test_venues_are_cut_with_an_ellipsis_before_the_mode_or_notes(width: int) -> None:
    text = await shown(width, VENUES, notes=[("filter: eth", "paused")])
    assert "LIVE" in text and "filter: eth" in text and "? help" in text
    assert "…" in text and len(text) == width
