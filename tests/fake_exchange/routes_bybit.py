"""Bybit v5 REST payloads and ``allLiquidation`` pushes built from the fake market.

Shapes follow the official v5 docs (EXCHANGES.md §3): the ``{retCode, retMsg, result, retExtInfo, time}``
envelope, every number and time a string, history NEWEST first with ``nextPageCursor``, ``1000PEPEUSDT``
priced per 1000 coins. A bad or unknown symbol is ``retCode`` 10001 with HTTP 200, as Bybit does.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, unquote

from tests.fake_exchange.market import DAY_MS, HOUR_MS, MULTIPLIED, Market, fmt, grid
from tests.fake_exchange.wire import Answer, BadParam, integer, required

VENUE = "bybit"
# Instruments listed from this date: history without startTime pages back to it and stops.
LAUNCH_MS = 1_585_526_400_000
KLINE_MS = {
    "1": 60_000,
    "3": 180_000,
    "5": 300_000,
    "15": 900_000,
    "30": 1_800_000,
    "60": HOUR_MS,
    "120": 2 * HOUR_MS,
    "240": 4 * HOUR_MS,
    "360": 6 * HOUR_MS,
    "720": 12 * HOUR_MS,
    "D": DAY_MS,
}
OI_MS = {
    "5min": 300_000,
    "15min": 900_000,
    "30min": 1_800_000,
    "1h": HOUR_MS,
    "4h": 4 * HOUR_MS,
    "1d": DAY_MS,
}
RATIO_MS = {
    "5min": 300_000,
    "15min": 900_000,
    "30min": 1_800_000,
    "1h": HOUR_MS,
    "4h": 4 * HOUR_MS,
    "1d": DAY_MS,
}


def perp_symbol(base: str) -> tuple[str, float]:
    """The linear perpetual of ``base`` and its multiplier: ("1000PEPEUSDT", 1000.0)."""
    return (f"1000{base}USDT", 1000.0) if base in MULTIPLIED else (f"{base}USDT", 1.0)


def _base(m: Market, symbol: str, spot: bool = False) -> str:
    for base in m.listed(VENUE):
        if (f"{base}USDT" if spot else perp_symbol(base)[0]) == symbol:
            return base
    raise BadParam("params error: symbol invalid")


def _ok(result: object, now: int) -> Answer:
    return Answer(200, {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now})


def _category(params: dict[str, str], allowed: tuple[str, ...] = ("linear",)) -> str:
    category = required(params, "category")
    if category not in allowed:
        raise BadParam(f"params error: category {category} not supported here")
    return category


def _linear_ticker(m: Market, base: str, now: int) -> dict[str, str]:
    symbol, mult = perp_symbol(base)
    last, prev = m.price(base, now, VENUE), m.price(base, now - DAY_MS, VENUE)
    oi = m.open_interest(base, now, VENUE)
    turnover = m.volume_usd(base, now, VENUE)
    step = m.funding_interval_h(base, VENUE) * HOUR_MS
    return {
        "symbol": symbol,
        "lastPrice": fmt(last * mult),
        "indexPrice": fmt(m.index(base, now) * mult),
        "markPrice": fmt(m.mark(base, now, VENUE) * mult),
        "prevPrice24h": fmt(prev * mult),
        "price24hPcnt": f"{last / prev - 1.0:.6f}",
        "highPrice24h": fmt(max(last, prev) * 1.012 * mult),
        "lowPrice24h": fmt(min(last, prev) * 0.988 * mult),
        "prevPrice1h": fmt(m.price(base, now - HOUR_MS, VENUE) * mult),
        "openInterest": fmt(oi / mult, 10),
        "openInterestValue": f"{oi * last:.2f}",
        "turnover24h": f"{turnover:.4f}",
        "volume24h": fmt(turnover / last / mult, 10),
        "fundingRate": f"{m.funding(base, now, VENUE):.8f}",
        "nextFundingTime": str((now // step + 1) * step),
        "predictedDeliveryPrice": "",
        "basisRate": "",
        "deliveryFeeRate": "",
        "deliveryTime": "0",
        "ask1Size": "12.5",
        "bid1Price": fmt(last * 0.9999 * mult),
        "ask1Price": fmt(last * 1.0001 * mult),
        "bid1Size": "10.1",
        "basis": "",
        "preOpenPrice": "",
        "preQty": "",
        "curPreListingPhase": "",
        "fundingIntervalHour": str(m.funding_interval_h(base, VENUE)),
        "basisRateYear": "",
        "fundingCap": "0.005",
    }


def _spot_ticker(m: Market, base: str, now: int) -> dict[str, str]:
    last, prev = m.spot_price(base, now, VENUE), m.spot_price(base, now - DAY_MS, VENUE)
    turnover = m.volume_usd(base, now, VENUE, spot=True)
    return {
        "symbol": f"{base}USDT",
        "bid1Price": fmt(last * 0.9999),
        "bid1Size": "2",
        "ask1Price": fmt(last * 1.0001),
        "ask1Size": "1.5",
        "lastPrice": fmt(last),
        "prevPrice24h": fmt(prev),
        "price24hPcnt": f"{last / prev - 1:.4f}",
        "highPrice24h": fmt(max(last, prev) * 1.01),
        "lowPrice24h": fmt(min(last, prev) * 0.99),
        "turnover24h": f"{turnover:.8f}",
        "volume24h": fmt(turnover / last, 10),
        "usdIndexPrice": fmt(m.index(base, now)),
    }


def tickers(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /v5/market/tickers?category=linear|spot[&symbol=]``."""
    category = _category(params, ("linear", "spot"))
    spot = category == "spot"
    make = _spot_ticker if spot else _linear_ticker
    bases = [_base(m, params["symbol"], spot)] if params.get("symbol") else list(m.listed(VENUE))
    return _ok({"category": category, "list": [make(m, b, now) for b in bases]}, now)


def instruments_info(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /v5/market/instruments-info?category=linear``: pages of ``limit`` (max 1000) by cursor."""
    _category(params)
    limit = integer(params, "limit", 500, 1, 1000) or 500
    offset = int(params["cursor"]) if params.get("cursor", "").isdigit() else 0
    bases = m.listed(VENUE)
    rows = []
    for base in bases[offset : offset + limit]:
        symbol, mult = perp_symbol(base)
        rows.append(
            {
                "symbol": symbol,
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "baseCoin": f"1000{base}" if mult > 1 else base,
                "quoteCoin": "USDT",
                "launchTime": str(LAUNCH_MS),
                "deliveryTime": "0",
                "deliveryFeeRate": "",
                "priceScale": "4",
                "leverageFilter": {"minLeverage": "1", "maxLeverage": "50.00", "leverageStep": "0.01"},
                "priceFilter": {"minPrice": "0.0001", "maxPrice": "1999999.80", "tickSize": "0.0001"},
                "lotSizeFilter": {
                    "maxOrderQty": "1000000",
                    "minOrderQty": "0.001",
                    "qtyStep": "0.001",
                    "postOnlyMaxOrderQty": "1000000",
                    "maxMktOrderQty": "500000",
                    "minNotionalValue": "5",
                },
                "unifiedMarginTrade": True,
                "fundingInterval": m.funding_interval_h(base, VENUE) * 60,
                "settleCoin": "USDT",
                "copyTrading": "both",
                "upperFundingRate": "0.005",
                "lowerFundingRate": "-0.005",
                "isPreListing": False,
                "preListingInfo": None,
                "symbolType": "",
            }
        )
    more = offset + limit < len(bases)
    return _ok(
        {"category": "linear", "list": rows, "nextPageCursor": str(offset + limit) if more else ""}, now
    )


def kline(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /v5/market/kline``: newest first, the ``limit`` (max 1000) newest bars within [start, end]."""
    category = _category(params, ("linear", "spot"))
    spot = category == "spot"
    symbol = required(params, "symbol")
    base = _base(m, symbol, spot)
    mult = 1.0 if spot else perp_symbol(base)[1]
    step = KLINE_MS.get(required(params, "interval"))
    if step is None:
        raise BadParam("params error: invalid interval")
    limit = integer(params, "limit", 200, 1, 1000) or 200
    times = grid(step, integer(params, "start"), integer(params, "end"), now, limit, newest=True)
    rows = []
    for t in reversed(times):
        o, h, low, c, vol = m.candle(base, t, t + step, now, VENUE)
        rows.append(
            [
                str(t),
                fmt(o * mult),
                fmt(h * mult),
                fmt(low * mult),
                fmt(c * mult),
                fmt(vol / mult, 10),
                f"{vol * (o + c) / 2:.4f}",
            ]
        )
    return _ok({"symbol": symbol, "category": category, "list": rows}, now)


def _cursor_page(params: dict[str, str], step: int, now: int, hi: int, default: int) -> tuple[list[int], str]:
    """Newest-first times for a cursor-paged history, and the next cursor ("" when the range is done)."""
    limit = integer(params, "limit", default, 1, hi) or default
    start, end = integer(params, "startTime"), integer(params, "endTime")
    cursor = unquote(params.get("cursor", ""))
    if cursor:
        fields = dict(part.partition("=")[::2] for part in cursor.split("&"))
        try:
            older_than = int(fields["lasttime"]) * 1000
        except (KeyError, ValueError) as exc:
            raise BadParam("params error: cursor invalid") from exc
        end = older_than - 1 if end is None else min(end, older_than - 1)
    floor = LAUNCH_MS if start is None else max(start, LAUNCH_MS)
    # One past the limit tells whether another page exists without a second pass.
    times = grid(step, floor, end, now, limit + 1, newest=True)
    more = len(times) > limit
    times = times[-limit:]
    page = list(reversed(times))
    if not more or not page:
        return page, ""
    return page, quote(f"lastid={page[-1] // step}&lasttime={page[-1] // 1000}", safe="")


def open_interest(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /v5/market/open-interest``: OI in contract units (base coin; 1000 PEPE), newest first, cursor."""
    _category(params)
    symbol = required(params, "symbol")
    base = _base(m, symbol)
    step = OI_MS.get(required(params, "intervalTime"))
    if step is None:
        raise BadParam("params error: invalid intervalTime")
    times, cursor = _cursor_page(params, step, now, 200, 50)
    mult = perp_symbol(base)[1]
    rows = [
        {"openInterest": f"{m.open_interest(base, t, VENUE) / mult:.8f}", "timestamp": str(t)} for t in times
    ]
    return _ok({"symbol": symbol, "category": "linear", "list": rows, "nextPageCursor": cursor}, now)


def account_ratio(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /v5/market/account-ratio``: buy/sell account shares, newest first, cursor-paged."""
    _category(params)
    symbol = required(params, "symbol")
    base = _base(m, symbol)
    step = RATIO_MS.get(required(params, "period"))
    if step is None:
        raise BadParam("params error: invalid period")
    times, cursor = _cursor_page(params, step, now, 500, 50)
    rows = []
    for t in times:
        ratio = m.long_short(base, t, VENUE)
        buy = round(ratio / (1 + ratio), 4)
        rows.append(
            {"symbol": symbol, "buyRatio": f"{buy:.4f}", "sellRatio": f"{1 - buy:.4f}", "timestamp": str(t)}
        )
    return _ok({"list": rows, "nextPageCursor": cursor}, now)


def funding_history(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /v5/market/funding/history``: settled rates newest first, <= 200; startTime alone refused."""
    _category(params)
    symbol = required(params, "symbol")
    base = _base(m, symbol)
    start, end = integer(params, "startTime"), integer(params, "endTime")
    if start is not None and end is None:
        raise BadParam("params error: endTime is required when startTime is passed")
    limit = integer(params, "limit", 200, 1, 200) or 200
    step = m.funding_interval_h(base, VENUE) * HOUR_MS
    times = grid(step, max(start or LAUNCH_MS, LAUNCH_MS), end, now, limit, newest=True)
    rows = [
        {
            "symbol": symbol,
            "fundingRate": f"{m.funding(base, t - 1, VENUE):.8f}",
            "fundingRateTimestamp": str(t),
        }
        for t in reversed(times)
    ]
    return _ok({"category": "linear", "list": rows}, now)


ROUTES: dict[str, Callable[[Market, dict[str, str], int], Answer]] = {
    "/v5/market/tickers": tickers,
    "/v5/market/instruments-info": instruments_info,
    "/v5/market/kline": kline,
    "/v5/market/open-interest": open_interest,
    "/v5/market/account-ratio": account_ratio,
    "/v5/market/funding/history": funding_history,
}


def http(m: Market, method: str, path: str, params: dict[str, str], now: int) -> Answer:
    """Answer one Bybit REST request; refused parameters are ``retCode`` 10001 with HTTP 200."""
    route = ROUTES.get(path)
    if route is None or method != "GET":
        return Answer(404, "404 page not found", content_type="text/plain")
    try:
        return route(m, params, now)
    except BadParam as bad:
        return Answer(
            200, {"retCode": 10001, "retMsg": str(bad), "result": {}, "retExtInfo": {}, "time": now}
        )


def all_liquidation(
    base: str, side: str, qty: float, price: float, now: int
) -> tuple[str, dict[str, object]]:
    """An ``allLiquidation.{symbol}`` push: ``S`` is the POSITION side, so a liquidated long is ``Buy``."""
    symbol, mult = perp_symbol(base)
    topic = f"allLiquidation.{symbol}"
    item = {
        "T": now,
        "s": symbol,
        "S": "Buy" if side == "long" else "Sell",
        "v": fmt(qty / mult, 8),
        "p": fmt(price * mult),
    }
    return topic, {"topic": topic, "type": "snapshot", "ts": now + 3, "data": [item]}
