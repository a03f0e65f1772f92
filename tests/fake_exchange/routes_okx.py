"""OKX v5 REST payloads and ``liquidation-orders`` pushes built from the fake market.

Shapes follow the official v5 docs (EXCHANGES.md §4): the ``{"code": "0", "msg": "", "data": [...]}``
envelope, every number and time a string, sizes of swaps in CONTRACTS (``ctVal`` base coins each; the
inverse ``BTC-USD-SWAP`` is 100 USD each), history newest first with ``after`` = older than and
``before`` = newer than. An unknown ``instId`` is code 51001 with HTTP 200, as OKX does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.fake_exchange.market import DAY_MS, HOUR_MS, Market, fmt, grid
from tests.fake_exchange.wire import Answer, BadParam, integer, required

VENUE = "okx"
BARS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1H": HOUR_MS,
    "2H": 2 * HOUR_MS,
    "4H": 4 * HOUR_MS,
    "6H": 6 * HOUR_MS,
    "12H": 12 * HOUR_MS,
    "1D": DAY_MS,
}
RUBIK_ROWS = 1440  # rubik statistics keep only the latest 1,440 rows per period (EXCHANGES.md §4.1)
FUNDING_DEPTH_MS = 92 * DAY_MS  # funding history goes back about three months
LIST_MS = 1_611_916_828_000
# Coin-margined (USD, ctVal in USD) and USDC-margined swaps beside the USDT ones: (quote, ctVal).
_EXTRA = {"BTC": (("USD", 100.0), ("USDC", 0.0001)), "ETH": (("USD", 10.0), ("USDC", 0.001))}
_EXTRA_SHARE = 0.1


class UnknownInstrument(Exception):
    """An instId OKX does not list: code 51001."""


@dataclass(frozen=True)
class Swap:
    """One perpetual swap: its id, base, margin quote and contract value."""

    inst_id: str
    base: str
    quote: str  # USDT, USDC (linear, ctVal in base coin) or USD (inverse, ctVal in USD)
    ct_val: float
    share: float

    @property
    def inverse(self) -> bool:
        """Coin-margined: contracts are worth USD, settled in the base coin."""
        return self.quote == "USD"


def swaps(m: Market) -> list[Swap]:
    """Every SWAP the fake OKX lists: the USDT swap of each listed base, plus USD/USDC ones for BTC/ETH."""
    out = []
    for base in m.listed(VENUE):
        out.append(Swap(f"{base}-USDT-SWAP", base, "USDT", m.ct_val(base), 1.0))
        for quote, ct_val in _EXTRA.get(base, ()):
            out.append(Swap(f"{base}-{quote}-SWAP", base, quote, ct_val, _EXTRA_SHARE))
    return out


def _swap(m: Market, inst_id: str) -> Swap:
    for swap in swaps(m):
        if swap.inst_id == inst_id:
            return swap
    raise UnknownInstrument(inst_id)


def _ok(data: Sequence[object]) -> Answer:
    return Answer(200, {"code": "0", "msg": "", "data": data})


def _contracts(swap: Swap, coins: float, price: float) -> float:
    return coins * price / swap.ct_val if swap.inverse else coins / swap.ct_val


def instruments(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/public/instruments?instType=SWAP``: contract values and states."""
    if required(params, "instType") != "SWAP":
        raise BadParam("Parameter instType error")
    rows = []
    for s in swaps(m):
        family = f"{s.base}-{s.quote}"
        rows.append(
            {
                "instType": "SWAP",
                "instId": s.inst_id,
                "uly": family,
                "instFamily": family,
                "baseCcy": "",
                "quoteCcy": "",
                "settleCcy": s.base if s.inverse else s.quote,
                "ctVal": fmt(s.ct_val),
                "ctMult": "1",
                "ctValCcy": "USD" if s.inverse else s.base,
                "optType": "",
                "stk": "",
                "listTime": str(LIST_MS),
                "expTime": "",
                "lever": "50",
                "tickSz": "0.0001",
                "lotSz": "1",
                "minSz": "1",
                "ctType": "inverse" if s.inverse else "linear",
                "alias": "",
                "state": "live",
                "ruleType": "normal",
                "maxLmtSz": "100000000",
                "maxMktSz": "30000",
            }
        )
    return _ok(rows)


def tickers(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/market/tickers?instType=SWAP|SPOT``: SWAP volCcy24h is base coin, SPOT's is quote."""
    kind = required(params, "instType")
    rows: list[object] = []
    if kind == "SWAP":
        for s in swaps(m):
            last, first = m.price(s.base, now, VENUE), m.price(s.base, now - DAY_MS, VENUE)
            coins = m.volume_usd(s.base, now, VENUE) * s.share / last
            rows.append(_ticker(s.inst_id, "SWAP", last, first, _contracts(s, coins, last), coins, now))
    elif kind == "SPOT":
        for base in m.listed(VENUE):
            last, first = m.spot_price(base, now, VENUE), m.spot_price(base, now - DAY_MS, VENUE)
            quote = m.volume_usd(base, now, VENUE, spot=True)
            rows.append(_ticker(f"{base}-USDT", "SPOT", last, first, quote / last, quote, now))
    else:
        raise BadParam("Parameter instType error")
    return _ok(rows)


def _ticker(
    inst_id: str, kind: str, last: float, first: float, vol: float, vol_ccy: float, now: int
) -> dict[str, str]:
    return {
        "instType": kind,
        "instId": inst_id,
        "last": fmt(last),
        "lastSz": "1",
        "askPx": fmt(last * 1.0001),
        "askSz": "11",
        "bidPx": fmt(last * 0.9999),
        "bidSz": "5",
        "open24h": fmt(first),
        "high24h": fmt(max(last, first) * 1.01),
        "low24h": fmt(min(last, first) * 0.99),
        "volCcy24h": fmt(vol_ccy, 12),
        "vol24h": fmt(vol, 12),
        "sodUtc0": fmt(first),
        "sodUtc8": fmt(first),
        "ts": str(now),
    }


def open_interest(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/public/open-interest?instType=SWAP[&instId=]``: oi contracts, oiCcy coin, oiUsd."""
    if required(params, "instType") != "SWAP":
        raise BadParam("Parameter instType error")
    chosen = [_swap(m, params["instId"])] if params.get("instId") else swaps(m)
    rows: list[object] = []
    for s in chosen:
        price = m.price(s.base, now, VENUE)
        contracts = round(_contracts(s, m.open_interest(s.base, now, VENUE) * s.share, price), 2)
        coins = contracts * s.ct_val / price if s.inverse else contracts * s.ct_val
        rows.append(
            {
                "instType": "SWAP",
                "instId": s.inst_id,
                "oi": fmt(contracts, 12),
                "oiCcy": fmt(coins, 12),
                "oiUsd": f"{coins * price:.4f}",
                "ts": str(now),
            }
        )
    return _ok(rows)


def funding_rate(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/public/funding-rate?instId=<id>|ANY``: the rate for the coming settlement."""
    inst_id = required(params, "instId")
    chosen = swaps(m) if inst_id == "ANY" else [_swap(m, inst_id)]
    rows: list[object] = []
    for s in chosen:
        step = m.funding_interval_h(s.base, VENUE) * HOUR_MS
        settle = (now // step + 1) * step
        rate = m.funding(s.base, now, VENUE)
        rows.append(
            {
                "formulaType": "noRate",
                "fundingRate": f"{rate:.16f}",
                "fundingTime": str(settle),
                "impactValue": "",
                "instId": s.inst_id,
                "instType": "SWAP",
                "interestRate": "",
                "maxFundingRate": "0.00375",
                "method": "current_period",
                "minFundingRate": "-0.00375",
                "nextFundingRate": "",
                "nextFundingTime": str(settle + step),
                "premium": f"{rate * 0.9:.16f}",
                "settFundingRate": f"{m.funding(s.base, settle - step - 1, VENUE):.16f}",
                "settState": "settled",
                "ts": str(now),
            }
        )
    return _ok(rows)


def _window(params: dict[str, str], older: str, newer: str) -> tuple[int | None, int | None]:
    """[start, end] open times from OKX's exclusive ``newer``-than / ``older``-than cursors."""
    after, before = integer(params, older), integer(params, newer)
    return (None if before is None else before + 1), (None if after is None else after - 1)


def funding_rate_history(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/public/funding-rate-history``: settled rates newest first, at most 400, ~3 months."""
    s = _swap(m, required(params, "instId"))
    step = m.funding_interval_h(s.base, VENUE) * HOUR_MS
    start, end = _window(params, "after", "before")
    limit = integer(params, "limit", 100, 1, 400) or 100
    times = grid(step, start, end, now, limit, newest=True, floor_ms=now - FUNDING_DEPTH_MS)
    rows: list[object] = []
    for t in reversed(times):
        rate = m.funding(s.base, t - 1, VENUE)
        rows.append(
            {
                "formulaType": "noRate",
                "fundingRate": f"{rate:.16f}",
                "fundingTime": str(t),
                "instId": s.inst_id,
                "instType": "SWAP",
                "method": "current_period",
                "realizedRate": f"{rate * 0.9999:.16f}",
            }
        )
    return _ok(rows)


def history_candles(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET /api/v5/market/history-candles``: newest first, at most 100, ``after`` = older than ts."""
    inst_id = required(params, "instId")
    spot = not inst_id.endswith("-SWAP")
    if spot:
        base = inst_id.split("-")[0]
        if inst_id != f"{base}-USDT" or not m.lists(VENUE, base):
            raise UnknownInstrument(inst_id)
        swap = None
    else:
        swap = _swap(m, inst_id)
        base = swap.base
    step = BARS.get(params.get("bar") or "1m")
    if step is None:
        raise BadParam("Parameter bar error")
    start, end = _window(params, "after", "before")
    limit = integer(params, "limit", 100, 1, 100) or 100
    rows: list[object] = []
    for t in reversed(grid(step, start, end, now, limit, newest=True)):
        o, h, low, c, coins = m.candle(base, t, t + step, now, "binance" if spot else VENUE)
        quote = coins * (o + c) / 2
        vol = coins if swap is None else _contracts(swap, coins, c)
        rows.append(
            [
                str(t),
                fmt(o),
                fmt(h),
                fmt(low),
                fmt(c),
                fmt(vol, 10),
                fmt(coins if swap else quote, 10),
                fmt(quote, 10),
                "0" if t + step > now else "1",
            ]
        )
    return _ok(rows)


def _rubik(params: dict[str, str], m: Market, now: int) -> tuple[Swap, list[int]]:
    s = _swap(m, required(params, "instId"))
    step = BARS.get(params.get("period") or "5m")
    if step is None:
        raise BadParam("Parameter period error")
    limit = integer(params, "limit", 100, 1, 100) or 100
    latest = now // step * step
    times = grid(
        step,
        integer(params, "begin"),
        integer(params, "end"),
        now,
        limit,
        newest=True,
        floor_ms=latest - (RUBIK_ROWS - 1) * step,
    )
    return s, list(reversed(times))


def rubik_open_interest(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET .../rubik/stat/contracts/open-interest-history``: rows [ts, oi, oiCcy, oiUsd], newest first."""
    s, times = _rubik(params, m, now)
    rows: list[object] = []
    for t in times:
        price = m.price(s.base, t, VENUE)
        coins = m.open_interest(s.base, t, VENUE) * s.share
        rows.append([str(t), fmt(_contracts(s, coins, price), 12), fmt(coins, 12), f"{coins * price:.4f}"])
    return _ok(rows)


def rubik_long_short(m: Market, params: dict[str, str], now: int) -> Answer:
    """``GET .../rubik/stat/contracts/long-short-account-ratio-contract``: rows [ts, ratio], newest first."""
    s, times = _rubik(params, m, now)
    return _ok([[str(t), f"{m.long_short(s.base, t, VENUE):.4f}"] for t in times])


ROUTES: dict[str, Callable[[Market, dict[str, str], int], Answer]] = {
    "/api/v5/public/instruments": instruments,
    "/api/v5/market/tickers": tickers,
    "/api/v5/public/open-interest": open_interest,
    "/api/v5/public/funding-rate": funding_rate,
    "/api/v5/public/funding-rate-history": funding_rate_history,
    "/api/v5/market/history-candles": history_candles,
    "/api/v5/rubik/stat/contracts/open-interest-history": rubik_open_interest,
    "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract": rubik_long_short,
}


def http(m: Market, method: str, path: str, params: dict[str, str], now: int) -> Answer:
    """Answer one OKX REST request: 51001 (HTTP 200) for an unknown instId, 51000 (HTTP 400) if bad."""
    # Imported here: those routes build on this module's helpers (``_rubik``, ``_ok``), so a top-level
    # import would be circular.
    from tests.fake_exchange.routes_okx_stats import STATS_ROUTES

    route = ROUTES.get(path) or STATS_ROUTES.get(path)
    if route is None or method != "GET":
        return Answer(404, {"msg": "", "code": "50030"})
    try:
        return route(m, params, now)
    except UnknownInstrument:
        return Answer(200, {"code": "51001", "msg": "Instrument ID does not exist", "data": []})
    except BadParam as bad:
        return Answer(400, {"code": "51000", "msg": str(bad), "data": []})


def liquidation_orders(
    m: Market, base: str, side: str, qty: float, price: float, now: int
) -> dict[str, object]:
    """A ``liquidation-orders`` push for the USDT swap: ``sz`` in contracts, hedge-mode ``posSide``."""
    s = Swap(f"{base}-USDT-SWAP", base, "USDT", m.ct_val(base), 1.0)
    detail = {
        "bkLoss": "0",
        "bkPx": fmt(price),
        "ccy": "",
        "posSide": side,
        "side": "sell" if side == "long" else "buy",
        "sz": fmt(qty / s.ct_val, 10),
        "ts": str(now),
    }
    family = f"{base}-USDT"
    item = {"details": [detail], "instFamily": family, "instId": s.inst_id, "instType": "SWAP", "uly": family}
    return {"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": [item]}
