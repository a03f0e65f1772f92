"""The live monitor asked to record into a store it cannot use says so on screen: "recording off" in the
status bar at every width (the mode and ``? help`` stay, and so does every venue's state at 80 columns),
and the reason once as a notification. A store that works shows no such thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from feeds.live.source import LiveSource
from feeds.messages import VenueStatus
from tests.fake_exchange import FakeExchange
from tests.support.live import VENUES, options, until
from tui.app import PerptopApp
from tui.cli.monitor import open_history
from tui.config.loader import AppConfig
from tui.widgets.statusbar import StatusBar, status_spans

NOW = 1_767_225_600_000  # 2026-01-01 00:00 UTC
NOT_A_STORE = "these are not the bytes of a database\n" * 100


def _config(tmp_path: Path, store: Path) -> AppConfig:
    return AppConfig(
        watchlist=("BTC",),
        config_watchlist=("BTC",),
        state_path=tmp_path / "state.json",
        poll_interval=0.5,
        paint_interval=0.25,
        store_path=store,
    )


async def _run(tmp_path: Path, store: Path, size: tuple[int, int]) -> tuple[str, list[str], str, PerptopApp]:
    """The status line once every venue is ok, the notifications, what open_history said, and the app."""
    async with FakeExchange(["BTC"]) as fx:
        src = LiveSource(
            ["BTC"], list(VENUES), 0.5, options(fx), timeout_s=1.0, backfill=False, ws_ping_s=0.5
        )
        config = _config(tmp_path, store)
        writer, off = open_history(config, src.step_ms)  # as `perptop` does before the screen takes over
        app = PerptopApp(config, mode="live", source=src, history=writer, recording_off=off)
        async with app.run_test(size=size) as pilot:
            await until(
                lambda: all(s.state == "ok" for s in src.health(src.clock()).venues),
                timeout=15,
                what="every venue ok",
            )
            app.paint(force=True)
            await pilot.pause()
            text = app.query_one(StatusBar).text
            toasts = [f"{n.title}: {n.message}" for n in app._notifications]
            await pilot.press("q")
        assert app.close_history()
    return text, toasts, off, app


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_an_unusable_store_shows_recording_off_and_says_why_once(
    tmp_path: Path, size: tuple[int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "junk.sqlite3"
    store.write_text(NOT_A_STORE)
    text, toasts, off, _ = await _run(tmp_path, store, size)
    assert "recording off" in text
    assert "LIVE" in text and "? help" in text and len(text) == size[0]
    # every venue's state is still there beside it, at 80 columns too (their ages give way first)
    for venue in VENUES:
        assert re.search(rf"\b{venue} ok\b", text), (venue, text)
    assert "…" not in text
    # the reason, naming the file, once; the stderr line said the same before the screen hid it
    said = [t for t in toasts if t.startswith("recording off:")]
    assert len(said) == 1 and str(store) in said[0] and "not an SQLite database" in said[0]
    assert "[store] record = false" in said[0]  # what to do, its brackets shown, not read as markup
    assert off and off in capsys.readouterr().err
    assert store.read_text() == NOT_A_STORE  # the file it could not use is left as it was


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_a_working_store_shows_no_recording_off(tmp_path: Path, size: tuple[int, int]) -> None:
    store = tmp_path / "history.sqlite3"
    text, toasts, off, app = await _run(tmp_path, store, size)
    assert off == "" and app.history is not None and store.stat().st_size > 0
    assert "recording off" not in text and "LIVE" in text and "? help" in text
    assert not any("recording off" in t for t in toasts)


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar()

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from themes.loader import theme_variable_defaults

        return theme_variable_defaults()


async def test_at_80_columns_ages_and_backfill_progress_give_way_before_any_venue_is_cut() -> None:
    venues = tuple(VenueStatus(v, "ok", "backfill 3/12" if v == "okx" else "", NOW - 12_000) for v in VENUES)
    app = _Host()
    async with app.run_test(size=(80, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.show(status_spans(venues, NOW, "live", False, 30.0, notes=[("recording off", "error")]), NOW)
        await pilot.pause()
        narrow = bar.text
        await pilot.resize_terminal(160, 3)
        await pilot.pause()
        wide = bar.text
    assert narrow.startswith(" binance ok │ bybit ok │ okx ok │ hyperliquid ok  ")
    assert "12s" not in narrow and "backfill" not in narrow
    assert narrow.rstrip().endswith(" LIVE  recording off  ? help")
    assert "bybit ok 12s │ okx ok 12s backfill 3/12 │ hyperliquid" in wide  # where there is room they stay


async def test_at_80_columns_a_stale_venue_still_fits_beside_recording_off() -> None:
    # hyperliquid's data is 60 s old: past the 30 s limit, so it says "stale", five cells where "ok" took two
    venues = tuple(VenueStatus(v, "ok", "", NOW - (60_000 if v == "hyperliquid" else 2_000)) for v in VENUES)
    app = _Host()
    async with app.run_test(size=(80, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.show(status_spans(venues, NOW, "live", False, 30.0, notes=[("recording off", "error")]), NOW)
        await pilot.pause()
        text = bar.text
    assert text.startswith(" binance ok│bybit ok│okx ok│hyperliquid stale ")
    assert text.rstrip().endswith(" LIVE  recording off  ? help") and "…" not in text
