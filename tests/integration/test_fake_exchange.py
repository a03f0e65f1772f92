"""The fake exchange over real loopback sockets: shapes the venue parsers read, WS pushes and faults.

Every test talks to ``FakeExchange`` with httpx and websockets as perptop's feeds will, under a frozen
clock, and is bounded by ``asyncio.timeout``. Expected values come from the venues' documentation (weights,
error codes and bodies) and from the brief's contract table (ctVal, multipliers, the 4 h symbol).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from feeds.records import PayloadError
from feeds.venues import binance_parse, bybit_parse, hyperliquid_parse, okx_parse
from tests.fake_exchange import FakeExchange
from tests.support.aio import timeout_after
from tests.support.exchange import NOW, NOW_S, SYMBOLS, get_json, info, okx_ct_val


@pytest.fixture
async def fx() -> AsyncIterator[FakeExchange]:
    async with FakeExchange(SYMBOLS, unlisted={"okx": {"PEPE"}}, clock=lambda: NOW_S) as exchange:
        yield exchange


@pytest.fixture
async def client(fx: FakeExchange) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fx.http_url, timeout=5.0) as http:
        yield http


# -- shapes: the venue parsers read every item, and the venues agree ------------------------------------


async def test_all_symbol_payloads_parse_without_skips_and_prices_agree_across_venues(
    client: httpx.AsyncClient,
) -> None:
    async with timeout_after(10):
        parsed = {
            "binance": binance_parse.tickers_24hr(await get_json(client, "/fapi/v1/ticker/24hr"), NOW),
            "binance mark": binance_parse.premium_index(await get_json(client, "/fapi/v1/premiumIndex"), NOW),
            "bybit": bybit_parse.tickers(
                await get_json(client, "/v5/market/tickers", category="linear"), NOW
            ),
            "okx": okx_parse.tickers(await get_json(client, "/api/v5/market/tickers", instType="SWAP"), NOW),
            "hyperliquid": hyperliquid_parse.meta_and_asset_ctxs(
                await info(client, {"type": "metaAndAssetCtxs"}), NOW
            ),
        }
        ct_val = await okx_ct_val(client)
        okx_oi = okx_parse.open_interest(
            await get_json(client, "/api/v5/public/open-interest", instType="SWAP"), NOW, ct_val
        )
        okx_funding = okx_parse.funding_rate(
            await get_json(client, "/api/v5/public/funding-rate", instId="ANY"), NOW
        )
    for name, result in {**parsed, "okx oi": okx_oi, "okx funding": okx_funding}.items():
        assert result.skipped == [], name
    for venue in ("binance", "bybit", "hyperliquid"):
        assert sorted(t.base for t in parsed[venue].records) == sorted(SYMBOLS)
    usdt_swaps = {t.base for t in parsed["okx"].records if t.instrument.endswith("-USDT-SWAP")}
    assert usdt_swaps == set(SYMBOLS) - {"PEPE"}  # unlisted on OKX
    assert {"BTC-USD-SWAP", "BTC-USDC-SWAP"} <= {t.instrument for t in parsed["okx"].records}
    reference = {t.base: t.price for t in parsed["binance"].records}
    for venue in ("bybit", "okx", "hyperliquid"):
        for ticker in parsed[venue].records:
            assert ticker.price == pytest.approx(reference[ticker.base], rel=0.005), (
                venue,
                ticker.instrument,
            )
    marks = {t.base: t.mark for t in parsed["binance mark"].records}
    assert all(marks[b] == pytest.approx(reference[b], rel=0.005) for b in SYMBOLS)
    # Multiplied contracts carry the venue's own name and are divided back to one coin.
    names = {(t.venue, t.base): t.instrument for r in parsed.values() for t in r.records}
    assert names[("binance", "PEPE")] == "1000PEPEUSDT" and names[("bybit", "PEPE")] == "1000PEPEUSDT"
    assert names[("hyperliquid", "PEPE")] == "kPEPE"
    assert 1e-6 < reference["PEPE"] < 1e-4
    btc_oi = next(t for t in okx_oi.records if t.instrument == "BTC-USDT-SWAP")
    assert btc_oi.oi_usd == pytest.approx(btc_oi.oi * reference["BTC"], rel=0.005)


async def test_contract_facts_match_the_venues_conventions(client: httpx.AsyncClient) -> None:
    async with timeout_after(10):
        ct_val = await okx_ct_val(client)
        info_rows = await get_json(client, "/fapi/v1/fundingInfo")
        bybit = await get_json(client, "/v5/market/tickers", category="linear")
        perps = bybit_parse.linear_perpetuals(
            await get_json(client, "/v5/market/instruments-info", category="linear", limit=1000)
        )
        okx_funding = okx_parse.funding_rate(
            await get_json(client, "/api/v5/public/funding-rate", instId="ANY"), NOW
        )
        hl = hyperliquid_parse.meta_and_asset_ctxs(await info(client, {"type": "metaAndAssetCtxs"}), NOW)
    assert ct_val["BTC-USDT-SWAP"] == 0.01 and ct_val["ETH-USDT-SWAP"] == 0.1
    assert "PEPE-USDT-SWAP" not in ct_val
    # Only symbols off the default 8 h are listed by fundingInfo: SOL settles every 4 h here.
    assert info_rows == [
        {
            "symbol": "SOLUSDT",
            "adjustedFundingRateCap": "0.02000000",
            "adjustedFundingRateFloor": "-0.02000000",
            "fundingIntervalHours": 4,
            "disclaimer": False,
        }
    ]
    hours = {i["symbol"]: i["fundingIntervalHour"] for i in bybit["result"]["list"]}
    assert hours["SOLUSDT"] == "4" and hours["BTCUSDT"] == "8" and hours["1000PEPEUSDT"] == "8"
    assert {p.instrument: p.funding_interval_h for p in perps.records}["SOLUSDT"] == 4.0
    assert {t.instrument: t.funding_interval_h for t in okx_funding.records}["BTC-USDT-SWAP"] == 8.0
    assert {t.funding_interval_h for t in hl.records} == {1.0}
    # Next funding is on the interval's UTC grid, after now.
    btc = next(t for t in okx_funding.records if t.instrument == "BTC-USDT-SWAP")
    assert btc.next_funding_ms == 1_760_025_600_000  # 16:00 UTC, the next 8 h boundary after 08:53


async def test_pepe_is_1000x_on_binance_and_plain_on_its_spot_pair(client: httpx.AsyncClient) -> None:
    async with timeout_after(10):
        perp = await get_json(client, "/fapi/v1/ticker/24hr", symbol="1000PEPEUSDT")
        spot = await get_json(client, "/api/v3/ticker/24hr", symbols=json.dumps(["PEPEUSDT", "BTCUSDT"]))
        bad = await client.get("/api/v3/ticker/24hr", params={"symbols": json.dumps(["NOPEUSDT"])})
    assert float(perp["lastPrice"]) == pytest.approx(1000 * float(spot[0]["lastPrice"]), rel=0.005)
    parsed = binance_parse.spot_tickers(spot, NOW)
    assert parsed.skipped == [] and [s.base for s in parsed.records] == ["PEPE", "BTC"]
    assert bad.status_code == 400 and bad.json() == {"code": -1121, "msg": "Invalid symbol."}


async def test_spot_volumes_parse_on_every_venue(client: httpx.AsyncClient) -> None:
    async with timeout_after(10):
        bybit = bybit_parse.spot_tickers(await get_json(client, "/v5/market/tickers", category="spot"), NOW)
        okx = okx_parse.spot_tickers(await get_json(client, "/api/v5/market/tickers", instType="SPOT"), NOW)
        hl_meta, hl_ctxs = await info(client, {"type": "spotMetaAndAssetCtxs"})
    assert (
        bybit.skipped == [] and len(bybit.records) == 12 and all(r.volume_24h_usd > 0 for r in bybit.records)
    )
    assert okx.skipped == [] and "BTC-USDT" in {r.instrument for r in okx.records}
    pairs = [u["name"] for u in hl_meta["universe"]]
    assert {"UBTC/USDC", "UETH/USDC", "USOL/USDC"} <= set(pairs)
    assert any(p.startswith("@") for p in pairs)
    assert [c["coin"] for c in hl_ctxs] == pairs  # spot ctxs carry their pair name


async def test_unknown_symbols_get_each_venues_own_error(client: httpx.AsyncClient) -> None:
    async with timeout_after(10):
        binance = await client.get("/fapi/v1/openInterest", params={"symbol": "NOPEUSDT"})
        bybit = await client.get(
            "/v5/market/open-interest",
            params={"category": "linear", "symbol": "NOPEUSDT", "intervalTime": "5min"},
        )
        okx = await client.get("/api/v5/public/funding-rate", params={"instId": "PEPE-USDT-SWAP"})
        known = await client.get("/fapi/v1/openInterest", params={"symbol": "1000PEPEUSDT"})
    assert binance.status_code == 400 and binance.json() == {"code": -1121, "msg": "Invalid symbol."}
    assert bybit.status_code == 200 and bybit.json()["retCode"] == 10001
    with pytest.raises(PayloadError):
        bybit_parse.open_interest(bybit.json())
    assert okx.status_code == 200
    assert okx.json() == {"code": "51001", "msg": "Instrument ID does not exist", "data": []}
    oi = binance_parse.open_interest(known.json(), NOW)
    assert oi.skipped == [] and oi.records[0].base == "PEPE"


async def test_binance_reports_the_documented_request_weight(client: httpx.AsyncClient) -> None:
    async with timeout_after(10):
        first = await client.get("/fapi/v1/ticker/24hr")
        second = await client.get("/fapi/v1/premiumIndex")
        third = await client.get("/fapi/v1/openInterest", params={"symbol": "BTCUSDT"})
    # Weights from the docs: 24hr all symbols 40, premiumIndex all 10, openInterest 1.
    assert [r.headers["X-MBX-USED-WEIGHT-1M"] for r in (first, second, third)] == ["40", "50", "51"]


# -- WebSocket liquidations ---------------------------------------------------------------------------


async def subscribed(fx: FakeExchange, venue: str) -> None:
    while fx.subscribers(venue) == 0:
        await asyncio.sleep(0.01)


async def test_a_pushed_liquidation_arrives_on_each_venue_with_the_liquidated_side(
    fx: FakeExchange, client: httpx.AsyncClient
) -> None:
    async with timeout_after(10):
        ct_val = await okx_ct_val(client)
        async with (
            connect(fx.ws_url + "/market/ws/!forceOrder@arr") as binance,
            connect(fx.ws_url + "/v5/public/linear") as bybit,
            connect(fx.ws_url + "/ws/v5/public") as okx,
        ):
            await bybit.send(json.dumps({"op": "subscribe", "args": ["allLiquidation.1000PEPEUSDT"]}))
            assert json.loads(await bybit.recv())["success"] is True
            await okx.send(
                json.dumps(
                    {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}
                )
            )
            assert json.loads(await okx.recv())["event"] == "subscribe"
            for venue in ("binance", "bybit", "okx"):
                await subscribed(fx, venue)
            got = []
            for side in ("long", "short"):
                assert fx.liquidate("binance", "PEPE", side=side, qty=2e8, price=1.2e-5) == 1
                got += binance_parse.force_order(json.loads(await binance.recv())).records
                assert fx.liquidate("bybit", "PEPE", side=side, qty=2e8, price=1.2e-5) == 1
                got += bybit_parse.all_liquidation(json.loads(await bybit.recv())).records
                assert fx.liquidate("okx", "BTC", side=side, qty=0.5, price=60_000.0) == 1
                got += okx_parse.ws_liquidation_orders(json.loads(await okx.recv()), ct_val).records
    assert [(r.venue, r.side) for r in got] == [
        ("binance", "long"),
        ("bybit", "long"),
        ("okx", "long"),
        ("binance", "short"),
        ("bybit", "short"),
        ("okx", "short"),
    ]
    for record in got:
        expected = (0.5, 60_000.0) if record.base == "BTC" else (2e8, 1.2e-5)
        assert (record.qty, record.price) == pytest.approx(expected, rel=1e-6)
    assert fx.count("bybit", "/v5/public/linear") == 2  # the handshake and the subscribe


async def test_ws_pings_are_answered_until_a_stall(fx: FakeExchange) -> None:
    async with timeout_after(10):
        async with connect(fx.ws_url + "/ws/v5/public") as okx:
            await okx.send("ping")
            assert await okx.recv() == "pong"
        fx.inject("okx", "ws_stall")
        async with connect(fx.ws_url + "/ws/v5/public", ping_interval=None, close_timeout=0.2) as okx:
            await okx.send(
                json.dumps(
                    {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}
                )
            )
            assert json.loads(await okx.recv())["event"] == "subscribe"
            await asyncio.sleep(0.05)
            assert fx.liquidate("okx", "BTC") == 0  # nobody live to send to
            await okx.send("ping")
            pong = await okx.ping()
            with pytest.raises(TimeoutError):
                async with timeout_after(0.3):
                    await asyncio.gather(okx.recv(), pong)


async def test_ws_refuse_and_drop(fx: FakeExchange) -> None:
    async with timeout_after(10):
        fx.inject("bybit", "ws_refuse", times=1)
        with pytest.raises(InvalidStatus) as refused:
            async with connect(fx.ws_url + "/v5/public/linear"):
                pass
        assert refused.value.response.status_code == 503
        socket_: ClientConnection
        async with connect(fx.ws_url + "/v5/public/linear") as socket_:  # times=1: the next one is accepted
            assert fx.drop_ws("bybit") == 1
            with pytest.raises(ConnectionClosedError):
                await socket_.recv()
    assert fx.count("bybit") == 2  # both handshakes are logged, the refused one too


# -- HTTP faults, as an httpx client sees them ---------------------------------------------------------


async def test_status_faults_carry_the_venues_bodies_and_retry_after(
    client: httpx.AsyncClient, fx: FakeExchange
) -> None:
    async with timeout_after(10):
        fx.inject("binance", "status", status=429, retry_after=7, path="/fapi/v1/ticker", times=1)
        limited = await client.get("/fapi/v1/ticker/24hr")
        again = await client.get("/fapi/v1/ticker/24hr")
        fx.inject("binance", "status", status=451)
        blocked = await client.get("/fapi/v1/premiumIndex")
        fx.inject("bybit", "status", status=403)
        geo = await client.get("/v5/market/tickers", params={"category": "linear"})
        fx.inject("okx", "status", status=429, retry_after=2)
        okx = await client.get("/api/v5/market/tickers", params={"instType": "SWAP"})
        fx.inject("hyperliquid", "status", status=503)
        hl = await client.post("/info", json={"type": "metaAndAssetCtxs"})
        fx.clear()
        cleared = await client.get("/fapi/v1/premiumIndex")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["code"] == -1003
    assert again.status_code == 200  # times=1
    assert blocked.status_code == 451 and "restricted location" in blocked.json()["msg"]
    assert "Retry-After" not in blocked.headers
    assert binance_parse.error_message(blocked.json()) is not None
    assert geo.status_code == 403 and "block access from your country" in geo.text
    assert okx.status_code == 429 and okx.json() == {"code": "50011", "msg": "Too Many Requests"}
    assert okx.headers["Retry-After"] == "2"
    assert hl.status_code == 503
    assert cleared.status_code == 200
    assert fx.count("binance", "/fapi/v1/premiumIndex") == 2  # faulted requests are logged too


async def test_connection_faults_surface_as_httpx_errors(client: httpx.AsyncClient, fx: FakeExchange) -> None:
    async with timeout_after(10):
        fx.inject("okx", "timeout", seconds=1.0, times=1)
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/api/v5/market/tickers", params={"instType": "SWAP"}, timeout=0.2)
        fx.inject("okx", "reset", times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/api/v5/market/tickers", params={"instType": "SWAP"})
        fx.inject("okx", "truncated", times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/api/v5/market/tickers", params={"instType": "SWAP"})
        fx.inject("okx", "malformed", times=1)
        malformed = await client.get("/api/v5/market/tickers", params={"instType": "SWAP"})
        healthy = await client.get("/api/v5/market/tickers", params={"instType": "SWAP"})
    assert malformed.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    assert healthy.status_code == 200 and healthy.json()["code"] == "0"


async def test_field_faults_make_the_parser_skip_every_item(
    client: httpx.AsyncClient, fx: FakeExchange
) -> None:
    async with timeout_after(10):
        fx.inject("binance", "missing_field", field="markPrice", path="/fapi/v1/premiumIndex", times=1)
        missing = binance_parse.premium_index(await get_json(client, "/fapi/v1/premiumIndex"), NOW)
        untouched = binance_parse.tickers_24hr(await get_json(client, "/fapi/v1/ticker/24hr"), NOW)
        fx.inject("bybit", "wrong_type", field="lastPrice", times=1)
        wrong = bybit_parse.tickers(await get_json(client, "/v5/market/tickers", category="linear"), NOW)
    assert missing.records == [] and len(missing.skipped) == 12
    assert all("'markPrice' missing" in line for line in missing.skipped)
    assert untouched.skipped == [] and len(untouched.records) == 12  # another path: no fault
    assert wrong.records == [] and len(wrong.skipped) == 12 and "'abc'" in wrong.skipped[0]
