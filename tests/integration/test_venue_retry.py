"""Bybit's two 403s over loopback, and ``r`` in the app retrying a venue stopped for its location (issue 11
item 8).

The fake exchange serves Bybit's location page (CloudFront's "block access from your country") as its
default 403, and ``BYBIT_403_TOO_FREQUENT`` for the rate-limit kind. Polls run every 0.5 s.
"""

from __future__ import annotations

from pathlib import Path

from feeds.live.source import LiveSource
from tests.fake_exchange import FakeExchange
from tests.fake_exchange.wire import BYBIT_403_TOO_FREQUENT
from tests.support.live import options, running, state, until
from tui.app import PerptopApp
from tui.config.loader import AppConfig


def _toasts(app: PerptopApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_r_retries_a_venue_stopped_for_its_location_at_once(tmp_path: Path) -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("bybit", "status", status=403)
        src = LiveSource(
            ["BTC"], ["bybit", "okx"], 0.5, options(fx), timeout_s=1.0, backfill=False, ws_ping_s=0.5
        )
        config = AppConfig(
            watchlist=("BTC",),
            config_watchlist=("BTC",),
            state_path=tmp_path / "state.json",
            poll_interval=0.5,
            paint_interval=0.25,
        )
        app = PerptopApp(config, mode="live", source=src)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(
                lambda: state(src, "bybit")[0] == "blocked" and state(src, "okx")[0] == "ok",
                what="bybit stopped for its location, okx running",
            )
            assert "block access from your country" in state(src, "bybit")[1]
            fx.clear()  # the user fixed the proxy; without r the next try is an hour away
            await pilot.press("r")
            assert "retrying bybit now" in _toasts(app)
            await until(lambda: state(src, "bybit")[0] == "ok", timeout=10, what="bybit resumed")
            await pilot.press("r")
            assert any("no venue is stopped" in t for t in _toasts(app))
            await pilot.press("q")


async def test_the_rate_limit_403_backs_bybit_off_without_stopping_it() -> None:
    async with FakeExchange(["BTC"]) as fx, running(fx, ["BTC"], venues=["bybit", "okx"]) as (src, _store):
        await until(lambda: state(src, "bybit")[0] == "ok", what="bybit running")
        fx.inject("bybit", "status", status=403, body=BYBIT_403_TOO_FREQUENT, times=1)
        await until(lambda: "backing off until" in state(src, "bybit")[1], what="bybit backing off")
        status, detail = state(src, "bybit")
        assert status != "blocked" and "access too frequent" in detail
        assert not src.retry_stopped()  # backing off is not stopped: r leaves it to its 10 minutes
        assert state(src, "okx")[0] == "ok"
