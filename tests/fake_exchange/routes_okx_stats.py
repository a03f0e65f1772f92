"""OKX v5 payloads behind the premium, top-trader and taker-flow columns, built from the fake market.

Mark prices and index tickers (batch), and the rubik rows of the top traders' position ratio and of the
contract and spot taker volume (per instrument / per currency), in the shapes of the v5 doc pages; the
helpers (envelope, rubik time grid, unknown instruments) are ``routes_okx``'s.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.fake_exchange.market import DAY_MS, Market, fmt, grid
from tests.fake_exchange.routes_okx import BARS, VENUE, _ok, _rubik, swaps
from tests.fake_exchange.wire import Answer, BadParam, integer, required


def mark_price(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/public/mark-price?instType=SWAP``: ``markPx`` of every swap."""
    if required(params, "instType") != "SWAP":
        raise BadParam("Parameter instType error")
    rows: list[object] = [
        {"instType": "SWAP", "instId": s.inst_id, "markPx": fmt(m.mark(s.base, now, VENUE)), "ts": str(now)}
        for s in swaps(m)
    ]
    return _ok(rows)


def index_tickers(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/market/index-tickers?quoteCcy=USDT|USD|...``: ``idxPx`` of each coin's index."""
    quote = params.get("quoteCcy")
    if not quote and not params.get("instId"):
        raise BadParam("Either quoteCcy or instId is required")
    rows: list[object] = []
    for base in m.listed(VENUE):
        inst_id = f"{base}-{quote or 'USDT'}"
        if params.get("instId") not in (None, inst_id):
            continue
        px, first = m.index(base, now), m.index(base, now - DAY_MS)
        rows.append(
            {
                "instId": inst_id,
                "idxPx": fmt(px),
                "high24h": fmt(max(px, first) * 1.01),
                "sodUtc0": fmt(first),
                "open24h": fmt(first),
                "low24h": fmt(min(px, first) * 0.99),
                "sodUtc8": fmt(first),
                "ts": str(now),
            }
        )
    return _ok(rows)


def rubik_top_trader(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET .../long-short-position-ratio-contract-top-trader``: rows [ts, ratio], newest first."""
    s, times = _rubik(params, m, now)
    return _ok([[str(t), f"{m.top_long_short(s.base, t, VENUE):.4f}"] for t in times])


def rubik_taker_contract(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/rubik/stat/taker-volume-contract``: rows [ts, sellVol, buyVol], newest first.

    ``unit`` 0 = coin, 1 = contracts (the default), 2 = USD, as the doc says; the forming bar is included.
    """
    s, times = _rubik(params, m, now)
    unit = params.get("unit") or "1"
    if unit not in ("0", "1", "2"):
        raise BadParam("Parameter unit error")
    step = BARS[params.get("period") or "5m"]
    rows: list[object] = []
    for t in times:
        buy, sell = m.taker_flow(s.base, t, t + step, now, VENUE)
        price = m.price(s.base, t, VENUE)
        scale = {"0": 1 / price, "1": 1 / price / s.ct_val, "2": 1.0}[unit]
        rows.append([str(t), fmt(sell * scale, 12), fmt(buy * scale, 12)])
    return _ok(rows)


def rubik_taker_spot(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/rubik/stat/taker-volume?ccy&instType=SPOT``: rows [ts, sellVol, buyVol] in COINS.

    Valued at the spot price of the bar's open, newest first; 5-minute rows only reach back two days.
    """
    base = required(params, "ccy")
    if required(params, "instType") not in ("SPOT", "CONTRACTS"):
        raise BadParam("Parameter instType error")
    if not m.lists(VENUE, base):
        return Answer(200, {"code": "51000", "msg": f"Parameter ccy error: {base}", "data": []})
    step = BARS.get(params.get("period") or "5m")
    if step is None:
        raise BadParam("Parameter period error")
    spot = required(params, "instType") == "SPOT"
    times = grid(step, integer(params, "begin"), integer(params, "end"), now, 576, newest=True)
    rows: list[object] = []
    for t in reversed(times):
        buy, sell = m.taker_flow(base, t, t + step, now, VENUE, spot=spot)
        price = m.spot_price(base, t, VENUE) if spot else m.price(base, t, VENUE)
        rows.append([str(t), fmt(sell / price, 12), fmt(buy / price, 12)])
    return _ok(rows)


STATS_ROUTES: dict[str, Callable[[Market, dict[str, str], int], Answer]] = {
    "/api/v5/public/mark-price": mark_price,
    "/api/v5/market/index-tickers": index_tickers,
    "/api/v5/rubik/stat/contracts/long-short-position-ratio-contract-top-trader": rubik_top_trader,
    "/api/v5/rubik/stat/taker-volume-contract": rubik_taker_contract,
    "/api/v5/rubik/stat/taker-volume": rubik_taker_spot,
}
