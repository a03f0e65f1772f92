"""OKX v5 SWAP (+ spot for spot volume): endpoints, budgets and the liquidation stream.

Batch calls: ``/api/v5/market/tickers?instType=SWAP`` (price, open, base volume),
``/api/v5/public/open-interest?instType=SWAP`` (contracts, coin, USD),
``/api/v5/public/funding-rate?instId=ANY`` (rate, next funding; the interval is the gap between the
two funding times; ``fundingRate`` already IS the rate of the next settlement, so there is no separate
prediction), ``/api/v5/public/mark-price?instType=SWAP`` and ``/api/v5/market/index-tickers?quoteCcy=USDT``
(mark over index: the premium). Contract sizes (``ctVal``) come from ``/api/v5/public/instruments``.
Per symbol, each at 5 requests / 2 s: the rubik long/short accounts ratio, the top traders' position
ratio, the contract taker volume (USD) and the spot taker volume of the coin. Each endpoint has its own
budget, per IP (EXCHANGES.md §4). Only ``-USDT-SWAP`` perpetuals are followed: the USD- and
USDC-margined swaps of the same coin would be a second market under one name.
Liquidations: ``liquidation-orders`` for all SWAP instruments in one subscription; OKX says the feed
is not the total of its liquidations, so totals are "observed".
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from feeds.net.faults import Malformed, RateLimited, Rejected, VenueError
from feeds.net.http_api import EnvelopeCheck, VenueApi
from feeds.net.limiter import Budget
from feeds.net.plan import PlanItem
from feeds.records import Liquidation, LongShortPoint, Parsed, TakerFlow
from feeds.venues import okx_parse as op
from feeds.venues import okx_parse_stats as ops
from feeds.venues.base import NAN, BackfillParts, Listing, Poll, each_symbol, latest_only
from feeds.venues.common import FIVE_MIN_MS, windows
from signals.times import DAY_MS

_SUFFIX = "-USDT-SWAP"


def _envelope(path: str, payload: Any) -> VenueError | None:
    if not isinstance(payload, dict):
        return None
    code = payload.get("code")
    if code in (None, "0", 0):
        return None
    message = f"code {code} on {path}: {payload.get('msg', '')}"
    if str(code) == "50011":
        return RateLimited("okx", message, 2.0)  # OKX budgets are per 2 s
    if str(code) in ("51001", "51000"):  # instrument does not exist / parameter error
        return Rejected("okx", message)
    return Malformed("okx", message)


class Okx:
    """The OKX v5 SWAP adapter (see the module docstring)."""

    name = "okx"
    urls: ClassVar[dict[str, str]] = {"rest": "https://www.okx.com"}
    ws_url = "wss://ws.okx.com:8443"
    budgets: ClassVar[list[Budget]] = [
        Budget("tickers", 20, 2, "market/tickers 20 requests/2 s/IP"),
        Budget("oi", 20, 2, "public/open-interest 20 requests/2 s"),
        Budget("funding", 10, 2, "public/funding-rate(-history) 10 requests/2 s"),
        Budget("instruments", 20, 2, "public/instruments 20 requests/2 s"),
        Budget("candles", 20, 2, "market/history-candles 20 requests/2 s"),
        Budget("rubik-oi", 10, 2, "rubik open-interest-history 10 requests/2 s"),
        Budget("rubik-ls", 5, 2, "rubik long-short-account-ratio-contract 5 requests/2 s"),
        Budget("mark", 10, 2, "public/mark-price 10 requests/2 s"),
        Budget("index", 20, 2, "market/index-tickers 20 requests/2 s"),
        Budget("rubik-top", 5, 2, "rubik long-short-position-ratio-contract-top-trader 5 requests/2 s"),
        Budget("rubik-taker", 5, 2, "rubik taker-volume-contract 5 requests/2 s"),
        Budget("rubik-spot-taker", 5, 2, "rubik taker-volume (SPOT) 5 requests/2 s"),
    ]
    geo_403 = False
    liquidations = "observed"
    retry_after_s = 2.0  # code 50011 carries no Retry-After; the budgets are per 2 s
    funding_interval_note = "nextFundingTime - fundingTime"
    listing_job = "tickers"  # its answer carries every listed perpetual: a delisted one drops out

    def __init__(self) -> None:
        self._ct_val: dict[str, float] = {}
        self._spot_px: dict[str, float] = {}  # base -> last USDT spot price, to value spot taker coins

    def envelope(self) -> EnvelopeCheck | None:
        return _envelope

    def plan(self, poll_s: float) -> list[PlanItem]:
        return [
            PlanItem(
                "tickers",
                "GET /api/v5/market/tickers?instType=SWAP",
                "tickers",
                1,
                False,
                poll_s,
                "price, 24h open, volume",
            ),
            PlanItem(
                "oi",
                "GET /api/v5/public/open-interest?instType=SWAP",
                "oi",
                1,
                False,
                poll_s,
                "open interest",
            ),
            PlanItem(
                "funding",
                "GET /api/v5/public/funding-rate?instId=ANY",
                "funding",
                1,
                False,
                poll_s,
                "funding rate, next funding, interval",
            ),
            PlanItem(
                "ls",
                "GET /api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
                "rubik-ls",
                1,
                True,
                300,
                "long/short accounts ratio (5-min series)",
            ),
            PlanItem(
                "spot",
                "GET /api/v5/market/tickers?instType=SPOT",
                "tickers",
                1,
                False,
                60,
                "spot volume, spot price",
            ),
            PlanItem(
                "mark", "GET /api/v5/public/mark-price?instType=SWAP", "mark", 1, False, poll_s, "mark price"
            ),
            PlanItem(
                "index",
                "GET /api/v5/market/index-tickers?quoteCcy=USDT",
                "index",
                1,
                False,
                poll_s,
                "index price (premium = mark / index - 1)",
            ),
            PlanItem(
                "top",
                "GET /api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader",
                "rubik-top",
                1,
                True,
                300,
                "top traders' long/short position ratio",
            ),
            # Rubik's 5-minute rows: every 120 s reads each bar at least twice, once after it closed, while
            # the bar assembler still takes the previous bar's final total (it keeps two bars).
            PlanItem(
                "taker",
                "GET /api/v5/rubik/stat/taker-volume-contract?unit=2",
                "rubik-taker",
                1,
                True,
                120,
                "perp taker buy/sell per 5-min bar",
            ),
            PlanItem(
                "spot_taker",
                "GET /api/v5/rubik/stat/taker-volume?instType=SPOT",
                "rubik-spot-taker",
                1,
                True,
                120,
                "spot taker buy/sell per 5-min bar (coins x spot price)",
            ),
            PlanItem(
                "instruments",
                "GET /api/v5/public/instruments?instType=SWAP",
                "instruments",
                1,
                False,
                3600,
                "contract sizes (ctVal)",
            ),
        ]

    async def discover(self, api: VenueApi, now_ms: int) -> tuple[dict[str, Listing], Poll]:
        first = await self.poll(api, "instruments", [], now_ms)
        listings = {}
        for inst, ct in self._ct_val.items():
            base = inst[: -len(_SUFFIX)]
            listings[base] = Listing(base, inst, 1.0, ct, spot=f"{base}-USDT")
        return listings, first

    async def poll(self, api: VenueApi, job: str, listings: list[Listing], now_ms: int) -> Poll:
        out = Poll()
        if job == "instruments":
            parsed = op.instruments(
                await api.get(
                    "rest", "/api/v5/public/instruments", {"instType": "SWAP"}, budget="instruments"
                )
            )
            self._ct_val = {c.instrument: c.ct_val for c in parsed.records if c.instrument.endswith(_SUFFIX)}
            out.skipped = parsed.skipped
        elif job == "tickers":
            got = op.tickers(
                await api.get("rest", "/api/v5/market/tickers", {"instType": "SWAP"}, budget="tickers"),
                now_ms,
            )
            out.tickers, out.skipped = _usdt(got.records), got.skipped
        elif job == "oi":
            got = op.open_interest(
                await api.get("rest", "/api/v5/public/open-interest", {"instType": "SWAP"}, budget="oi"),
                now_ms,
                self._ct_val,
            )
            out.tickers, out.skipped = _usdt(got.records), got.skipped
        elif job == "funding":
            got = op.funding_rate(
                await api.get("rest", "/api/v5/public/funding-rate", {"instId": "ANY"}, budget="funding"),
                now_ms,
            )
            out.tickers, out.skipped = _usdt(got.records), got.skipped
        elif job == "spot":
            await self._spot(api, now_ms, out)
        elif job == "mark":
            got = ops.mark_price(
                await api.get("rest", "/api/v5/public/mark-price", {"instType": "SWAP"}, budget="mark"),
                now_ms,
            )
            out.tickers, out.skipped = _usdt(got.records), got.skipped
        elif job == "index":
            got = ops.index_tickers(
                await api.get("rest", "/api/v5/market/index-tickers", {"quoteCcy": "USDT"}, budget="index"),
                now_ms,
            )
            out.tickers, out.skipped = got.records, got.skipped
        elif job == "top":

            async def top(listing: Listing) -> Parsed[LongShortPoint]:
                payload = await api.get(
                    "rest",
                    "/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader",
                    {"instId": listing.instrument, "period": "5m", "limit": 1},
                    budget="rubik-top",
                )
                return latest_only(ops.top_trader_position_ratio(payload, listing.instrument))

            out.long_short = await each_symbol(listings, top, out.skipped)
        elif job == "taker":

            async def taker(listing: Listing) -> Parsed[TakerFlow]:
                payload = await api.get(
                    "rest",
                    "/api/v5/rubik/stat/taker-volume-contract",
                    {"instId": listing.instrument, "period": "5m", "unit": 2, "limit": 2},
                    budget="rubik-taker",
                )
                return ops.taker_volume_contract(payload, listing.instrument)

            out.flows = await each_symbol(listings, taker, out.skipped)
        elif job == "spot_taker":
            if not self._spot_px:  # the first round may come before the spot job's: price the coins first
                await self._spot(api, now_ms, out)

            async def spot_taker(listing: Listing) -> Parsed[TakerFlow]:
                # No limit parameter on this endpoint: ``begin`` keeps the answer to the last two bars.
                payload = await api.get(
                    "rest",
                    "/api/v5/rubik/stat/taker-volume",
                    {
                        "ccy": listing.base,
                        "instType": "SPOT",
                        "period": "5m",
                        "begin": now_ms - 2 * FIVE_MIN_MS,
                    },
                    budget="rubik-spot-taker",
                )
                return ops.taker_volume_spot(payload, listing.base, self._spot_px.get(listing.base, NAN))

            out.flows = await each_symbol(listings, spot_taker, out.skipped)
        elif job == "ls":

            async def ls(listing: Listing) -> Parsed[LongShortPoint]:
                payload = await api.get(
                    "rest",
                    "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
                    {"instId": listing.instrument, "period": "5m", "limit": 1},
                    budget="rubik-ls",
                )
                return latest_only(op.long_short_account_ratio(payload, listing.instrument))

            out.long_short = await each_symbol(listings, ls, out.skipped)
        return out

    async def _spot(self, api: VenueApi, now_ms: int, out: Poll) -> None:
        """The SPOT tickers into ``out`` (volume and price), remembering each coin's USDT price."""
        spot = op.spot_tickers(
            await api.get("rest", "/api/v5/market/tickers", {"instType": "SPOT"}, budget="tickers"), now_ms
        )
        out.spot, out.skipped = spot.records, out.skipped + spot.skipped
        for s in spot.records:
            if s.instrument == f"{s.base}-USDT" and s.price > 0:
                self._spot_px[s.base] = s.price

    async def backfill(self, api: VenueApi, listing: Listing, start_ms: int, end_ms: int) -> BackfillParts:
        parts = BackfillParts()
        inst = listing.instrument
        for s, e in windows(start_ms, end_ms, FIVE_MIN_MS, 100):
            got = op.candles(
                await api.get(
                    "rest",
                    "/api/v5/market/history-candles",
                    {"instId": inst, "bar": "5m", "after": e + 1, "before": s - 1, "limit": 100},
                    budget="candles",
                ),
                inst,
            )
            parts.candles += got.records
            parts.skipped += got.skipped
        for s, e in windows(max(start_ms, end_ms - DAY_MS - 2 * FIVE_MIN_MS), end_ms, FIVE_MIN_MS, 100):
            try:
                got = op.candles(
                    await api.get(
                        "rest",
                        "/api/v5/market/history-candles",
                        {"instId": listing.spot, "bar": "5m", "after": e + 1, "before": s - 1, "limit": 100},
                        budget="candles",
                    ),
                    listing.spot,
                )
            except Rejected:
                parts.notes.append(f"no spot pair {listing.spot}")
                break
            parts.spot_candles += got.records
            parts.skipped += got.skipped
        # rubik keeps the latest 1440 rows: 5 days of 5-minute open interest.
        for s, e in windows(max(start_ms, end_ms - 1440 * FIVE_MIN_MS), end_ms, FIVE_MIN_MS, 100):
            oi = op.open_interest_history(
                await api.get(
                    "rest",
                    "/api/v5/rubik/stat/contracts/open-interest-history",
                    {"instId": inst, "period": "5m", "begin": s, "end": e, "limit": 100},
                    budget="rubik-oi",
                ),
                inst,
            )
            parts.oi += oi.records
            parts.skipped += oi.skipped
        # The long/short ratio is read as a level, never as a 5-minute change, so hourly rows carry it:
        # 2 requests per symbol instead of 15 on the venue's tightest budget (5 requests / 2 s).
        for s, e in windows(max(start_ms, end_ms - 1440 * FIVE_MIN_MS), end_ms, 12 * FIVE_MIN_MS, 100):
            ls = op.long_short_account_ratio(
                await api.get(
                    "rest",
                    "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract",
                    {"instId": inst, "period": "1H", "begin": s, "end": e, "limit": 100},
                    budget="rubik-ls",
                ),
                inst,
            )
            parts.long_short += ls.records
            parts.skipped += ls.skipped
        funding = op.funding_rate_history(
            await api.get(
                "rest",
                "/api/v5/public/funding-rate-history",
                {"instId": inst, "limit": 400},
                budget="funding",
            )
        )
        parts.funding = [f for f in funding.records if f.time >= start_ms - DAY_MS]
        parts.skipped += funding.skipped
        parts.notes.append("open interest history: latest 5 days (rubik keeps 1440 rows); long/short hourly")
        return parts

    def ws_path(self) -> str:
        return "/ws/v5/public"

    def ws_subscribe(self, listings: list[Listing]) -> list[str]:
        return [
            json.dumps({"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]})
        ]

    def ws_ping(self) -> str | None:
        return "ping"

    def ws_parse(self, raw: Any, listings: dict[str, Listing]) -> Parsed[Liquidation] | None:
        if not isinstance(raw, dict) or "event" in raw or "data" not in raw:
            return None
        got = op.ws_liquidation_orders(raw, self._ct_val)
        return Parsed([x for x in got.records if x.instrument.endswith(_SUFFIX)], got.skipped)


def _usdt(tickers: list[Any]) -> list[Any]:
    return [t for t in tickers if t.instrument.endswith(_SUFFIX)]
