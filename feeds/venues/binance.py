"""Binance USD-M futures (+ spot for spot volume): endpoints, budgets and the liquidation stream.

Batch calls: ``/fapi/v1/ticker/24hr`` (weight 40) and ``/fapi/v1/premiumIndex`` (10) bring price, change,
volume, mark, index and funding of every perpetual (``lastFundingRate`` is the rate of the next
settlement); the spot ``/api/v3/ticker/24hr`` brings spot volume and price. Open interest has no batch
form (``/fapi/v1/openInterest`` per symbol, weight 1); the long/short ratios of all accounts and of the
top traders' positions come from ``/futures/data/*``, which has its own 1000 requests / 5 min budget
and moves every 5 minutes. Taker buy/sell per bar comes from the last two 5-minute klines of the perp
and of its spot pair (per symbol, weight 1 and 2). Funding intervals come from ``/fapi/v1/fundingInfo``
(only adjusted symbols are listed; the rest are 8 h). Limits: EXCHANGES.md §2.
Liquidations: ``!forceOrder@arr`` on the ``/market/ws`` path (the legacy ``/ws`` path went silent in
April 2026); Binance pushes at most one per symbol per second, so totals are lower bounds ("observed").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from feeds.net.faults import Rejected
from feeds.net.http_api import EnvelopeCheck, VenueApi
from feeds.net.limiter import Budget
from feeds.net.plan import PlanItem
from feeds.records import Liquidation, LongShortPoint, OpenInterestPoint, Parsed, TakerFlow, Ticker
from feeds.venues import binance_parse as bp
from feeds.venues.base import BackfillParts, Listing, Poll, each_symbol, latest_only
from feeds.venues.common import FIVE_MIN_MS, windows
from signals.times import DAY_MS

# Taker flow is polled every 2 minutes: two 5-minute klines per call, so each closed bar's final totals
# arrive within 2 minutes of its close and the forming bar is refreshed twice or more. At 50 symbols
# that is 25 weight/min of the futures 2400 and 50/min of the spot 6000; every minute would double the
# HTTP work of the feed's per-symbol calls for no change in a 5-minute bar's closing figures.
FLOW_S = 120.0


def _kline_weight(limit: int) -> float:
    # Binance klines weight by LIMIT: [1,100) 1, [100,500) 2, [500,1000] 5, > 1000 10.
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


class Binance:
    """The Binance USD-M adapter (see the module docstring)."""

    name = "binance"
    urls: ClassVar[dict[str, str]] = {"rest": "https://fapi.binance.com", "spot": "https://api.binance.com"}
    ws_url = "wss://fstream.binance.com"
    budgets: ClassVar[list[Budget]] = [
        Budget("weight", 2400, 60, "REQUEST_WEIGHT 2400/min/IP"),
        Budget("data", 1000, 300, "/futures/data/* 1000 requests/5 min/IP"),
        Budget("funding", 500, 300, "/fapi/v1/fundingRate + fundingInfo 500/5 min/IP"),
        Budget("spot", 6000, 60, "spot REQUEST_WEIGHT 6000/min/IP"),
    ]
    geo_403 = False
    liquidations = "observed"
    retry_after_s = 60.0  # Binance sends Retry-After; its weight window is a minute
    funding_interval_note = "8 h unless /fapi/v1/fundingInfo lists the symbol"
    listing_job = "tickers"  # its answer carries every listed perpetual: a delisted one drops out

    def __init__(self) -> None:
        self._intervals: dict[str, float] = {}  # instrument -> hours, from fundingInfo
        # Base -> its USDT spot pair, from the last spot ticker answer: a coin without one is not asked for
        # spot klines, and a pair named unlike the perp (1000SATSUSDT for SATS) is found by its base.
        self._spot_pairs: dict[str, str] = {}

    def envelope(self) -> EnvelopeCheck | None:
        return None  # Binance reports errors with HTTP status codes

    def plan(self, poll_s: float) -> list[PlanItem]:
        return [
            PlanItem(
                "tickers",
                "GET /fapi/v1/ticker/24hr (all symbols)",
                "weight",
                40,
                False,
                poll_s,
                "price, 24h change, futures volume",
            ),
            PlanItem(
                "premium",
                "GET /fapi/v1/premiumIndex (all symbols)",
                "weight",
                10,
                False,
                poll_s,
                "mark and index price, funding rate, next funding",
            ),
            # No batch form: one request per symbol. Once a minute is plenty against 5-minute bars, and
            # polling it every 10 s cost more CPU (HTTP per request) than the rest of the feed together.
            PlanItem(
                "oi",
                "GET /fapi/v1/openInterest?symbol=",
                "weight",
                1,
                True,
                max(poll_s, 60.0),
                "open interest",
            ),
            PlanItem(
                "ls",
                "GET /futures/data/globalLongShortAccountRatio",
                "data",
                1,
                True,
                300,
                "long/short accounts ratio (5-min series)",
            ),
            PlanItem(
                "top",
                "GET /futures/data/topLongShortPositionRatio",
                "data",
                1,
                True,
                300,
                "top traders' long/short position ratio",
            ),
            PlanItem(
                "flow",
                "GET /fapi/v1/klines?symbol=&interval=5m&limit=2",
                "weight",
                _kline_weight(2),
                True,
                max(poll_s, FLOW_S),
                "perp taker buy/sell per bar",
            ),
            PlanItem(
                "spot_flow",
                "GET /api/v3/klines?symbol=&interval=5m&limit=2",
                "spot",
                2,
                True,
                max(poll_s, FLOW_S),
                "spot taker buy/sell per bar",
            ),
            PlanItem(
                "spot",
                "GET /api/v3/ticker/24hr (all spot pairs)",
                "spot",
                80,
                False,
                60,
                "spot volume and price",
            ),
            PlanItem("intervals", "GET /fapi/v1/fundingInfo", "funding", 1, False, 3600, "funding intervals"),
        ]

    async def discover(self, api: VenueApi, now_ms: int) -> tuple[dict[str, Listing], Poll]:
        await self._load_intervals(api)
        first = await self.poll(api, "tickers", [], now_ms)
        listings = {
            t.base: Listing(t.base, t.instrument, t.multiplier, spot=f"{t.base}USDT") for t in first.tickers
        }
        return listings, first

    async def _load_intervals(self, api: VenueApi) -> list[str]:
        parsed = bp.funding_info(await api.get("rest", "/fapi/v1/fundingInfo", budget="funding"))
        self._intervals = {t.instrument: t.funding_interval_h for t in parsed.records}
        return parsed.skipped

    async def poll(self, api: VenueApi, job: str, listings: list[Listing], now_ms: int) -> Poll:
        out = Poll()
        if job == "tickers":
            parsed = bp.tickers_24hr(await api.get("rest", "/fapi/v1/ticker/24hr", weight=40), now_ms)
            out.tickers, out.skipped = parsed.records, parsed.skipped
        elif job == "premium":
            parsed = bp.premium_index(await api.get("rest", "/fapi/v1/premiumIndex", weight=10), now_ms)
            # premiumIndex carries no interval: 8 h unless fundingInfo says otherwise.
            out.tickers = [
                replace(t, funding_interval_h=self._intervals.get(t.instrument, 8.0)) for t in parsed.records
            ]
            out.skipped = parsed.skipped
        elif job == "oi":

            async def oi(listing: Listing) -> Parsed[OpenInterestPoint]:
                payload = await api.get("rest", "/fapi/v1/openInterest", {"symbol": listing.instrument})
                return bp.open_interest(payload, now_ms)

            points = await each_symbol(listings, oi, out.skipped)
            out.tickers = [Ticker(self.name, p.instrument, p.base, 1.0, p.time, oi=p.oi) for p in points]
        elif job == "ls":

            async def ls(listing: Listing) -> Parsed[LongShortPoint]:
                payload = await api.get(
                    "rest",
                    "/futures/data/globalLongShortAccountRatio",
                    {"symbol": listing.instrument, "period": "5m", "limit": 1},
                    budget="data",
                )
                return latest_only(bp.long_short_ratio(payload))

            out.long_short = await each_symbol(listings, ls, out.skipped)
        elif job == "top":

            async def top(listing: Listing) -> Parsed[LongShortPoint]:
                path = "/futures/data/topLongShortPositionRatio"
                params = {"symbol": listing.instrument, "period": "5m", "limit": 1}
                payload = await api.get("rest", path, params, budget="data")
                return latest_only(bp.long_short_ratio(payload, path, "top_position"))

            out.long_short = await each_symbol(listings, top, out.skipped)
        elif job in ("flow", "spot_flow"):
            out.flows = await self._flows(api, listings, job == "spot_flow", out.skipped)
        elif job == "spot":
            spot = bp.spot_tickers(
                await api.get("spot", "/api/v3/ticker/24hr", weight=80, budget="spot"), now_ms
            )
            out.spot, out.skipped = spot.records, spot.skipped
            self._spot_pairs = {v.base: v.instrument for v in spot.records if v.instrument.endswith("USDT")}
        elif job == "intervals":
            out.skipped = await self._load_intervals(api)
        return out

    async def _flows(
        self, api: VenueApi, listings: list[Listing], spot: bool, skipped: list[str]
    ) -> list[TakerFlow]:
        """Taker buy/sell of the previous and the forming bar of each listing (perp, or its spot pair)."""
        if spot:
            # Until the spot tickers have answered, each listing's own pair is asked; then only listed ones.
            pairs = self._spot_pairs
            named = [replace(x, spot=pairs.get(x.base, "")) for x in listings] if pairs else listings
            listings = [x for x in named if x.spot]
        role, path, weight = ("spot", "/api/v3/klines", 2.0) if spot else ("rest", "/fapi/v1/klines", 1.0)

        async def flow(listing: Listing) -> Parsed[TakerFlow]:
            symbol = listing.spot if spot else listing.instrument
            params = {"symbol": symbol, "interval": "5m", "limit": 2}
            payload = await api.get(role, path, params, weight=weight, budget=role if spot else "weight")
            return bp.taker_flows(payload, symbol, listing.base, spot, path)

        return await each_symbol(listings, flow, skipped)

    async def backfill(self, api: VenueApi, listing: Listing, start_ms: int, end_ms: int) -> BackfillParts:
        parts = BackfillParts()
        sym = listing.instrument
        for s, e in windows(start_ms, end_ms, FIVE_MIN_MS, 1500):
            payload = await api.get(
                "rest",
                "/fapi/v1/klines",
                {"symbol": sym, "interval": "5m", "startTime": s, "endTime": e, "limit": 1500},
                weight=_kline_weight(1500),
            )
            got = bp.klines(payload, sym)
            parts.candles += got.records
            parts.skipped += got.skipped
            parts.flows += bp.taker_flows(payload, sym, listing.base).records  # its bad rows: said above
        spot_start = max(start_ms, end_ms - DAY_MS - 2 * FIVE_MIN_MS)  # spot volume only feeds the 24 h ratio
        for s, e in windows(spot_start, end_ms, FIVE_MIN_MS, 1000):
            try:
                payload = await api.get(
                    "spot",
                    "/api/v3/klines",
                    {"symbol": listing.spot, "interval": "5m", "startTime": s, "endTime": e, "limit": 1000},
                    weight=2,
                    budget="spot",
                )
            except Rejected:  # a coin with no spot pair has no spot volume, nothing more
                parts.notes.append(f"no spot pair {listing.spot}")
                break
            got = bp.klines(payload, listing.spot)
            parts.spot_candles += got.records
            parts.skipped += got.skipped
            parts.flows += bp.taker_flows(payload, listing.spot, listing.base, True, "/api/v3/klines").records
        oi_start = max(start_ms, end_ms - 30 * DAY_MS + FIVE_MIN_MS)  # /futures/data keeps 30 days
        for s, e in windows(oi_start, end_ms, FIVE_MIN_MS, 500):
            params = {"symbol": sym, "period": "5m", "startTime": s, "endTime": e, "limit": 500}
            oi = bp.open_interest_hist(
                await api.get("rest", "/futures/data/openInterestHist", params, budget="data")
            )
            parts.oi += oi.records
            parts.skipped += oi.skipped
        # The long/short ratio is read as a level, never as a 5-minute change: hourly history carries it
        # in one request instead of five (and a tenth of the rows to parse).
        for s, e in windows(oi_start, end_ms, 12 * FIVE_MIN_MS, 500):
            params = {"symbol": sym, "period": "1h", "startTime": s, "endTime": e, "limit": 500}
            ls = bp.long_short_ratio(
                await api.get("rest", "/futures/data/globalLongShortAccountRatio", params, budget="data")
            )
            parts.long_short += ls.records
            parts.skipped += ls.skipped
        payload = await api.get(
            "rest",
            "/fapi/v1/fundingRate",
            {"symbol": sym, "startTime": start_ms - DAY_MS, "endTime": end_ms, "limit": 1000},
            budget="funding",
        )
        funding = bp.funding_history(payload)
        interval = self._intervals.get(sym, 8.0)
        parts.funding = [replace(f, interval_h=interval) for f in funding.records]
        parts.skipped += funding.skipped
        return parts

    def ws_path(self) -> str:
        return "/market/ws/!forceOrder@arr"

    def ws_subscribe(self, listings: list[Listing]) -> list[str]:
        return []  # the path names the stream

    def ws_ping(self) -> str | None:
        return None  # the server pings; the client's protocol pong answers

    def ws_parse(self, raw: Any, listings: dict[str, Listing]) -> Parsed[Liquidation] | None:
        if not isinstance(raw, dict) or "result" in raw:
            return None
        return bp.force_order(raw)
