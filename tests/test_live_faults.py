"""Every fault of the live-venues issue, injected by the fake exchange over real loopback HTTP/WebSocket.

Polls run every 0.5 s here, so "stale" (no data for three poll intervals) comes after 1.5 s.
"""

from __future__ import annotations

import asyncio
import math
import socket
import time

import pytest

from signals.columns import PRICE
from tests.fake_exchange import FakeExchange
from tests.live_support import running, state, until
from tui.live import LiveSource
from tui.store import BarStore


def _requests(fx: FakeExchange, venue: str) -> list[float]:
    return [r.t for r in fx.log if r.venue == venue and r.method in ("GET", "POST")]


async def test_451_stops_binance_once_with_its_message_and_the_others_keep_running() -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("binance", "status", status=451)
        async with running(fx, ["BTC"]) as (src, _store):
            await until(lambda: state(src, "binance")[0] == "blocked", what="binance blocked")
            await until(lambda: state(src, "bybit")[0] == "ok", what="bybit ok")
            detail = state(src, "binance")[1]
            assert detail.startswith("HTTP 451 Service unavailable from a restricted location")
            assert "other venues keep running" in detail and "--venues" in detail
            asked = len(_requests(fx, "binance"))
            await asyncio.sleep(1.5)  # three poll intervals: a retry loop would have asked again
            assert len(_requests(fx, "binance")) == asked == 1
            assert state(src, "okx")[0] == "ok" and state(src, "hyperliquid")[0] == "ok"
            assert src.unreachable() == ""


async def test_bybit_geo_403_blocks_bybit_only() -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("bybit", "status", status=403)
        async with running(fx, ["BTC"], venues=["bybit", "okx"]) as (src, _store):
            await until(lambda: state(src, "bybit")[0] == "blocked" and state(src, "okx")[0] == "ok")
            assert state(src, "bybit")[1].startswith("HTTP 403")


async def test_429_waits_exactly_retry_after_then_recovers() -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("hyperliquid", "status", status=429, retry_after=2, times=1)
        async with running(fx, ["BTC"], venues=["hyperliquid"]) as (src, _store):
            await until(lambda: state(src, "hyperliquid")[0] == "ok", timeout=10, what="recovered")
            times = _requests(fx, "hyperliquid")
            # The first request got the 429; nothing was sent for the 2 s it asked for, then polling resumed.
            assert times[1] - times[0] >= 2.0 - 0.05
            assert times[1] - times[0] < 3.5


async def test_418_pauses_the_venue_until_the_ban_ends_and_shows_when() -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("binance", "status", status=418, retry_after=120, times=1)
        async with running(fx, ["BTC"], venues=["binance", "bybit"]) as (src, _store):
            await until(lambda: "paused until" in state(src, "binance")[1], what="ban shown")
            asked = len(_requests(fx, "binance"))
            await asyncio.sleep(1.5)
            assert len(_requests(fx, "binance")) == asked  # silent for the ban
            assert "HTTP 418" in state(src, "binance")[1]
            assert state(src, "bybit")[0] == "ok"


@pytest.mark.parametrize("kind, options", [
    ("status", {"status": 503}),
    ("reset", {}),
    ("timeout", {"seconds": 5}),
])
async def test_transient_failures_keep_the_last_data_marked_stale_and_recover_by_themselves(
        kind: str, options: dict[str, object]) -> None:
    async with FakeExchange(["BTC"]) as fx, running(fx, ["BTC"], venues=["okx", "bybit"]) as (src, store):
        s, v = store.symbol_index("BTC"), store.venue_index("okx")
        await until(lambda: state(src, "okx")[0] == "ok" and not math.isnan(store.latest()[s, v, PRICE]))
        fx.inject("okx", kind, **options)
        await until(lambda: state(src, "okx")[0] == "stale", timeout=8, what="okx stale")
        assert not math.isnan(store.latest()[s, v, PRICE])  # the last good price stays on screen
        assert ("BTC", "okx") in src.stale_series(src.clock())
        assert ("BTC", "bybit") not in src.stale_series(src.clock())
        assert state(src, "okx")[1]  # says what is wrong
        fx.clear()
        await until(lambda: state(src, "okx")[0] == "ok", timeout=15, what="okx recovered")
        await until(lambda: ("BTC", "okx") not in src.stale_series(src.clock()), timeout=5)


@pytest.mark.parametrize("kind, options, counted", [
    ("malformed", {}, "malformed payloads skipped"),
    ("truncated", {}, "malformed payloads skipped"),
    ("missing_field", {"field": "markPrice"}, "bad items skipped"),
    ("wrong_type", {"field": "lastPrice"}, "bad items skipped"),
])
async def test_bad_payloads_are_skipped_counted_and_shown_and_nothing_else_is_affected(
        kind: str, options: dict[str, object], counted: str) -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("bybit", kind, path="/v5/market/tickers", times=1, **options)
        async with running(fx, ["BTC"], venues=["bybit", "binance"]) as (src, store):
            await until(lambda: counted in state(src, "bybit")[1], what=f"{kind} counted")
            await until(lambda: state(src, "bybit")[0] == "ok" and state(src, "binance")[0] == "ok")
            s = store.symbol_index("BTC")
            await until(lambda: not math.isnan(store.latest()[s, store.venue_index("bybit"), PRICE]))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_no_venue_reachable_says_so_and_points_to_demo() -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}"
    options = {v: {"base_url": url, "ws_url": f"ws://127.0.0.1:{port}"} for v in ("binance", "okx")}
    src = LiveSource(["BTC"], ["binance", "okx"], 0.5, options, timeout_s=1.0, backfill=False)
    store = BarStore(["BTC"], ["binance", "okx"], 10, src.step_ms)
    src.attach(store)
    task = asyncio.ensure_future(src.run())
    try:
        started = time.monotonic()
        await until(lambda: src.unreachable() != "", timeout=10, what="unreachable notice")
        notice = src.unreachable()
        assert notice.startswith("no venue reachable") and "perptop --demo" in notice
        assert "binance:" in notice and "okx:" in notice and "ConnectError" in notice
        assert time.monotonic() - started < 10
        assert store.count == 0  # nothing shown as data, simulated or otherwise
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
