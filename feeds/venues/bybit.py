"""Bybit v5 linear (+ spot for spot volume): endpoints, budgets and the liquidation stream.

One batch call, ``/v5/market/tickers?category=linear``, carries price, mark, index, change, turnover,
open interest, funding rate (the next settlement's), next funding time and the funding interval of every
perpetual; spot volume and price come from the spot tickers. Only the long/short accounts ratio is per
symbol. Bybit publishes no top-trader ratio, and no taker buy/sell split in its tickers or klines (only
its public trade stream has the side, trade by trade), so neither is collected here. The limit is 600
requests per 5 s per IP, and breaking it returns HTTP 403 "access too frequent" for at least 10 minutes;
a 403 without those words is Bybit's restricted-location answer (EXCHANGES.md §3, §9).
Liquidations: ``allLiquidation.{symbol}`` topics, all liquidations in 500 ms batches.
"""

from __future__ import annotations

from typing import Any, ClassVar

from feeds.net.faults import Malformed, RateLimited, Rejected, VenueError
from feeds.net.http_api import EnvelopeCheck, VenueApi
from feeds.net.limiter import Budget
from feeds.net.plan import PlanItem
from feeds.records import Liquidation, LongShortPoint, Parsed
from feeds.venues import bybit_parse as yp
from feeds.venues.base import BackfillParts, Listing, Poll, each_symbol, latest_only
from feeds.venues.common import FIVE_MIN_MS, windows
from signals.times import DAY_MS

_SUBSCRIBE_CHUNK = 10  # topics per subscribe message


def _envelope(path: str, payload: Any) -> VenueError | None:
    if not isinstance(payload, dict):
        return None
    code = payload.get("retCode")
    if code in (None, 0, "0"):
        return None
    message = f"retCode {code} on {path}: {payload.get('retMsg', '')}"
    if code in (10006, 10018, "10006", "10018"):  # too many visits / IP rate limit
        return RateLimited("bybit", message, 5.0)
    if code in (10001, "10001"):
        return Rejected("bybit", message)
    return Malformed("bybit", message)


class Bybit:
    """The Bybit v5 linear adapter (see the module docstring)."""

    name = "bybit"
    urls: ClassVar[dict[str, str]] = {"rest": "https://api.bybit.com"}
    ws_url = "wss://stream.bybit.com"
    budgets: ClassVar[list[Budget]] = [Budget("ip", 600, 5, "600 requests/5 s/IP")]
    geo_403 = True
    liquidations = "all"
    retry_after_s = 5.0  # its window is 5 s
    funding_interval_note = "fundingIntervalHour of the tickers"
    listing_job = "tickers"  # its answer carries every listed perpetual: a delisted one drops out

    def envelope(self) -> EnvelopeCheck | None:
        return _envelope

    def plan(self, poll_s: float) -> list[PlanItem]:
        return [
            PlanItem(
                "tickers",
                "GET /v5/market/tickers?category=linear",
                "ip",
                1,
                False,
                poll_s,
                "price, mark, index, change, volume, OI, funding, interval",
            ),
            PlanItem(
                "ls",
                "GET /v5/market/account-ratio?symbol=",
                "ip",
                1,
                True,
                300,
                "long/short accounts ratio (5-min series)",
            ),
            PlanItem(
                "spot", "GET /v5/market/tickers?category=spot", "ip", 1, False, 60, "spot volume and price"
            ),
        ]

    async def discover(self, api: VenueApi, now_ms: int) -> tuple[dict[str, Listing], Poll]:
        first = await self.poll(api, "tickers", [], now_ms)
        listings = {
            t.base: Listing(t.base, t.instrument, t.multiplier, spot=f"{t.base}USDT") for t in first.tickers
        }
        return listings, first

    async def poll(self, api: VenueApi, job: str, listings: list[Listing], now_ms: int) -> Poll:
        out = Poll()
        if job == "tickers":
            parsed = yp.tickers(
                await api.get("rest", "/v5/market/tickers", {"category": "linear"}, budget="ip"), now_ms
            )
            out.tickers, out.skipped = parsed.records, parsed.skipped
        elif job == "spot":
            spot = yp.spot_tickers(
                await api.get("rest", "/v5/market/tickers", {"category": "spot"}, budget="ip"), now_ms
            )
            out.spot, out.skipped = spot.records, spot.skipped
        elif job == "ls":

            async def ls(listing: Listing) -> Parsed[LongShortPoint]:
                payload = await api.get(
                    "rest",
                    "/v5/market/account-ratio",
                    {"category": "linear", "symbol": listing.instrument, "period": "5min", "limit": 1},
                    budget="ip",
                )
                return latest_only(yp.account_ratio(payload))

            out.long_short = await each_symbol(listings, ls, out.skipped)
        return out

    async def backfill(self, api: VenueApi, listing: Listing, start_ms: int, end_ms: int) -> BackfillParts:
        parts = BackfillParts()
        sym = listing.instrument
        for s, e in windows(start_ms, end_ms, FIVE_MIN_MS, 1000):
            got = yp.klines(
                await api.get(
                    "rest",
                    "/v5/market/kline",
                    {
                        "category": "linear",
                        "symbol": sym,
                        "interval": "5",
                        "start": s,
                        "end": e,
                        "limit": 1000,
                    },
                    budget="ip",
                )
            )
            parts.candles += got.records
            parts.skipped += got.skipped
        for s, e in windows(max(start_ms, end_ms - DAY_MS - 2 * FIVE_MIN_MS), end_ms, FIVE_MIN_MS, 1000):
            try:
                got = yp.klines(
                    await api.get(
                        "rest",
                        "/v5/market/kline",
                        {
                            "category": "spot",
                            "symbol": listing.spot,
                            "interval": "5",
                            "start": s,
                            "end": e,
                            "limit": 1000,
                        },
                        budget="ip",
                    )
                )
            except Rejected:
                parts.notes.append(f"no spot pair {listing.spot}")
                break
            parts.spot_candles += got.records
            parts.skipped += got.skipped
        for s, e in windows(start_ms, end_ms, FIVE_MIN_MS, 200):
            oi = yp.open_interest(
                await api.get(
                    "rest",
                    "/v5/market/open-interest",
                    {
                        "category": "linear",
                        "symbol": sym,
                        "intervalTime": "5min",
                        "startTime": s,
                        "endTime": e,
                        "limit": 200,
                    },
                    budget="ip",
                )
            )
            parts.oi += oi.records
            parts.skipped += oi.skipped
        for s, e in windows(start_ms, end_ms, 12 * FIVE_MIN_MS, 500):  # a level: hourly rows carry it
            ls = yp.account_ratio(
                await api.get(
                    "rest",
                    "/v5/market/account-ratio",
                    {
                        "category": "linear",
                        "symbol": sym,
                        "period": "1h",
                        "startTime": s,
                        "endTime": e,
                        "limit": 500,
                    },
                    budget="ip",
                )
            )
            parts.long_short += ls.records
            parts.skipped += ls.skipped
        funding = yp.funding_history(
            await api.get(
                "rest",
                "/v5/market/funding/history",
                {
                    "category": "linear",
                    "symbol": sym,
                    "startTime": start_ms - DAY_MS,
                    "endTime": end_ms,
                    "limit": 200,
                },
                budget="ip",
            )
        )
        parts.funding, parts.skipped = funding.records, parts.skipped + funding.skipped
        return parts

    def ws_path(self) -> str:
        return "/v5/public/linear"

    def ws_subscribe(self, listings: list[Listing]) -> list[str]:
        import json

        topics = [f"allLiquidation.{x.instrument}" for x in listings]
        return [
            json.dumps({"op": "subscribe", "args": topics[i : i + _SUBSCRIBE_CHUNK]})
            for i in range(0, len(topics), _SUBSCRIBE_CHUNK)
        ]

    def ws_ping(self) -> str | None:
        return '{"op":"ping"}'

    def ws_parse(self, raw: Any, listings: dict[str, Listing]) -> Parsed[Liquidation] | None:
        if not isinstance(raw, dict) or not str(raw.get("topic", "")).startswith("allLiquidation."):
            return None
        return yp.all_liquidation(raw)
