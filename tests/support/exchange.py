"""Shared pieces of the fake-exchange tests: the frozen moment, the symbol set and JSON helpers.

The moment is 2025-10-09 08:53:20 UTC, so 5-minute, hourly and 8-hour grids are all mid-period and a
window's first row must be rounded up, which the tests check by hand.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.fake_exchange import default_symbols

NOW_S = 1_760_000_000.0  # 2025-10-09 08:53:20 UTC
NOW = int(NOW_S * 1000)
M5 = 300_000
H = 3_600_000
SYMBOLS = default_symbols(12)  # BTC, ETH, SOL (the 4 h one), PEPE, ...


async def get_json(client: httpx.AsyncClient, path: str, **params: object) -> Any:
    """GET ``path`` and return its JSON body, failing the test on any status but 200."""
    reply = await client.get(path, params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def info(client: httpx.AsyncClient, body: dict[str, object]) -> Any:
    """POST ``body`` to Hyperliquid's ``/info``; its JSON body, failing the test on any status but 200."""
    reply = await client.post("/info", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()


async def okx_ct_val(client: httpx.AsyncClient) -> dict[str, float]:
    """OKX linear swaps' contract values (base coins per contract) by instId, from the instruments call."""
    rows = (await get_json(client, "/api/v5/public/instruments", instType="SWAP"))["data"]
    return {r["instId"]: float(r["ctVal"]) for r in rows if r["ctType"] == "linear"}
