"""Every fault of the live-venues issue, injected by the fake exchange over real loopback HTTP/WebSocket.

Polls run every 0.5 s here, so "stale" (no data for three poll intervals) comes after 1.5 s.
"""

from __future__ import annotations

import asyncio
import functools
import math
import socket
import time

import numpy as np
import pytest

from feeds.live import backfill_loop
from feeds.live.source import LiveSource
from feeds.net.faults import Backoff
from signals.columns import Col
from tests.fake_exchange import FakeExchange
from tests.support.live import running, state, until
from tui.model.bars import BarStore


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
            assert src.health(src.clock()).notice == ""


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


@pytest.mark.parametrize(
    "kind, options",
    [
        ("status", {"status": 503}),
        ("reset", {}),
        ("timeout", {"seconds": 5}),
    ],
)
async def test_transient_failures_keep_the_last_data_marked_stale_and_recover_by_themselves(
    kind: str, options: dict[str, object]
) -> None:
    async with FakeExchange(["BTC"]) as fx, running(fx, ["BTC"], venues=["okx", "bybit"]) as (src, store):
        s, v = store.symbol_index("BTC"), store.venue_index("okx")
        await until(lambda: state(src, "okx")[0] == "ok" and not math.isnan(store.latest()[s, v, Col.PRICE]))
        fx.inject("okx", kind, **options)
        await until(lambda: state(src, "okx")[0] == "stale", timeout=8, what="okx stale")
        assert not math.isnan(store.latest()[s, v, Col.PRICE])  # the last good price stays on screen
        assert ("BTC", "okx") in src.health(src.clock()).stale
        assert ("BTC", "bybit") not in src.health(src.clock()).stale
        assert state(src, "okx")[1]  # says what is wrong
        fx.clear()
        await until(lambda: state(src, "okx")[0] == "ok", timeout=15, what="okx recovered")
        await until(lambda: ("BTC", "okx") not in src.health(src.clock()).stale, timeout=5)


@pytest.mark.parametrize(
    "kind, options, counted",
    [
        ("malformed", {}, "malformed payloads skipped"),
        ("truncated", {}, "malformed payloads skipped"),
        ("missing_field", {"field": "markPrice"}, "bad items skipped"),
        ("wrong_type", {"field": "lastPrice"}, "bad items skipped"),
    ],
)
async def test_bad_payloads_are_skipped_counted_and_shown_and_nothing_else_is_affected(
    kind: str, options: dict[str, object], counted: str
) -> None:
    async with FakeExchange(["BTC"]) as fx, running(fx, ["BTC"], venues=["bybit", "binance"]) as (src, store):
        await until(lambda: state(src, "bybit")[0] == "ok", what="bybit running")
        fx.inject("bybit", kind, path="/v5/market/tickers", **options)
        await until(lambda: counted in state(src, "bybit")[1], what=f"{kind} counted")
        detail = state(src, "bybit")[1]
        fx.clear()
        await until(lambda: state(src, "bybit")[0] == "ok" and state(src, "binance")[0] == "ok")
        assert "BTC" not in src.feeds["bybit"].not_listed
        s = store.symbol_index("BTC")
        await until(lambda: not math.isnan(store.latest()[s, store.venue_index("bybit"), Col.PRICE]))
        if kind in ("missing_field", "wrong_type"):
            assert f"'{options['field']}'" in detail  # the line names the field that was wrong


async def test_a_garbled_first_answer_does_not_mark_listed_symbols_as_not_listed() -> None:
    async with FakeExchange(["BTC", "ETH"]) as fx:
        fx.inject("bybit", "wrong_type", path="/v5/market/tickers", field="lastPrice", times=1)
        async with running(fx, ["BTC", "ETH"], venues=["bybit"]) as (src, _store):
            await until(lambda: state(src, "bybit")[0] == "ok", timeout=10, what="bybit ok")
            assert src.feeds["bybit"].not_listed == []
            assert src.feeds["bybit"].malformed == 1  # the empty instrument list was counted, then retried
            await until(lambda: fx.subscribers("bybit") >= 1, what="liquidations subscribed")


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
        await until(lambda: src.health(src.clock()).notice != "", timeout=10, what="unreachable notice")
        notice = src.health(src.clock()).notice
        assert notice.startswith("no venue reachable") and "perptop --demo" in notice
        assert "binance, okx: cannot connect" in notice  # one reason, both venues named
        assert time.monotonic() - started < 10
        assert store.count == 0  # nothing shown as data, simulated or otherwise
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_one_failing_endpoint_turns_the_venue_to_error_even_while_others_answer() -> None:
    async with FakeExchange(["BTC"]) as fx, running(fx, ["BTC"], venues=["binance"]) as (src, _store):
        await until(lambda: state(src, "binance")[0] == "ok")
        fx.inject("binance", "status", status=500, path="/fapi/v1/ticker/24hr")
        # premiumIndex keeps answering (fresh marks), yet the failing call is shown, not hidden.
        await until(lambda: state(src, "binance")[0] == "error", what="error state")
        assert "HTTP 500 on /fapi/v1/ticker/24hr" in state(src, "binance")[1]
        fx.clear()
        await until(lambda: state(src, "binance")[0] == "ok", timeout=15, what="recovered")


async def test_a_surprise_inside_one_venue_stays_in_that_venue(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeExchange(["BTC"]) as fx, running(fx, ["BTC"], venues=["bybit", "okx"]) as (src, _store):
        await until(lambda: len(src.feeds) == 2 and state(src, "okx")[0] == "ok")
        calls = {"n": 0}
        real = src.feeds["bybit"].assembler.add_tickers

        def explode(*args: object, **kwargs: object) -> None:
            calls["n"] += 1
            if calls["n"] <= 2:
                raise OverflowError("a value the store cannot hold")
            real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(src.feeds["bybit"].assembler, "add_tickers", explode)
        await until(
            lambda: "OverflowError: a value the store cannot hold" in state(src, "bybit")[1], what="shown"
        )
        okx_before = fx.count("okx")
        await asyncio.sleep(1.0)
        assert fx.count("okx") > okx_before and state(src, "okx")[0] == "ok"  # untouched
        await until(lambda: state(src, "bybit")[0] == "ok" and not state(src, "bybit")[1], timeout=10)


async def test_a_refused_stream_backs_off_and_says_it_is_down() -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("bybit", "ws_refuse")
        async with running(fx, ["BTC"], venues=["bybit"]) as (src, store):
            await until(lambda: "liquidation stream down since" in state(src, "bybit")[1], timeout=10)
            await asyncio.sleep(3.0)
            attempts = [r for r in fx.log if r.venue == "bybit" and r.method == "CONNECT"]
            # Backoff 1, 2, 4 s (each jittered to half or more): a handful of attempts, not a storm.
            assert 2 <= len(attempts) <= 6, len(attempts)
            assert math.isnan(store.latest()[0, 0, Col.LIQ_LONG])  # no stream: unknown, not zero


async def test_backfill_retries_after_transient_failures_instead_of_giving_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Retries from 0.05 s, not 1 s: the same three failures and recovery in a tenth of the time.
    monkeypatch.setattr(backfill_loop, "Backoff", functools.partial(Backoff, base_s=0.05))
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("okx", "status", status=503, path="/api/v5/market/history-candles", times=3)
        async with running(fx, ["BTC"], venues=["okx"], backfill_bars=50) as (src, store):
            await until(lambda: "okx" in src.feeds and "BTC" in src.feeds["okx"].backfill_done, timeout=20)
            assert not any("no history" in n for n in src.feeds["okx"].backfill_notes)
            assert not np.isnan(store.series("BTC", "okx")[:, Col.PRICE]).any()


async def test_backfilled_bybit_funding_carries_the_symbols_own_interval() -> None:
    # SOL funds every 4 h on the fake venues; Bybit's funding history rows carry no interval.
    async with (
        FakeExchange(["BTC", "ETH", "SOL"]) as fx,
        running(fx, ["SOL"], venues=["bybit"], backfill_bars=100) as (src, store),
    ):
        await until(lambda: "bybit" in src.feeds and "SOL" in src.feeds["bybit"].backfill_done, timeout=20)
        intervals = store.series("SOL", "bybit")[:, Col.FUNDING_INTERVAL_H]
        assert set(intervals.tolist()) == {4.0}
