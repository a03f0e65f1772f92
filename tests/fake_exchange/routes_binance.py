"""Binance USD-M futures (+ spot) REST payloads and ``forceOrder`` events built from the fake market.

Shapes follow the official docs (EXCHANGES.md §2): numbers as decimal strings, times as int ms, history
ascending, ``1000PEPEUSDT`` priced per 1000 coins, errors as ``{"code": -1121, "msg": ...}`` with HTTP 400.
Each reply carries the request weight used in the current minute (``X-MBX-USED-WEIGHT-1M``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.fake_exchange.market import DAY_MS, HOUR_MS, MULTIPLIED, Market, fmt, grid
from tests.fake_exchange.wire import Answer, BadParam, integer, required

VENUE = "binance"
INTERVALS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
}
# /futures/data/* serves the last 30 days only (EXCHANGES.md §2.1).
DATA_DEPTH_MS = 30 * DAY_MS


class UnknownSymbol(Exception):
    """A symbol Binance does not list: HTTP 400, code -1121."""


def perp_symbol(base: str) -> tuple[str, float]:
    """The USD-M perpetual of ``base`` and its multiplier: ("1000PEPEUSDT", 1000.0), ("BTCUSDT", 1.0)."""
    return (f"1000{base}USDT", 1000.0) if base in MULTIPLIED else (f"{base}USDT", 1.0)


def _perp_base(m: Market, symbol: str) -> str:
    for base in m.listed(VENUE):
        if perp_symbol(base)[0] == symbol:
            return base
    raise UnknownSymbol(symbol)


def _spot_base(m: Market, symbol: str) -> str:
    for base in m.listed(VENUE):
        if f"{base}USDT" == symbol:
            return base
    raise UnknownSymbol(symbol)


def _day_stats(m: Market, base: str, now: int, mult: float, spot: bool) -> dict[str, object]:
    last, first = m.price(base, now), m.price(base, now - DAY_MS)
    quote = m.volume_usd(base, now, VENUE, spot=spot)
    avg = (last + first) / 2
    return {
        "symbol": f"{base}USDT" if spot else perp_symbol(base)[0],
        "priceChange": fmt((last - first) * mult),
        "priceChangePercent": f"{(last / first - 1.0) * 100:.3f}",
        "weightedAvgPrice": fmt(avg * mult),
        "lastPrice": fmt(last * mult),
        "lastQty": fmt(500.0 / last / mult, 4),
        "openPrice": fmt(first * mult),
        "highPrice": fmt(max(last, first) * 1.012 * mult),
        "lowPrice": fmt(min(last, first) * 0.988 * mult),
        "volume": fmt(quote / avg / mult, 10),
        "quoteVolume": f"{quote:.8f}",
        "openTime": now - DAY_MS,
        "closeTime": now,
        "firstId": 1_000_000,
        "lastId": 1_000_000 + int(quote / 20_000),
        "count": int(quote / 20_000) + 1,
    }


def ticker_24hr(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /fapi/v1/ticker/24hr``: all perps, or one object with ``symbol``."""
    if params.get("symbol"):
        base = _perp_base(m, params["symbol"])
        return Answer(200, _day_stats(m, base, now, perp_symbol(base)[1], False))
    return Answer(200, [_day_stats(m, b, now, perp_symbol(b)[1], False) for b in m.listed(VENUE)])


def _next_funding(m: Market, base: str, now: int) -> int:
    step = m.funding_interval_h(base, VENUE) * HOUR_MS
    return (now // step + 1) * step


def _premium(m: Market, base: str, now: int) -> dict[str, object]:
    symbol, mult = perp_symbol(base)
    return {
        "symbol": symbol,
        "markPrice": fmt(m.mark(base, now) * mult, 9),
        "indexPrice": fmt(m.index(base, now) * mult, 9),
        "estimatedSettlePrice": fmt(m.index(base, now) * mult, 9),
        "lastFundingRate": f"{m.funding(base, now, VENUE):.8f}",
        "interestRate": "0.00010000",
        "nextFundingTime": _next_funding(m, base, now),
        "time": now,
    }


def premium_index(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /fapi/v1/premiumIndex``: mark, index, funding rate and next funding time."""
    if params.get("symbol"):
        return Answer(200, _premium(m, _perp_base(m, params["symbol"]), now))
    return Answer(200, [_premium(m, b, now) for b in m.listed(VENUE)])


def funding_info(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /fapi/v1/fundingInfo``: only the symbols whose interval is not the default 8 h."""
    rows = [
        {
            "symbol": perp_symbol(b)[0],
            "adjustedFundingRateCap": "0.02000000",
            "adjustedFundingRateFloor": "-0.02000000",
            "fundingIntervalHours": m.funding_interval_h(b, VENUE),
            "disclaimer": False,
        }
        for b in m.listed(VENUE)
        if m.funding_interval_h(b, VENUE) != 8
    ]
    return Answer(200, rows)


def open_interest(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /fapi/v1/openInterest?symbol=``: open interest now in contract units (1000 PEPE each)."""
    base = _perp_base(m, required(params, "symbol"))
    symbol, mult = perp_symbol(base)
    return Answer(
        200,
        {"openInterest": fmt(m.open_interest(base, now, VENUE) / mult, 10), "symbol": symbol, "time": now},
    )


def _kline_rows(
    m: Market, base: str, params: dict[str, str], now: int, mult: float, hi: int, spot: bool = False
) -> list[list[object]]:
    """Kline rows; the taker-buy fields (9, 10) split the quote volume by the market's ``taker_flow``, and a
    spot pair's quote volume is the spot flow's total (the perp's is the candle's, the same number)."""
    step = INTERVALS.get(required(params, "interval"))
    if step is None:
        raise BadParam("Invalid interval.")
    limit = integer(params, "limit", 500, 1, hi) or 500
    start, end = integer(params, "startTime"), integer(params, "endTime")
    rows: list[list[object]] = []
    for t in grid(step, start, end, now, limit, newest=start is None):
        o, h, low, c, vol = m.candle(base, t, t + step, now)
        buy, sell = m.taker_flow(base, t, t + step, now, VENUE, spot)
        quote = buy + sell if spot else vol * (o + c) / 2
        vol = quote / ((o + c) / 2)
        rows.append(
            [
                t,
                fmt(o * mult),
                fmt(h * mult),
                fmt(low * mult),
                fmt(c * mult),
                fmt(vol / mult, 10),
                t + step - 1,
                f"{quote:.8f}",
                int(quote / 2_000) + 1,
                fmt(buy / ((o + c) / 2) / mult, 10),
                f"{min(buy, quote):.8f}",
                "0",
            ]
        )
    return rows


def klines(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /fapi/v1/klines``: ascending candles, at most 1500, the last one still forming."""
    base = _perp_base(m, required(params, "symbol"))
    return Answer(200, _kline_rows(m, base, params, now, perp_symbol(base)[1], 1500))


def spot_klines(m: Market, params: dict[str, str], now: int) -> Answer:
    """Spot ``GET /api/v3/klines``: the same rows for the ``PEPEUSDT``-style pair, at most 1000."""
    base = _spot_base(m, required(params, "symbol"))
    return Answer(200, _kline_rows(m, base, params, now, 1.0, 1000, spot=True))


def funding_rate(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /fapi/v1/fundingRate``: settled rates every interval, ascending, at most 1000."""
    base = _perp_base(m, required(params, "symbol"))
    symbol, mult = perp_symbol(base)
    step = m.funding_interval_h(base, VENUE) * HOUR_MS
    limit = integer(params, "limit", 100, 1, 1000) or 100
    start, end = integer(params, "startTime"), integer(params, "endTime")
    rows = [
        {
            "symbol": symbol,
            "fundingRate": f"{m.funding(base, t - 1, VENUE):.8f}",
            "fundingTime": t,
            "markPrice": fmt(m.mark(base, t) * mult, 9),
        }
        for t in grid(step, start, end, now, limit, newest=start is None)
    ]
    return Answer(200, rows)


def _data_rows(
    m: Market, params: dict[str, str], now: int, row: Callable[[str, str, float, int], dict[str, object]]
) -> Answer:
    base = _perp_base(m, required(params, "symbol"))
    symbol, mult = perp_symbol(base)
    step = INTERVALS.get(required(params, "period"))
    if step is None or step < 300_000:
        raise BadParam("Invalid period.")
    limit = integer(params, "limit", 30, 1, 500) or 30
    start, end = integer(params, "startTime"), integer(params, "endTime")
    times = grid(step, start, end, now, limit, newest=start is None, floor_ms=now - DATA_DEPTH_MS)
    return Answer(200, [row(base, symbol, mult, t) for t in times])


def open_interest_hist(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /futures/data/openInterestHist``: OI (contract units) and its USDT value, last 30 days."""

    def row(base: str, symbol: str, mult: float, t: int) -> dict[str, object]:
        oi = m.open_interest(base, t, VENUE)
        return {
            "symbol": symbol,
            "sumOpenInterest": f"{oi / mult:.8f}",
            "sumOpenInterestValue": f"{oi * m.price(base, t):.8f}",
            "CMCCirculatingSupply": f"{oi * 40:.3f}",
            "timestamp": t,
        }

    return _data_rows(m, params, now, row)


def _ratio_route(tilt: float, top: bool = False) -> Callable[[Market, dict[str, str], int], Answer]:
    def route(m: Market, params: dict[str, str], now: int) -> Answer:
        def row(base: str, symbol: str, mult: float, t: int) -> dict[str, object]:
            # The top traders' positions follow their own wave, on either side of the crowd's ratio.
            ratio = m.top_long_short(base, t, VENUE) if top else m.long_short(base, t, VENUE) * tilt
            return {
                "symbol": symbol,
                "longShortRatio": f"{ratio:.4f}",
                "longAccount": f"{ratio / (1 + ratio):.4f}",
                "shortAccount": f"{1 / (1 + ratio):.4f}",
                "timestamp": t,
            }

        return _data_rows(m, params, now, row)

    route.__doc__ = "``GET /futures/data/*LongShort*Ratio``: long/short ratio rows, last 30 days."
    return route


def spot_ticker_24hr(m: Market, params: dict[str, str], now: int) -> Answer:
    """Spot ``GET /api/v3/ticker/24hr``: ``symbol``, ``symbols=["BTCUSDT",...]`` (JSON) or all pairs."""
    if params.get("symbol"):
        base = _spot_base(m, params["symbol"])
        return Answer(200, _spot_item(m, base, now))
    if params.get("symbols"):
        try:
            names = json.loads(params["symbols"])
        except ValueError as exc:
            raise BadParam("Invalid JSON in parameter 'symbols'.") from exc
        if not isinstance(names, list) or not names:
            raise BadParam("Parameter 'symbols' must be a non-empty JSON array.")
        return Answer(200, [_spot_item(m, _spot_base(m, str(n)), now) for n in names])
    return Answer(200, [_spot_item(m, b, now) for b in m.listed(VENUE)])


def _spot_item(m: Market, base: str, now: int) -> dict[str, object]:
    item = _day_stats(m, base, now, 1.0, True)
    last = m.spot_price(base, now, VENUE)
    item.update(
        lastPrice=fmt(last),
        prevClosePrice=fmt(m.price(base, now - DAY_MS)),
        bidPrice=fmt(last * 0.9999),
        bidQty="1.00000000",
        askPrice=fmt(last * 1.0001),
        askQty="1.00000000",
    )
    return item


ROUTES: dict[str, Callable[[Market, dict[str, str], int], Answer]] = {
    "/fapi/v1/ticker/24hr": ticker_24hr,
    "/fapi/v1/premiumIndex": premium_index,
    "/fapi/v1/fundingInfo": funding_info,
    "/fapi/v1/openInterest": open_interest,
    "/fapi/v1/klines": klines,
    "/fapi/v1/fundingRate": funding_rate,
    "/futures/data/openInterestHist": open_interest_hist,
    "/futures/data/globalLongShortAccountRatio": _ratio_route(1.0),
    "/futures/data/topLongShortAccountRatio": _ratio_route(1.1),
    "/futures/data/topLongShortPositionRatio": _ratio_route(1.0, top=True),
    "/api/v3/ticker/24hr": spot_ticker_24hr,
    "/api/v3/klines": spot_klines,
}


def http(m: Market, method: str, path: str, params: dict[str, str], now: int) -> Answer:
    """Answer one Binance REST request (404 for a path Binance would not serve here)."""
    route = ROUTES.get(path)
    if route is None or method != "GET":
        return Answer(404, "<html><body><h2>404 Not found</h2></body></html>", content_type="text/html")
    try:
        return route(m, params, now)
    except UnknownSymbol:
        return Answer(400, {"code": -1121, "msg": "Invalid symbol."})
    except BadParam as bad:
        return Answer(400, {"code": -1130, "msg": str(bad)})


class WeightMeter:
    """Request weight used per minute, per host (futures and spot count separately, as on Binance)."""

    def __init__(self) -> None:
        self._minute: dict[str, int] = {}
        self._used: dict[str, int] = {}

    def charge(self, path: str, params: dict[str, str], now: int) -> int:
        """Add this request's weight and return the minute's total for its host."""
        host = "api" if path.startswith("/api/") else "fapi"
        minute = now // 60_000
        if self._minute.get(host) != minute:
            self._minute[host], self._used[host] = minute, 0
        self._used[host] += _weight(path, params)
        return self._used[host]


def _weight(path: str, params: dict[str, str]) -> int:
    # Weights from the official docs as quoted in EXCHANGES.md §2.1.
    one = bool(params.get("symbol"))
    if path == "/fapi/v1/ticker/24hr":
        return 1 if one else 40
    if path == "/fapi/v1/premiumIndex":
        return 1 if one else 10
    if path == "/fapi/v1/klines":
        limit = int(params.get("limit") or 500) if (params.get("limit") or "").isdigit() else 500
        return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10
    if path == "/api/v3/ticker/24hr":
        if one:
            return 2
        count = params.get("symbols", "").count(",") + 1 if params.get("symbols") else 1000
        return 2 if count <= 20 else 40 if count <= 100 else 80
    if path.startswith("/futures/data/") or path in ("/fapi/v1/fundingInfo", "/fapi/v1/fundingRate"):
        return 0
    return 2 if path.startswith("/api/") else 1


def force_order(
    m: Market, base: str, side: str, qty: float, price: float, now: int
) -> tuple[str, dict[str, object]]:
    """A ``forceOrder`` event: ``S`` is the liquidation ORDER side, so a liquidated long is a SELL."""
    symbol, mult = perp_symbol(base)
    q, p = fmt(qty / mult, 8), fmt(price * mult)
    order = {
        "s": symbol,
        "S": "SELL" if side == "long" else "BUY",
        "o": "LIMIT",
        "f": "IOC",
        "q": q,
        "p": p,
        "ap": p,
        "X": "FILLED",
        "l": q,
        "z": q,
        "T": now,
    }
    return symbol, {"e": "forceOrder", "E": now + 2, "o": order}
