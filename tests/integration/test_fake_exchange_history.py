"""The fake exchange's history endpoints: windows, limits, depth, ordering and paging per venue; and
``python -m tests.fake_exchange``.

Expected times are worked out by hand from the frozen moment (08:53:20 UTC) and each venue's documented
rules: Binance ascending and 30 days deep, Bybit newest first with a cursor, OKX newest first with
``after`` = older than and 1,440 rubik rows, Hyperliquid ascending and hourly funding.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from feeds.venues import binance_parse, bybit_parse, hyperliquid_parse, okx_parse
from tests.fake_exchange import FakeExchange
from tests.support.aio import timeout_after
from tests.support.exchange import M5, NOW, NOW_S, SYMBOLS, H, get_json, info
from tests.support.paths import ROOT


@pytest.fixture
async def fx() -> AsyncIterator[FakeExchange]:
    async with FakeExchange(SYMBOLS, unlisted={"okx": {"PEPE"}}, clock=lambda: NOW_S) as exchange:
        yield exchange


@pytest.fixture
async def client(fx: FakeExchange) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fx.http_url, timeout=5.0) as http:
        yield http


# -- history endpoints: windows, limits, ordering, paging ----------------------------------------------


async def test_binance_history_is_ascending_and_honours_its_window(client: httpx.AsyncClient) -> None:
    start = NOW // M5 * M5 - 10 * H
    async with timeout_after(10):
        window = await get_json(
            client,
            "/fapi/v1/klines",
            symbol="BTCUSDT",
            interval="5m",
            startTime=start,
            endTime=start + 6 * M5,
            limit=4,
        )
        tail = await get_json(client, "/fapi/v1/klines", symbol="BTCUSDT", interval="5m", limit=3)
        capped = await get_json(client, "/fapi/v1/klines", symbol="BTCUSDT", interval="5m", limit=5000)
        ticker = await get_json(client, "/fapi/v1/ticker/24hr", symbol="BTCUSDT")
        funding = binance_parse.funding_history(
            await get_json(
                client, "/fapi/v1/fundingRate", symbol="SOLUSDT", startTime=NOW - 2 * 24 * H, limit=1000
            )
        )
        oi = binance_parse.open_interest_hist(
            await get_json(
                client,
                "/futures/data/openInterestHist",
                symbol="1000PEPEUSDT",
                period="5m",
                startTime=NOW - 40 * 24 * H,
                limit=500,
            )
        )
        ratio = binance_parse.long_short_ratio(
            await get_json(
                client, "/futures/data/globalLongShortAccountRatio", symbol="BTCUSDT", period="5m", limit=30
            )
        )
    assert [row[0] for row in window] == [start, start + M5, start + 2 * M5, start + 3 * M5]
    assert [row[0] for row in tail] == [NOW // M5 * M5 - 2 * M5, NOW // M5 * M5 - M5, NOW // M5 * M5]
    assert len(capped) == 1500
    assert tail[-1][4] == ticker["lastPrice"]  # the forming bar closes at the last price
    assert (
        funding.skipped == [] and [p.time % (4 * H) for p in funding.records] == [0] * 12
    )  # 4 h symbol, 2 days
    times = [p.time for p in oi.records]
    assert oi.skipped == [] and len(times) == 500 and times == sorted(times)
    assert times[0] >= NOW - 30 * 24 * H  # only the last 30 days exist
    assert oi.records[0].oi_usd == pytest.approx(oi.records[0].oi * 1e-5, rel=0.2)  # per-coin units
    assert ratio.skipped == [] and len(ratio.records) == 30 and ratio.records[-1].time == NOW // M5 * M5


async def test_bybit_history_is_newest_first_and_pages_by_cursor(client: httpx.AsyncClient) -> None:
    query = {"category": "linear", "symbol": "BTCUSDT", "intervalTime": "5min", "limit": 200}
    async with timeout_after(10):
        first = await get_json(client, "/v5/market/open-interest", **query)
        cursor = first["result"]["nextPageCursor"]
        second = await get_json(client, "/v5/market/open-interest", **query, cursor=cursor)
        bounded = await get_json(
            client, "/v5/market/open-interest", **{**query, "limit": 50}, startTime=NOW - 2 * H, endTime=NOW
        )
        klines = await get_json(
            client, "/v5/market/kline", category="linear", symbol="BTCUSDT", interval="5", limit=3
        )
        refused = await get_json(
            client, "/v5/market/funding/history", category="linear", symbol="BTCUSDT", startTime=NOW - 24 * H
        )
        funding = bybit_parse.funding_history(
            await get_json(
                client, "/v5/market/funding/history", category="linear", symbol="BTCUSDT", endTime=NOW
            )
        )
        ratio = bybit_parse.account_ratio(
            await get_json(
                client,
                "/v5/market/account-ratio",
                category="linear",
                symbol="1000PEPEUSDT",
                period="5min",
                limit=500,
            )
        )
    one = [int(r["timestamp"]) for r in first["result"]["list"]]
    two = [int(r["timestamp"]) for r in second["result"]["list"]]
    assert one == sorted(one, reverse=True) and one[0] == NOW // M5 * M5 and len(one) == 200
    assert two[0] == one[-1] - M5 and len(two) == 200  # the next page starts right below the first
    rows = bounded["result"]["list"]
    assert len(rows) == 24 and bounded["result"]["nextPageCursor"] == ""
    assert [int(k[0]) for k in klines["result"]["list"]] == [
        NOW // M5 * M5,
        NOW // M5 * M5 - M5,
        NOW // M5 * M5 - 2 * M5,
    ]
    assert refused["retCode"] == 10001  # startTime alone is an error on Bybit
    assert funding.skipped == [] and len(funding.records) == 200
    assert all(b.time - a.time == 8 * H for a, b in itertools.pairwise(funding.records))
    parsed_oi = bybit_parse.open_interest(first)
    assert (
        parsed_oi.skipped == [] and parsed_oi.records[0].time < parsed_oi.records[-1].time
    )  # parser: oldest first
    assert ratio.skipped == [] and len(ratio.records) == 500


async def test_okx_history_is_newest_first_with_after_and_the_rubik_depth(client: httpx.AsyncClient) -> None:
    latest = NOW // M5 * M5
    async with timeout_after(10):
        candles = await get_json(
            client,
            "/api/v5/market/history-candles",
            instId="BTC-USDT-SWAP",
            bar="5m",
            after=latest - 10 * M5,
            limit=3,
        )
        deep = await get_json(
            client,
            "/api/v5/rubik/stat/contracts/open-interest-history",
            instId="ETH-USDT-SWAP",
            period="5m",
            begin=NOW - 30 * 24 * H,
            end=latest - 1400 * M5,
            limit=100,
        )
        ratio = okx_parse.long_short_account_ratio(
            await get_json(
                client,
                "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
                instId="BTC-USDT-SWAP",
                period="5m",
                limit=500,
            ),
            "BTC-USDT-SWAP",
        )
        funding = okx_parse.funding_rate_history(
            await get_json(client, "/api/v5/public/funding-rate-history", instId="BTC-USDT-SWAP", limit=400)
        )
    assert [int(c[0]) for c in candles["data"]] == [latest - 11 * M5, latest - 12 * M5, latest - 13 * M5]
    rows = deep["data"]
    # Only the latest 1,440 rows exist: from latest - 1400 bars back, just 40 remain.
    assert (
        len(rows) == 40 and int(rows[-1][0]) == latest - 1439 * M5 and int(rows[0][0]) == latest - 1400 * M5
    )
    assert ratio.skipped == [] and len(ratio.records) == 100  # limit capped at 100
    assert funding.skipped == [] and len(funding.records) == 276 and funding.records[0].interval_h == 8.0


async def test_hyperliquid_history_is_ascending_and_hourly(client: httpx.AsyncClient) -> None:
    start = NOW - 24 * H
    async with timeout_after(10):
        candles = await info(
            client,
            {
                "type": "candleSnapshot",
                "req": {"coin": "kPEPE", "interval": "5m", "startTime": start, "endTime": start + H},
            },
        )
        funding = hyperliquid_parse.funding_history(
            await info(client, {"type": "fundingHistory", "coin": "BTC", "startTime": NOW - 30 * 24 * H})
        )
        bad = await client.post("/info", json={"type": "candleSnapshot"})
    times = [c["t"] for c in candles]
    assert times == [
        start + 100_000 + i * M5 for i in range(12)
    ]  # 08:55 .. 09:50, inside [08:53:20, 09:53:20]
    assert 1e-3 < float(candles[0]["c"]) < 1e-1  # kPEPE: 1000 coins
    assert funding.skipped == [] and len(funding.records) == 500
    assert (
        funding.records[0].interval_h == 1.0 and funding.records[0].time == NOW + 400_000 - 30 * 24 * H
    )  # 09:00
    assert bad.status_code == 422


# -- standalone ----------------------------------------------------------------------------------------


def test_python_m_serves_and_prints_the_perptop_flags() -> None:
    # --port 0: the system picks both ports (a free port's neighbour, the WebSocket's by default, need
    # not be free: it once was another program's, and the fake failed to start).
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_exchange", "--port", "0", "--symbols", "50"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner, flags = proc.stdout.readline(), proc.stdout.readline()
        ports = re.fullmatch(
            r"fake exchange: HTTP http://127\.0\.0\.1:(\d+)  WS ws://127\.0\.0\.1:(\d+)  .*\n", banner
        )
        assert ports is not None, banner
        port, ws_port = int(ports[1]), int(ports[2])
        reply = httpx.get(f"http://127.0.0.1:{port}/fapi/v1/ticker/24hr", timeout=5.0)
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert flags.startswith("perptop --watchlist BTC,ETH,SOL,PEPE,")
    assert f"--base-url binance=http://127.0.0.1:{port}" in flags
    assert f"--base-url okx=ws://127.0.0.1:{ws_port}" in flags
    assert len(reply.json()) == 50
    assert math.isfinite(float(reply.json()[0]["lastPrice"]))


async def test_candles_and_contract_payloads_parse_and_agree_across_venues(client: httpx.AsyncClient) -> None:
    start = NOW // M5 * M5 - 2 * H
    async with timeout_after(10):
        closes = {
            "binance": binance_parse.klines(
                await get_json(
                    client, "/fapi/v1/klines", symbol="1000PEPEUSDT", interval="5m", startTime=start
                ),
                "1000PEPEUSDT",
            ),
            "binance spot": binance_parse.klines(
                await get_json(client, "/api/v3/klines", symbol="PEPEUSDT", interval="5m", startTime=start),
                "PEPEUSDT",
                "/api/v3/klines",
            ),
            "bybit": bybit_parse.klines(
                await get_json(
                    client,
                    "/v5/market/kline",
                    category="linear",
                    symbol="1000PEPEUSDT",
                    interval="5",
                    start=start,
                )
            ),
            "hyperliquid": hyperliquid_parse.candle_snapshot(
                await info(
                    client,
                    {
                        "type": "candleSnapshot",
                        "req": {"coin": "kPEPE", "interval": "5m", "startTime": start},
                    },
                ),
                "kPEPE",
            ),
        }
        okx_btc = okx_parse.candles(
            await get_json(
                client, "/api/v5/market/history-candles", instId="BTC-USDT-SWAP", bar="5m", before=start - 1
            ),
            "BTC-USDT-SWAP",
        )
        binance_btc = binance_parse.klines(
            await get_json(client, "/fapi/v1/klines", symbol="BTCUSDT", interval="5m", startTime=start),
            "BTCUSDT",
        )
        sizes = okx_parse.instruments(await get_json(client, "/api/v5/public/instruments", instType="SWAP"))
        rubik = okx_parse.open_interest_history(
            await get_json(
                client,
                "/api/v5/rubik/stat/contracts/open-interest-history",
                instId="BTC-USDT-SWAP",
                period="5m",
            ),
            "BTC-USDT-SWAP",
        )
        intervals = binance_parse.funding_info(await get_json(client, "/fapi/v1/fundingInfo"))
        spot = hyperliquid_parse.spot_meta_and_asset_ctxs(
            await info(client, {"type": "spotMetaAndAssetCtxs"}), NOW
        )
    for name, parsed in {
        **closes,
        "okx": okx_btc,
        "binance btc": binance_btc,
        "okx instruments": sizes,
        "okx rubik": rubik,
        "fundingInfo": intervals,
        "hl spot": spot,
    }.items():
        assert parsed.skipped == [], name
    # 2 h of 5-minute bars plus the forming one, on every venue, at the same open times.
    opens = {name: [c.time for c in parsed.records] for name, parsed in closes.items()}
    assert all(times == [start + i * M5 for i in range(25)] for times in opens.values()), opens
    reference = [c.close for c in closes["binance"].records]
    for name, parsed in closes.items():
        assert [c.close for c in parsed.records] == pytest.approx(reference, rel=0.005), name
    assert 1e-6 < reference[-1] < 1e-4  # per one PEPE, not per 1000
    assert [c.close for c in okx_btc.records] == pytest.approx(
        [c.close for c in binance_btc.records], rel=0.005
    )
    assert {s.instrument: s.ct_val for s in sizes.records}["BTC-USDT-SWAP"] == 0.01
    assert [(t.instrument, t.funding_interval_h) for t in intervals.records] == [("SOLUSDT", 4.0)]
    assert {"BTC", "ETH", "SOL"} <= {s.base for s in spot.records}  # UBTC/USDC etc. map to the native coin
    assert len(rubik.records) == 100 and rubik.records[-1].time == NOW // M5 * M5
