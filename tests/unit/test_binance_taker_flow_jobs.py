"""Binance's taker-flow jobs ask only for pairs that exist: the spot klines follow the spot tickers' answer.

Answers come from ``httpx.MockTransport`` (no sockets): the spot tickers list BTCUSDT and 1000SATSUSDT;
the klines answer with the rows of the doc-written payload. Expected requests and figures by hand.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from feeds.net.http_api import VenueApi
from feeds.venues import make_adapter
from feeds.venues.base import Listing
from tests.support.jsonc import VENUE_DOCS, load_jsonc

NOW = 1_700_000_500_000
LISTINGS = [
    Listing("BTC", "BTCUSDT", spot="BTCUSDT"),
    Listing("SATS", "1000SATSUSDT", 1000.0, spot="SATSUSDT"),  # the spot pair is 1000SATSUSDT too
    Listing("NOSPOT", "NOSPOTUSDT", spot="NOSPOTUSDT"),  # a perpetual with no spot pair
]


def _spot_item(symbol: str, last: str) -> dict[str, Any]:
    return {"symbol": symbol, "lastPrice": last, "quoteVolume": "1000.0", "closeTime": NOW}


def _api(asked: list[tuple[str, str]]) -> VenueApi:
    rows = load_jsonc(VENUE_DOCS / "binance" / "klines_taker_doc.jsonc")

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append((request.url.path, request.url.params.get("symbol", "")))
        if request.url.path == "/api/v3/ticker/24hr":
            return httpx.Response(
                200, json=[_spot_item("BTCUSDT", "37045.0"), _spot_item("1000SATSUSDT", "0.4")]
            )
        if request.url.path in ("/api/v3/klines", "/fapi/v1/klines"):
            known = (
                {"BTCUSDT", "1000SATSUSDT", "NOSPOTUSDT"}
                if "fapi" in request.url.path
                else {"BTCUSDT", "1000SATSUSDT"}
            )
            if request.url.params.get("symbol") not in known:
                return httpx.Response(400, json={"code": -1121, "msg": "Invalid symbol."})
            return httpx.Response(200, json=rows)
        return httpx.Response(404)

    adapter = make_adapter("binance")
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return VenueApi("binance", client, dict.fromkeys(adapter.urls, "http://venue.test"), adapter.budgets)


async def test_spot_klines_are_asked_only_for_the_spot_pairs_the_venue_lists() -> None:
    adapter = make_adapter("binance")
    asked: list[tuple[str, str]] = []
    api = _api(asked)
    spot = await adapter.poll(api, "spot", LISTINGS, NOW)
    # 1000SATSUSDT's "0.4" is per 1000 SATS: 0.0004 a coin.
    assert [(v.base, v.price) for v in spot.spot] == [("BTC", 37045.0), ("SATS", pytest.approx(0.0004))]
    asked.clear()
    poll = await adapter.poll(api, "spot_flow", LISTINGS, NOW)
    # SATS's pair found by its coin, NOSPOT not asked at all: nothing refused, nothing skipped.
    assert asked == [("/api/v3/klines", "BTCUSDT"), ("/api/v3/klines", "1000SATSUSDT")]
    assert poll.skipped == []
    # Two bars per pair (doc rows: buys 463125 then 37050 of 741000 and 148200 traded), all spot.
    assert [(f.base, f.time, f.buy_usd, f.sell_usd, f.spot) for f in poll.flows] == [
        ("BTC", 1700000100000, 463125.0, 277875.0, True),
        ("BTC", 1700000400000, 37050.0, 111150.0, True),
        ("SATS", 1700000100000, 463125.0, 277875.0, True),
        ("SATS", 1700000400000, 37050.0, 111150.0, True),
    ]


async def test_perp_klines_are_asked_for_every_listing_with_two_bars_each() -> None:
    adapter = make_adapter("binance")
    asked: list[tuple[str, str]] = []
    poll = await adapter.poll(_api(asked), "flow", LISTINGS, NOW)
    assert [s for _, s in asked] == ["BTCUSDT", "1000SATSUSDT", "NOSPOTUSDT"]
    assert [(f.instrument, f.spot) for f in poll.flows][::2] == [
        ("BTCUSDT", False),
        ("1000SATSUSDT", False),
        ("NOSPOTUSDT", False),
    ]
    assert poll.flows[1].sell_usd == pytest.approx(111150.0)  # forming bar: 148200 - 37050
