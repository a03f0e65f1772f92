"""Hyperliquid ``POST /info`` payloads built from the fake market.

Shapes follow the official docs (EXCHANGES.md §5): ``metaAndAssetCtxs`` is ``[meta, ctxs]`` paired by
position (a ctx carries no name), prices are decimal strings and times int ms, funding is HOURLY, ``kPEPE``
is 1000 PEPE. Spot pairs are ``UBTC/USDC``-style wrapped names for BTC/ETH/SOL and ``@<index>`` for a few
others. A body that is not a known request is HTTP 422 with Hyperliquid's deserialisation message.
"""

from __future__ import annotations

from typing import Any

from tests.fake_exchange.market import DAY_MS, HL_WRAPPED, HOUR_MS, MULTIPLIED, Market, fmt, grid
from tests.fake_exchange.wire import Answer

VENUE = "hyperliquid"
INTERVALS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
}
CANDLE_ROWS = 5000  # only the most recent 5000 candles are served
FUNDING_ROWS = 500
SPOT_OTHERS = 4  # bases beside the wrapped three that get an "@<index>" spot pair
_BAD_BODY = "Failed to deserialize the JSON body into the target type"


class BadBody(Exception):
    """A request body Hyperliquid cannot deserialise: HTTP 422."""


# A delisted perp stays in the universe with isDelisted; clients must skip it.
_DELISTED = {"name": "LOOM", "szDecimals": 0, "maxLeverage": 3, "onlyIsolated": True, "isDelisted": True}


def coin_name(base: str) -> tuple[str, float]:
    """The perp's coin name and multiplier: ("kPEPE", 1000.0), ("BTC", 1.0)."""
    return (f"k{base}", 1000.0) if base in MULTIPLIED else (base, 1.0)


def _base(m: Market, coin: str) -> str | None:
    for base in m.listed(VENUE):
        if coin_name(base)[0] == coin:
            return base
    return None


def _ctx(m: Market, base: str, now: int) -> dict[str, Any]:
    mult = coin_name(base)[1]
    mark, mid = m.mark(base, now, VENUE), m.price(base, now, VENUE)
    rate = m.funding(base, now, VENUE)
    volume = m.volume_usd(base, now, VENUE)
    return {
        "dayNtlVlm": f"{volume:.6f}",
        "funding": f"{rate:.8f}",
        "impactPxs": [fmt(mid * 0.9998 * mult, 6), fmt(mid * 1.0002 * mult, 6)],
        "markPx": fmt(mark * mult, 6),
        "midPx": fmt(mid * mult, 6),
        "openInterest": fmt(m.open_interest(base, now, VENUE) / mult, 10),
        "oraclePx": fmt(m.index(base, now) * mult, 6),
        "premium": f"{rate * 2:.8f}",
        "prevDayPx": fmt(m.price(base, now - DAY_MS, VENUE) * mult, 6),
        "dayBaseVlm": fmt(volume / mid / mult, 10),
    }


def meta_and_asset_ctxs(m: Market, now: int) -> Any:
    """``{"type": "metaAndAssetCtxs"}``: ``[meta, ctxs]``, with one delisted asset at the end."""
    universe: list[dict[str, Any]] = []
    ctxs: list[dict[str, Any]] = []
    for base in m.listed(VENUE):
        universe.append(
            {"name": coin_name(base)[0], "szDecimals": 2, "maxLeverage": 40 if base == "BTC" else 10}
        )
        ctxs.append(_ctx(m, base, now))
    universe.append(_DELISTED)
    ctxs.append(
        {
            "dayNtlVlm": "0.0",
            "funding": "0.0",
            "impactPxs": None,
            "markPx": "0.05",
            "midPx": None,
            "openInterest": "0.0",
            "oraclePx": "0.05",
            "premium": None,
            "prevDayPx": "0.05",
            "dayBaseVlm": "0.0",
        }
    )
    meta = {
        "universe": universe,
        "marginTables": [
            [10, {"description": "", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": 10}]}]
        ],
        "collateralToken": 0,
    }
    return [meta, ctxs]


def spot_pairs(m: Market) -> list[tuple[str, str, str]]:
    """(pair name, token name, base) of every spot pair tied to a listed base, ``PURR/USDC`` excluded."""
    pairs: list[tuple[str, str, str]] = []
    others = 0
    for base in m.listed(VENUE):
        if base in HL_WRAPPED:
            token = HL_WRAPPED[base]
            pairs.append((f"{token}/USDC", token, base))
        elif base not in MULTIPLIED and others < SPOT_OTHERS:
            others += 1
            pairs.append(("", base, base))  # "@index" name given below, once the index is known
    # Index 0 is PURR/USDC, as on the real venue.
    return [(name or f"@{i + 1}", token, base) for i, (name, token, base) in enumerate(pairs)]


def spot_meta_and_asset_ctxs(m: Market, now: int) -> Any:
    """``{"type": "spotMetaAndAssetCtxs"}``: ``[{universe, tokens}, ctxs]``, ctxs named by ``coin``."""
    tokens: list[dict[str, Any]] = [
        {
            "name": "USDC",
            "szDecimals": 8,
            "weiDecimals": 8,
            "index": 0,
            "tokenId": "0x" + "6d" * 16,
            "isCanonical": True,
            "evmContract": None,
            "fullName": None,
        },
        {
            "name": "PURR",
            "szDecimals": 0,
            "weiDecimals": 5,
            "index": 1,
            "tokenId": "0x" + "c1" * 16,
            "isCanonical": True,
            "evmContract": None,
            "fullName": None,
        },
    ]
    universe: list[dict[str, Any]] = [
        {"tokens": [1, 0], "name": "PURR/USDC", "index": 0, "isCanonical": True}
    ]
    ctxs: list[dict[str, Any]] = [
        {
            "prevDayPx": "0.2",
            "dayNtlVlm": "125000.5",
            "markPx": "0.21",
            "midPx": "0.2101",
            "circulatingSupply": "596000000.0",
            "coin": "PURR/USDC",
            "totalSupply": "596000000.0",
            "dayBaseVlm": "600000.0",
        }
    ]
    for index, (name, token, base) in enumerate(spot_pairs(m), start=1):
        token_index = len(tokens)
        tokens.append(
            {
                "name": token,
                "szDecimals": 5,
                "weiDecimals": 10,
                "index": token_index,
                "tokenId": f"0x{token_index:032x}",
                "isCanonical": False,
                "evmContract": None,
                "fullName": f"Unit {base}" if token != base else None,
            }
        )
        universe.append({"tokens": [token_index, 0], "name": name, "index": index, "isCanonical": False})
        last, volume = m.spot_price(base, now, VENUE), m.volume_usd(base, now, VENUE, spot=True)
        ctxs.append(
            {
                "prevDayPx": fmt(m.spot_price(base, now - DAY_MS, VENUE), 6),
                "dayNtlVlm": f"{volume:.6f}",
                "markPx": fmt(last * 0.9999, 6),  # the mark trails the book a little; the mid is the price
                "midPx": fmt(last, 6),
                "circulatingSupply": "21000000.0",
                "coin": name,
                "totalSupply": "21000000.0",
                "dayBaseVlm": fmt(volume / last, 10),
            }
        )
    return [{"universe": universe, "tokens": tokens}, ctxs]


def candle_snapshot(m: Market, req: Any, now: int) -> Any:
    """``{"type": "candleSnapshot", "req": {coin, interval, startTime, endTime}}``: ascending candles."""
    if not isinstance(req, dict) or not isinstance(req.get("startTime"), int):
        raise BadBody(_BAD_BODY)
    step = INTERVALS.get(str(req.get("interval")))
    if step is None:
        raise BadBody(_BAD_BODY)
    coin = str(req.get("coin"))
    base = _base(m, coin)
    if base is None:
        return []
    mult = coin_name(base)[1]
    end = req.get("endTime") if isinstance(req.get("endTime"), int) else None
    latest = now // step * step
    rows = []
    for t in grid(
        step,
        req["startTime"],
        end,
        now,
        CANDLE_ROWS,
        newest=False,
        floor_ms=latest - (CANDLE_ROWS - 1) * step,
    ):
        o, h, low, c, vol = m.candle(base, t, t + step, now, VENUE)
        rows.append(
            {
                "t": t,
                "T": t + step - 1,
                "s": coin,
                "i": req["interval"],
                "o": fmt(o * mult, 6),
                "c": fmt(c * mult, 6),
                "h": fmt(h * mult, 6),
                "l": fmt(low * mult, 6),
                "v": fmt(vol / mult, 8),
                "n": int(vol * c / 5_000) + 1,
            }
        )
    return rows


def funding_history(m: Market, body: dict[str, Any], now: int) -> Any:
    """``{"type": "fundingHistory", "coin", "startTime", "endTime"}``: hourly rows, ascending, at most 500."""
    if not isinstance(body.get("startTime"), int):
        raise BadBody(_BAD_BODY)
    coin = str(body.get("coin"))
    base = _base(m, coin)
    if base is None:
        return []
    end = body.get("endTime") if isinstance(body.get("endTime"), int) else None
    return [
        {
            "coin": coin,
            "fundingRate": f"{m.funding(base, t - 1, VENUE):.8f}",
            "premium": f"{m.funding(base, t - 1, VENUE) * 2 - 0.0000125:.8f}",
            "time": t,
        }
        for t in grid(HOUR_MS, body["startTime"], end, now, FUNDING_ROWS, newest=False)
    ]


def predicted_fundings(m: Market, now: int) -> Any:
    """``{"type": "predictedFundings"}``: ``[[coin, [[venue, {fundingRate, nextFundingTime, ...}], ...]], ...]``.

    HlPerp predicts the rate the market would settle at the next full hour (from the fake funding series at
    that hour, so it differs from the ctx's current ``funding``); BinPerp and BybitPerp rows ride along
    8-hourly, as on the real venue, and one coin has a ``null`` BybitPerp entry.
    """
    hour = (now // HOUR_MS + 1) * HOUR_MS
    eight = (now // (8 * HOUR_MS) + 1) * 8 * HOUR_MS
    rows: list[Any] = []
    for i, base in enumerate(m.listed(VENUE)):
        hl = {
            "fundingRate": f"{m.funding(base, hour, VENUE):.8f}",
            "nextFundingTime": hour,
            "fundingIntervalHours": 1,
        }
        binance = {
            "fundingRate": f"{m.funding(base, now, 'binance'):.8f}",
            "nextFundingTime": eight,
            "fundingIntervalHours": 8,
        }
        bybit = (
            None
            if i == 0
            else {"fundingRate": f"{m.funding(base, now, 'bybit'):.8f}", "nextFundingTime": eight}
        )
        rows.append([coin_name(base)[0], [["BinPerp", binance], ["HlPerp", hl], ["BybitPerp", bybit]]])
    return rows


def http(m: Market, method: str, path: str, body: Any, now: int) -> Answer:
    """Answer one ``POST /info`` request from its decoded JSON body (None when it was not JSON)."""
    if path != "/info" or method != "POST":
        return Answer(404, "Not Found", content_type="text/plain")
    kind = body.get("type") if isinstance(body, dict) else None
    try:
        if kind == "metaAndAssetCtxs":
            return Answer(200, meta_and_asset_ctxs(m, now))
        if kind == "spotMetaAndAssetCtxs":
            return Answer(200, spot_meta_and_asset_ctxs(m, now))
        if kind == "candleSnapshot":
            return Answer(200, candle_snapshot(m, body.get("req"), now))
        if kind == "fundingHistory":
            return Answer(200, funding_history(m, body, now))
        if kind == "predictedFundings":
            return Answer(200, predicted_fundings(m, now))
    except BadBody:
        pass
    return Answer(422, _BAD_BODY, content_type="text/plain")
