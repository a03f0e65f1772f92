"""Hyperliquid perpetuals (+ spot where listed): endpoints, budget, and what it cannot give.

One POST ``/info`` ``{"type": "metaAndAssetCtxs"}`` (weight 20) carries mark, oracle (the index of the
premium), mid, 24 h change, volume, open interest and the hourly funding of every perp;
``spotMetaAndAssetCtxs`` the spot volumes and prices; ``predictedFundings`` (weight 20, all coins) the
venue's prediction of the next hourly rate. The budget is 1200 weight per minute per IP (EXCHANGES.md §5).
Hyperliquid publishes no open-interest or long/short history, no top-trader ratio, no taker side in its
candles (only its per-trade stream has one) and no market-wide liquidation feed: open interest history is
built from polling, the long/short ratios and the taker flow stay empty, and liquidations are not shown.
"""

from __future__ import annotations

from typing import Any, ClassVar

from feeds.net.http_api import EnvelopeCheck, VenueApi
from feeds.net.limiter import Budget
from feeds.net.plan import PlanItem
from feeds.records import Liquidation, Parsed
from feeds.venues import hyperliquid_parse as hp
from feeds.venues.base import BackfillParts, Listing, Poll
from signals.times import DAY_MS, HOUR_MS

_CANDLES_PER_WEIGHT = 60  # candleSnapshot costs 20 plus 1 per 60 rows returned


class Hyperliquid:
    """The Hyperliquid adapter (see the module docstring)."""

    name = "hyperliquid"
    urls: ClassVar[dict[str, str]] = {"rest": "https://api.hyperliquid.xyz"}
    ws_url = ""
    budgets: ClassVar[list[Budget]] = [
        Budget("weight", 1200, 60, "1200 weight/min/IP, info requests weigh 20")
    ]
    geo_403 = False
    liquidations = ""
    retry_after_s = 10.0
    funding_interval_note = "hourly"
    listing_job = "ctxs"  # its answer carries every listed perpetual: a delisted one drops out

    def envelope(self) -> EnvelopeCheck | None:
        return None

    def plan(self, poll_s: float) -> list[PlanItem]:
        return [
            PlanItem(
                "ctxs",
                'POST /info {"type":"metaAndAssetCtxs"}',
                "weight",
                20,
                False,
                poll_s,
                "mark, change, volume, OI, funding (OI history is built from these polls)",
            ),
            PlanItem(
                "spot",
                'POST /info {"type":"spotMetaAndAssetCtxs"}',
                "weight",
                20,
                False,
                60,
                "spot volume, spot price",
            ),
            # The prediction moves with the premium over the hour; once a minute is plenty for an hourly rate.
            PlanItem(
                "predicted",
                'POST /info {"type":"predictedFundings"}',
                "weight",
                20,
                False,
                60,
                "predicted next hourly funding",
            ),
        ]

    async def discover(self, api: VenueApi, now_ms: int) -> tuple[dict[str, Listing], Poll]:
        first = await self.poll(api, "ctxs", [], now_ms)
        listings = {t.base: Listing(t.base, t.instrument, t.multiplier) for t in first.tickers}
        return listings, first

    async def poll(self, api: VenueApi, job: str, listings: list[Listing], now_ms: int) -> Poll:
        out = Poll()
        if job == "ctxs":
            got = hp.meta_and_asset_ctxs(
                await api.post("rest", "/info", {"type": "metaAndAssetCtxs"}, weight=20), now_ms
            )
            out.tickers, out.skipped = got.records, got.skipped
        elif job == "spot":
            spot = hp.spot_meta_and_asset_ctxs(
                await api.post("rest", "/info", {"type": "spotMetaAndAssetCtxs"}, weight=20), now_ms
            )
            out.spot, out.skipped = spot.records, spot.skipped
        elif job == "predicted":
            got = hp.predicted_fundings(
                await api.post("rest", "/info", {"type": "predictedFundings"}, weight=20), now_ms
            )
            out.tickers, out.skipped = got.records, got.skipped
        return out

    async def backfill(self, api: VenueApi, listing: Listing, start_ms: int, end_ms: int) -> BackfillParts:
        parts = BackfillParts()
        coin = listing.instrument
        rows = (end_ms - start_ms) // 300_000 + 1
        payload = await api.post(
            "rest",
            "/info",
            {
                "type": "candleSnapshot",
                "req": {"coin": coin, "interval": "5m", "startTime": start_ms, "endTime": end_ms},
            },
            weight=20 + rows // _CANDLES_PER_WEIGHT,
        )
        got = hp.candle_snapshot(payload, coin)
        parts.candles, parts.skipped = got.records, got.skipped
        t = start_ms - DAY_MS
        while t < end_ms:  # at most 500 hourly rows per answer
            rows = min(500, (end_ms - t) // HOUR_MS + 1)  # hourly; 20 plus 1 per 20 rows returned
            page = hp.funding_history(
                await api.post(
                    "rest",
                    "/info",
                    {"type": "fundingHistory", "coin": coin, "startTime": t, "endTime": end_ms},
                    weight=20 + -(-rows // 20),
                )
            )
            parts.funding += page.records
            parts.skipped += page.skipped
            if len(page.records) < 500:
                break
            t = page.records[-1].time + 1
        parts.notes.append("no open interest or long/short history: built from polling from now on")
        return parts

    def ws_path(self) -> str:
        return ""

    def ws_subscribe(self, listings: list[Listing]) -> list[str]:
        return []

    def ws_ping(self) -> str | None:
        return None

    def ws_parse(self, raw: Any, listings: dict[str, Listing]) -> Parsed[Liquidation] | None:
        return None
