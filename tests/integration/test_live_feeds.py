"""The live feeds against the fake exchange on 127.0.0.1: data, symbols, batch plan, backfill, streams.

Every test runs real HTTP and WebSocket over loopback and is bounded in time (``until``).
"""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from feeds.messages import ALL
from feeds.net.http_api import VenueApi
from feeds.net.limiter import Budget
from feeds.net.plan import fit_plan
from feeds.venues import make_adapter
from signals.columns import Col
from tests.fake_exchange import FakeExchange, default_symbols
from tests.support.live import VENUES, running, state, until


def _price(store, symbol: str, venue: str) -> float:  # type: ignore[no-untyped-def]
    return float(store.latest()[store.symbol_index(symbol), store.venue_index(venue), Col.PRICE])


async def test_every_venue_fills_its_rows_and_prices_agree_across_multipliers() -> None:
    async with (
        FakeExchange(["BTC", "ETH", "PEPE"], unlisted={"okx": {"PEPE"}}) as fx,
        running(fx, ["BTC", "PEPE", "NOSUCHCOIN"]) as (src, store),
    ):
        await until(
            lambda: all(s.state == "ok" for s in src.health(src.clock()).venues), what="every venue ok"
        )
        await until(lambda: not math.isnan(_price(store, "PEPE", "hyperliquid")), what="PEPE priced")
        for symbol in ("BTC", "PEPE"):
            prices = [_price(store, symbol, v) for v in VENUES if not (symbol == "PEPE" and v == "okx")]
            # 1000PEPEUSDT and kPEPE are quoted per 1000 coins: after the multiplier they agree with spot-
            # sized prices within the fake market's 0.1 % spread.
            assert max(prices) / min(prices) < 1.005, (symbol, prices)
        assert _price(store, "PEPE", "binance") < 0.01  # per coin, not per 1000
        assert math.isnan(_price(store, "PEPE", "okx"))
        okx_state, okx_detail = state(src, "okx")
        assert (
            okx_state == "ok"
            and okx_detail.count("PEPE") == 1
            and "not listed: PEPE, NOSUCHCOIN" in okx_detail
        )
        # Not listed means not asked: no request ever names the unlisted instruments.
        assert not any(
            "PEPE" in str(r.params) or "NOSUCHCOIN" in str(r.params) for r in fx.log if r.venue == "okx"
        )
        row = store.latest()[store.symbol_index("BTC"), store.venue_index(ALL)]
        assert row[Col.OI] > 0 and row[Col.FUT_VOL] > 0


@pytest.mark.parametrize("venue", VENUES)
async def test_request_count_per_refresh_cycle_for_50_symbols_proves_the_batch_plan(venue: str) -> None:
    symbols = default_symbols(50)
    adapter = make_adapter(venue)
    async with FakeExchange(symbols) as fx:
        import httpx

        async with httpx.AsyncClient(timeout=5) as client:
            # Unlimited budgets: this counts requests; pacing them is the limiter's test.
            unlimited = [Budget(b.name, 1e9, 1) for b in adapter.budgets]
            api = VenueApi(
                venue,
                client,
                dict.fromkeys(adapter.urls, fx.http_url),
                unlimited,
                envelope=adapter.envelope(),
            )
            listings, _ = await adapter.discover(api, fx.now_ms())
            wanted = [listings[s] for s in symbols]
            per_job = {}
            for item in fit_plan(adapter.plan(10.0), adapter.budgets, 50):
                before = len(fx.log)
                await adapter.poll(api, item.job, wanted, fx.now_ms())
                per_job[item.job] = (len(fx.log) - before, item.interval_s)
    # One request per batch endpoint whatever the watchlist; per symbol only where no batch form exists
    # (EXCHANGES.md §1): Binance open interest, each venue's long/short ratio, and Binance's and OKX's
    # top-trader ratio and taker flow (Binance: the last two klines of the perp and of its spot pair).
    expected = {
        "binance": {
            "tickers": 1,
            "premium": 1,
            "oi": 50,
            "ls": 50,
            "top": 50,
            "flow": 50,
            "spot_flow": 50,
            "spot": 1,
            "intervals": 1,
        },
        "bybit": {"tickers": 1, "ls": 50, "spot": 1},
        "okx": {
            "tickers": 1,
            "oi": 1,
            "funding": 1,
            "ls": 50,
            "spot": 1,
            "mark": 1,
            "index": 1,
            "top": 50,
            "taker": 50,
            "spot_taker": 50,
            "instruments": 1,
        },
        "hyperliquid": {"ctxs": 1, "spot": 1, "predicted": 1},
    }[venue]
    assert {job: n for job, (n, _) in per_job.items()} == expected
    every_poll = sum(n for n, interval in per_job.values() if interval == 10.0)
    assert every_poll == {"binance": 2, "bybit": 1, "okx": 5, "hyperliquid": 1}[venue]


async def test_backfill_fills_history_behind_the_live_bars_on_every_venue() -> None:
    async with (
        FakeExchange(["BTC", "ETH"]) as fx,
        running(fx, ["BTC", "ETH"], backfill_bars=300) as (src, store),
    ):
        said: list[bool] = []  # what the source's health said while it backfilled (alerts wait on it)

        def done() -> bool:
            said.append(src.health(src.clock()).backfilling)
            return len(src.feeds) == 4 and all(f.backfill_done >= {"BTC", "ETH"} for f in src.feeds.values())

        await until(done, timeout=30, what="backfill of every venue")
        assert True in said and not src.health(src.clock()).backfilling
        assert store.count == 301
        for v in VENUES:
            series = store.series("BTC", v)
            assert not np.isnan(series[:, Col.PRICE]).any(), v  # 300 closed bars + the live one, all priced
        # Venues with OI history have it from the first bar; Hyperliquid keeps none and says so.
        assert not np.isnan(store.series("BTC", "bybit")[:, Col.OI]).any()
        assert np.isnan(store.series("BTC", "hyperliquid")[:-1, Col.OI]).all()
        assert any(
            "no open interest or long/short history" in n for n in src.feeds["hyperliquid"].backfill_notes
        )
        assert "backfill" not in state(src, "okx")[1]


async def test_liquidations_stream_into_the_bars_with_the_right_side_and_survive_a_drop() -> None:
    async with FakeExchange(["BTC"]) as fx, running(fx, ["BTC"]) as (src, store):
        for venue in ("binance", "bybit", "okx"):
            await until(lambda v=venue: fx.subscribers(v) >= 1, what=f"{venue} subscribed")
        await until(
            lambda: (
                len(src.feeds) == 4
                and all(f.assembler.stream_up for v, f in src.feeds.items() if v != "hyperliquid")
            )
        )
        fx.liquidate("binance", "BTC", side="long", qty=0.5, price=60_000.0)
        fx.liquidate("bybit", "BTC", side="short", qty=1.0, price=60_000.0)
        fx.liquidate("okx", "BTC", side="long", qty=0.2, price=60_000.0)
        s = store.symbol_index("BTC")

        def liq(venue: str, col: int) -> float:
            return float(store.latest()[s, store.venue_index(venue), col])

        await until(
            lambda: (
                liq("okx", Col.LIQ_LONG) > 0
                and liq("bybit", Col.LIQ_SHORT) > 0
                and liq("binance", Col.LIQ_LONG) > 0
            )
        )
        assert liq("binance", Col.LIQ_LONG) == pytest.approx(30_000.0)
        assert liq("bybit", Col.LIQ_SHORT) == pytest.approx(60_000.0) and liq("bybit", Col.LIQ_LONG) == 0.0
        assert liq("okx", Col.LIQ_LONG) == pytest.approx(12_000.0, rel=1e-6)
        assert math.isnan(liq("hyperliquid", Col.LIQ_LONG))  # no public feed: unknown, not zero
        assert liq(ALL, Col.LIQ_LONG) == pytest.approx(42_000.0)
        fx.drop_ws("bybit")
        await until(lambda: src.feeds["bybit"].stream.reconnects == 1, what="bybit reconnect counted")
        await until(lambda: fx.subscribers("bybit") >= 1, what="bybit resubscribed")
        fx.liquidate("bybit", "BTC", side="long", qty=0.1, price=60_000.0)
        await until(lambda: liq("bybit", Col.LIQ_LONG) > 0, what="liquidation after the reconnect")
        assert "stream reconnected 1x" in state(src, "bybit")[1]


async def test_a_stalled_stream_is_detected_by_heartbeat_and_reconnected() -> None:
    async with FakeExchange(["BTC"]) as fx:
        fx.inject("okx", "ws_stall", times=1)
        async with running(fx, ["BTC"], venues=["okx"], ws_ping_s=0.3) as (src, _store):
            # Acked, then silent to pings: after 2 x 0.3 s it is dropped; the second connection is healthy.
            await until(
                lambda: "okx" in src.feeds and src.feeds["okx"].stream.reconnects >= 1,
                timeout=10,
                what="stall detected",
            )
            await until(lambda: fx.subscribers("okx") >= 1, what="resubscribed")
            assert fx.liquidate("okx", "BTC", side="short", qty=1.0, price=50_000.0) >= 1


async def test_adding_a_symbol_polls_and_subscribes_it_without_a_restart() -> None:
    async with FakeExchange(["BTC", "ETH"]) as fx, running(fx, ["BTC"], venues=["bybit"]) as (src, store):
        await until(lambda: fx.subscribers("bybit") >= 1)
        store.add_symbol("ETH")
        src.add_symbol("ETH")
        await until(lambda: not math.isnan(_price(store, "ETH", "bybit")), what="ETH priced")
        await until(
            lambda: any(
                "allLiquidation.ETHUSDT" in (r.body or "") for r in fx.log if r.method == "SUBSCRIBE"
            ),
            what="ETH subscribed",
        )
        await asyncio.sleep(0)
