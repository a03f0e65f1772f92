"""Bybit v5 payloads (linear REST, spot tickers, public WS) turned into the records of ``feeds.records``.

Pure functions from a decoded JSON value to ``Parsed[...]``: no I/O. Bybit sends every number as a
string and wraps REST bodies as ``{"retCode", "retMsg", "result": {"category", "list"}, "time"}``; a
non-zero ``retCode`` raises ``PayloadError``. ``price24hPcnt`` is already a fraction, open interest is in
base coin (linear), prices are divided and sizes multiplied by the ``1000PEPEUSDT`` multiplier. A payload
of another category (inverse) comes back empty with one ``skipped`` line. Field meanings: official v5 docs
(github.com/bybit-exchange/docs) as summarised in shared EXCHANGES.md §3. History lists arrive newest
first; they are returned oldest first like every other venue's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from feeds.records import (
    Candle,
    FundingPoint,
    Liquidation,
    LongShortPoint,
    OpenInterestPoint,
    Parsed,
    PayloadError,
    SpotVolume,
    Ticker,
)
from feeds.symbols import split_instrument
from feeds.venues.candles import array_rows, candle
from feeds.venues.parse_util import MAX_MS, BadItem, Item, collect, number, optional_number, text, time_ms

VENUE = "bybit"
R = TypeVar("R")

_USD_QUOTES = ("USDT", "USDC")


@dataclass(frozen=True, slots=True)
class Perpetual:
    """A trading USDT-margined linear perpetual from instruments-info, with its funding interval."""

    instrument: str
    base: str
    multiplier: float
    funding_interval_h: float


class _HasTime(Protocol):
    @property
    def time(self) -> int: ...


Timed = TypeVar("Timed", bound=_HasTime)


def error_message(payload: object) -> str | None:
    """Bybit's message from an error reply (REST ``retCode`` != 0, WS ``success: false``), else None."""
    if not isinstance(payload, dict):
        return None
    code = payload.get("retCode")
    if code is not None and code not in (0, "0"):
        message = payload.get("retMsg")
        return message if isinstance(message, str) and message else f"retCode {code}"
    if payload.get("success") is False:
        message = payload.get("ret_msg")
        return message if isinstance(message, str) and message else "request refused"
    return None


def tickers(payload: object, now_ms: int) -> Parsed[Ticker]:
    """``GET /v5/market/tickers?category=linear``: price, mark, index, change, turnover, OI and funding.

    ``fundingRate`` is the rate that will be charged at ``nextFundingTime`` (the next settlement), so
    ``funding_next`` stays ``nan``; an item without ``indexPrice`` keeps the rest and has no premium.

    Args:
        payload: the decoded body.
        now_ms: receive time, used when the envelope has no ``time``.
    """
    endpoint = "/v5/market/tickers"
    _, rows, time_ms, notes = _envelope(payload, endpoint, "linear")
    when = now_ms if time_ms is None else time_ms

    def make(item: Item) -> Ticker | None:
        symbol = text(item, "symbol")
        if not _usdt_perpetual(item, symbol):
            return None
        return _ticker(item, symbol, when, number)

    return collect(VENUE, endpoint, rows, make, notes=notes)


def ws_ticker(payload: object) -> Parsed[Ticker]:
    """WS ``tickers.{symbol}`` (linear): a ``snapshot`` or a ``delta`` carrying only changed fields.

    A field the message does not carry is ``nan`` (``next_funding_ms`` 0), so the feed merges deltas
    into what it has; a field present but not a number skips the message.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise PayloadError(f"{VENUE} WS tickers: expected {{topic, data: {{...}}}}, got {_kind(payload)}")
    data: Item = payload["data"]
    when = payload.get("ts")
    if not isinstance(when, int) or isinstance(when, bool):
        raise PayloadError(f"{VENUE} WS tickers: 'ts' is {when!r}, not a time in ms")

    def make(item: Item) -> Ticker:
        return _ticker(item, text(item, "symbol"), when, optional_number)

    return collect(VENUE, "WS tickers", [data], make)


def spot_tickers(payload: object, now_ms: int) -> Parsed[SpotVolume]:
    """``GET /v5/market/tickers?category=spot``: 24 h quote volume (``turnover24h``) and last price of
    USDT/USDC pairs (per one coin; an item without ``lastPrice`` keeps its volume)."""
    endpoint = "/v5/market/tickers"
    _, rows, time_ms, notes = _envelope(payload, endpoint, "spot")
    when = now_ms if time_ms is None else time_ms

    def make(item: Item) -> SpotVolume | None:
        symbol = text(item, "symbol")
        if not symbol.endswith(_USD_QUOTES):
            return None
        base, mult = split_instrument(VENUE, symbol)
        price = optional_number(item, "lastPrice") / mult
        return SpotVolume(VENUE, symbol, base, when, number(item, "turnover24h"), price)

    return collect(VENUE, endpoint, rows, make, notes=notes)


def linear_perpetuals(payload: object) -> Parsed[Perpetual]:
    """``GET /v5/market/instruments-info?category=linear``: trading USDT perpetuals and funding intervals."""
    endpoint = "/v5/market/instruments-info"
    _, rows, _, notes = _envelope(payload, endpoint, "linear")

    def make(item: Item) -> Perpetual | None:
        symbol = text(item, "symbol")
        wanted = {"contractType": "LinearPerpetual", "settleCoin": "USDT", "status": "Trading"}
        if any(item.get(key) != value for key, value in wanted.items()):
            return None
        base, mult = split_instrument(VENUE, symbol)
        return Perpetual(symbol, base, mult, number(item, "fundingInterval") / 60.0)  # minutes: 480 = 8 h

    return collect(VENUE, endpoint, rows, make, notes=notes)


def open_interest(payload: object) -> Parsed[OpenInterestPoint]:
    """``GET /v5/market/open-interest?category=linear``: open interest history in base coin, oldest first."""
    endpoint = "/v5/market/open-interest"
    result, rows, _, notes = _envelope(payload, endpoint, "linear")
    symbol = result.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise PayloadError(f"{VENUE} {endpoint}: result has no symbol")
    base, mult = split_instrument(VENUE, symbol)

    def make(item: Item) -> OpenInterestPoint:
        return OpenInterestPoint(
            VENUE, symbol, base, time_ms(item, "timestamp"), number(item, "openInterest") * mult
        )

    return _oldest_first(collect(VENUE, endpoint, rows, make, lambda _: symbol, notes))


def account_ratio(payload: object) -> Parsed[LongShortPoint]:
    """``GET /v5/market/account-ratio``: long/short accounts ratio = ``buyRatio / sellRatio``, oldest first."""
    endpoint = "/v5/market/account-ratio"
    _, rows, _, notes = _envelope(payload, endpoint, "linear")

    def make(item: Item) -> LongShortPoint:
        symbol = text(item, "symbol")
        buy, sell = number(item, "buyRatio"), number(item, "sellRatio")
        if sell <= 0.0:
            raise BadItem(f"'sellRatio' is {sell}, no ratio")
        base, _ = split_instrument(VENUE, symbol)
        return LongShortPoint(VENUE, symbol, base, time_ms(item, "timestamp"), buy / sell)

    return _oldest_first(collect(VENUE, endpoint, rows, make, notes=notes))


def funding_history(payload: object) -> Parsed[FundingPoint]:
    """``GET /v5/market/funding/history``: settled funding rates (fraction per interval), oldest first."""
    endpoint = "/v5/market/funding/history"
    _, rows, _, notes = _envelope(payload, endpoint, "linear")

    def make(item: Item) -> FundingPoint:
        symbol = text(item, "symbol")
        base, _ = split_instrument(VENUE, symbol)
        return FundingPoint(
            VENUE, symbol, base, time_ms(item, "fundingRateTimestamp"), number(item, "fundingRate")
        )

    return _oldest_first(collect(VENUE, endpoint, rows, make, notes=notes))


def klines(payload: object) -> Parsed[Candle]:
    """``GET /v5/market/kline?category=linear|spot``: candles of ``result.symbol``, oldest first.

    Rows are ``[startTime, open, high, low, close, volume, turnover]`` strings, newest first (v5 doc
    "Get Kline": "Sort in reverse by startTime"). For linear and spot ``turnover`` is in the quote coin,
    so it is ``volume_usd``; an inverse payload (turnover in BASE coin) or a pair not quoted in
    USDT/USDC gives no candles and one ``skipped`` line. Prices are divided by the name's multiplier
    (``1000PEPEUSDT`` 1000; spot ``PEPEUSDT`` 1).
    """
    endpoint = "/v5/market/kline"
    found = payload.get("result") if isinstance(payload, dict) else None
    category = found.get("category") if isinstance(found, dict) else None
    wanted = category if category in ("linear", "spot") else "linear"
    result, rows, _, notes = _envelope(payload, endpoint, wanted)
    symbol = result.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise PayloadError(f"{VENUE} {endpoint}: result has no symbol")
    if rows and not symbol.endswith(_USD_QUOTES):
        note = f"{VENUE} {endpoint} {symbol}: not quoted in USDT/USDC; {len(rows)} rows left out"
        return Parsed([], [note])
    base, mult = split_instrument(VENUE, symbol)

    def make(row: Item) -> Candle:
        return candle(VENUE, symbol, base, mult, row, "ts", number(row, "turnover"))

    fields = ("ts", "o", "h", "l", "c", "volume", "turnover")
    parsed = array_rows(VENUE, endpoint, symbol, rows, fields, make)
    return _oldest_first(Parsed(parsed.records, notes + parsed.skipped))


def all_liquidation(payload: object) -> Parsed[Liquidation]:
    """WS ``allLiquidation.{symbol}``: liquidations at bankruptcy price ``p`` and size ``v`` (base coin).

    ``S`` is the POSITION side: the official v5 doc (docs/v5/websocket/public/all-liquidation.mdx) says
    "When you receive a Buy update, this means that a long position has been liquidated" (shared
    EXCHANGES.md §3 and gotcha 7) -- the opposite naming to Binance's order side.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise PayloadError(
            f"{VENUE} WS allLiquidation: expected {{topic, data: [...]}}, got {_kind(payload)}"
        )

    def make(item: Item) -> Liquidation:
        symbol = text(item, "s")
        side: Literal["long", "short"]
        if item.get("S") == "Buy":
            side = "long"
        elif item.get("S") == "Sell":
            side = "short"
        else:
            raise BadItem(f"side 'S' is {item.get('S')!r}, not Buy or Sell")
        price, qty = number(item, "p"), number(item, "v")
        base, mult = split_instrument(VENUE, symbol)
        return Liquidation(
            VENUE, symbol, base, time_ms(item, "T"), side, price / mult, qty * mult, price * qty
        )

    return collect(VENUE, "WS allLiquidation", payload["data"], make, lambda item: item.get("s"))


def _ticker(item: Item, symbol: str, when: int, num: Callable[[Item, str], float]) -> Ticker:
    base, mult = split_instrument(VENUE, symbol)
    next_funding = num(item, "nextFundingTime")
    return Ticker(
        VENUE,
        symbol,
        base,
        mult,
        when,
        price=num(item, "lastPrice") / mult,
        mark=num(item, "markPrice") / mult,
        # Optional even in a snapshot: a ticker without its index still has its price, OI and funding.
        index=optional_number(item, "indexPrice") / mult,
        change_24h=num(item, "price24hPcnt"),  # already a fraction: "0.0068" is +0.68 %
        volume_24h_usd=num(item, "turnover24h"),
        oi=num(item, "openInterest") * mult,
        oi_usd=num(item, "openInterestValue"),
        funding=num(item, "fundingRate"),
        funding_interval_h=num(item, "fundingIntervalHour"),
        next_funding_ms=int(next_funding) if 0 <= next_funding < MAX_MS else 0,
    )


def _usdt_perpetual(item: Item, symbol: str) -> bool:
    # Dated USDT futures are named BTCUSDT-26DEC25 and carry a deliveryTime; USDC perps end in PERP/USDC.
    return "-" not in symbol and symbol.endswith("USDT") and item.get("deliveryTime") in (None, "", "0")


def _envelope(
    payload: object, endpoint: str, category: str
) -> tuple[Item, list[object], int | None, list[str]]:
    """The checked ``result``, its rows, the envelope ``time``, and a note when the category is another.

    A payload of another category (inverse BTCUSD, whose OI is in USD) gives no rows and one note, so the
    caller sees why nothing came back instead of mis-scaled records.
    """
    message = error_message(payload)
    if message is not None:
        raise PayloadError(f"{VENUE} {endpoint}: error reply: {' '.join(message.split())}")
    result = payload.get("result") if isinstance(payload, dict) else None
    rows = result.get("list") if isinstance(result, dict) else None
    if not isinstance(payload, dict) or not isinstance(result, dict) or not isinstance(rows, list):
        wanted = "{retCode, result: {list: [...]}}"
        raise PayloadError(f"{VENUE} {endpoint}: expected {wanted}, got {_kind(payload)}")
    time_ms = payload.get("time")
    when = time_ms if isinstance(time_ms, int) and not isinstance(time_ms, bool) else None
    found = result.get("category")
    if found is not None and found != category:
        note = f"{VENUE} {endpoint}: category {found!r}, not {category!r}; {len(rows)} items left out"
        return result, [], when, [note]
    return result, rows, when, []


def _oldest_first(parsed: Parsed[Timed]) -> Parsed[Timed]:
    parsed.records.sort(key=lambda record: record.time)
    return parsed


def _kind(payload: object) -> str:
    return f"a {type(payload).__name__}"
