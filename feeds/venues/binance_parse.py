"""Binance USD-M futures (+ spot) payloads turned into the normalised records of ``feeds.records``.

Pure functions from a decoded JSON value to ``Parsed[...]``: no I/O. Only USDT-margined perpetuals are
kept from the all-symbol endpoints (a dated future carries its delivery date after ``_``, e.g.
``BTCUSDT_260327``). Units follow ``feeds.records``: ``priceChangePercent`` is a percent and becomes a
fraction, prices are divided and sizes multiplied by the ``1000PEPEUSDT`` multiplier. Field meanings come
from the official USD-M futures docs (developers.binance.com) as summarised in shared EXCHANGES.md §2.
History rows keep Binance's order, which is ascending in time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Literal, TypeVar

from feeds.records import (
    Candle,
    FundingPoint,
    Liquidation,
    LongShortPoint,
    OpenInterestPoint,
    Parsed,
    PayloadError,
    SpotVolume,
    TakerFlow,
    Ticker,
)
from feeds.symbols import split_instrument
from feeds.venues.candles import array_rows, candle
from feeds.venues.parse_util import BadItem, Item, collect, number, optional_number, text, time_ms

VENUE = "binance"
R = TypeVar("R")

# Spot pairs whose quote volume is already USD; other quotes (BNBBTC) would need a conversion.
_USD_QUOTES = ("USDT", "USDC")


def error_message(payload: object) -> str | None:
    """Binance's message from an error body such as the HTTP 451 one, or None for a data payload.

    Args:
        payload: the decoded JSON body. An error body is ``{"code": ..., "msg": ...}``; the 451
            "restricted location" body has ``code`` 0, so the code alone does not tell.
    """
    if isinstance(payload, dict) and "code" in payload:
        message = payload.get("msg")
        if isinstance(message, str):
            return " ".join(message.split())
    return None


def tickers_24hr(payload: object, now_ms: int) -> Parsed[Ticker]:
    """``GET /fapi/v1/ticker/24hr`` (one object or the all-symbol list): last price, 24 h change and volume.

    Args:
        payload: the decoded body.
        now_ms: receive time, used when an item has no ``closeTime``.
    """

    def make(item: Item) -> Ticker | None:
        head = _perpetual_head(item, "symbol", "closeTime", now_ms)
        if head is None:
            return None
        mult = head.multiplier
        return replace(
            head,
            price=number(item, "lastPrice") / mult,
            change_24h=number(item, "priceChangePercent") / 100.0,  # a percent: "-95.960" is -95.96 %
            volume_24h_usd=number(item, "quoteVolume"),
        )

    return _collect(payload, "/fapi/v1/ticker/24hr", make)


def premium_index(payload: object, now_ms: int) -> Parsed[Ticker]:
    """``GET /fapi/v1/premiumIndex``: mark and index price, funding rate and next funding time.

    ``lastFundingRate`` is the live rate that will be charged at ``nextFundingTime`` (EXCHANGES.md §2.1),
    so it already is the next settlement's rate and ``funding_next`` stays ``nan``. ``indexPrice`` is
    optional: an item without it keeps its mark and funding and has no premium. The funding interval is
    not in this payload (``/fapi/v1/fundingInfo`` lists only the adjusted symbols, others are 8 h), so
    ``funding_interval_h`` stays ``nan`` for the feed to fill.

    Args:
        payload: the decoded body (one object or the all-symbol list).
        now_ms: receive time, used when an item has no ``time``.
    """

    def make(item: Item) -> Ticker | None:
        head = _perpetual_head(item, "symbol", "time", now_ms)
        if head is None:
            return None
        mult = head.multiplier
        return replace(
            head,
            mark=number(item, "markPrice") / mult,
            index=optional_number(item, "indexPrice") / mult,
            funding=number(item, "lastFundingRate"),
            next_funding_ms=time_ms(item, "nextFundingTime"),
        )

    return _collect(payload, "/fapi/v1/premiumIndex", make)


def ws_tickers(payload: object) -> Parsed[Ticker]:
    """WS ``<symbol>@ticker`` / ``!ticker@arr`` events (raw or combined-stream wrapped): price, change,
    volume."""

    def make(item: Item) -> Ticker | None:
        head = _perpetual_head(item, "s", "E")
        if head is None:
            return None
        mult = head.multiplier
        return replace(
            head,
            price=number(item, "c") / mult,
            change_24h=number(item, "P") / 100.0,  # the same percent as REST priceChangePercent
            volume_24h_usd=number(item, "q"),
        )

    return _collect(_unwrap(payload), "WS 24hrTicker", make, name_key="s")


def open_interest(payload: object, now_ms: int) -> Parsed[OpenInterestPoint]:
    """``GET /fapi/v1/openInterest?symbol=``: open interest now, in base coin (no USD value in it).

    Args:
        payload: the decoded body.
        now_ms: receive time, used when the body has no ``time``.
    """

    def make(item: Item) -> OpenInterestPoint:
        symbol = text(item, "symbol")
        base, mult = split_instrument(VENUE, symbol)
        return OpenInterestPoint(
            VENUE, symbol, base, time_ms(item, "time", now_ms), number(item, "openInterest") * mult
        )

    return _collect(payload, "/fapi/v1/openInterest", make)


def open_interest_hist(payload: object) -> Parsed[OpenInterestPoint]:
    """``GET /futures/data/openInterestHist``: open interest (base coin) and its USDT value over time."""

    def make(item: Item) -> OpenInterestPoint:
        symbol = text(item, "symbol")
        base, mult = split_instrument(VENUE, symbol)
        return OpenInterestPoint(
            VENUE,
            symbol,
            base,
            time_ms(item, "timestamp"),
            oi=number(item, "sumOpenInterest") * mult,
            oi_usd=number(item, "sumOpenInterestValue"),
        )

    return _collect(payload, "/futures/data/openInterestHist", make, single_ok=False)


def funding_history(payload: object) -> Parsed[FundingPoint]:
    """``GET /fapi/v1/fundingRate``: settled funding rates (fraction per interval; interval not in the rows)."""

    def make(item: Item) -> FundingPoint:
        symbol = text(item, "symbol")
        base, _ = split_instrument(VENUE, symbol)
        return FundingPoint(VENUE, symbol, base, time_ms(item, "fundingTime"), number(item, "fundingRate"))

    return _collect(payload, "/fapi/v1/fundingRate", make, single_ok=False)


def long_short_ratio(
    payload: object,
    endpoint: str = "/futures/data/globalLongShortAccountRatio",
    kind: Literal["accounts", "top_position"] = "accounts",
) -> Parsed[LongShortPoint]:
    """``/futures/data/{global,top}LongShort{Account,Position}Ratio``: the venue's ``longShortRatio``.

    Args:
        payload: the decoded body (a list of rows; all three endpoints share the row shape).
        endpoint: which of the three was asked, so skipped lines name it.
        kind: ``top_position`` for ``topLongShortPositionRatio`` (the top 20 % of accounts by margin,
            long position / short position; its rows still name the shares ``longAccount`` and
            ``shortAccount``), else the all-accounts ratio.
    """

    def make(item: Item) -> LongShortPoint:
        symbol = text(item, "symbol")
        base, _ = split_instrument(VENUE, symbol)
        ratio = number(item, "longShortRatio")
        return LongShortPoint(VENUE, symbol, base, time_ms(item, "timestamp"), ratio, kind)

    return _collect(payload, endpoint, make, single_ok=False)


def force_order(payload: object) -> Parsed[Liquidation]:
    """WS ``!forceOrder@arr`` / ``<symbol>@forceOrder`` events (raw, combined-stream wrapped, or a list).

    ``S`` is the side of the liquidation ORDER, so ``SELL`` means a long position was liquidated
    (Binance forceOrder doc; shared EXCHANGES.md §2.2 and gotcha 7; the real 2023 message in
    samples/binance/ws_force_order_live.json). Notional is filled quantity ``z`` times average price
    ``ap``; an order with nothing filled falls back to ``q`` x ``p`` because the position was still closed.
    """

    def make(event: Item) -> Liquidation | None:
        order = event.get("o")
        if not isinstance(order, dict):
            raise BadItem("no order object 'o'")
        symbol = text(order, "s")
        if not _usdt_perpetual(symbol):
            return None
        side: Literal["long", "short"]
        if order.get("S") == "SELL":
            side = "long"
        elif order.get("S") == "BUY":
            side = "short"
        else:
            raise BadItem(f"side 'S' is {order.get('S')!r}, not BUY or SELL")
        qty, price = number(order, "z"), number(order, "ap")
        if qty <= 0.0 or price <= 0.0:
            qty, price = number(order, "q"), number(order, "p")
        base, mult = split_instrument(VENUE, symbol)
        return Liquidation(
            VENUE, symbol, base, time_ms(order, "T"), side, price / mult, qty * mult, price * qty
        )

    def name(event: Item) -> object:
        order = event.get("o")
        return order.get("s") if isinstance(order, dict) else None

    return _collect(_unwrap(payload), "WS forceOrder", make, name_of=name)


def spot_tickers(payload: object, now_ms: int) -> Parsed[SpotVolume]:
    """Spot ``GET /api/v3/ticker/24hr``: 24 h quote volume and last price of USDT/USDC pairs (other quotes
    are not USD). The price is per one coin (``1000SATSUSDT`` is quoted per 1000); an item without a
    ``lastPrice`` keeps its volume.

    Args:
        payload: the decoded body (one object or a list).
        now_ms: receive time, used when an item has no ``closeTime``.
    """

    def make(item: Item) -> SpotVolume | None:
        symbol = text(item, "symbol")
        if not symbol.endswith(_USD_QUOTES):
            return None
        base, mult = split_instrument(VENUE, symbol)
        when = time_ms(item, "closeTime", now_ms)
        price = optional_number(item, "lastPrice") / mult
        return SpotVolume(VENUE, symbol, base, when, number(item, "quoteVolume"), price)

    return _collect(payload, "/api/v3/ticker/24hr", make)


def klines(payload: object, instrument: str, endpoint: str = "/fapi/v1/klines") -> Parsed[Candle]:
    """``GET /fapi/v1/klines`` or spot ``GET /api/v3/klines``: candles, ascending as Binance sends them.

    Rows are ``[openTime, open, high, low, close, volume, closeTime, quoteAssetVolume, trades,
    takerBuyBase, takerBuyQuote, ignore]`` (developers.binance.com "Kline/Candlestick Data", USD-M and
    spot alike). ``volume_usd`` is ``quoteAssetVolume``; prices are divided by the instrument's multiplier
    (``1000PEPEUSDT`` 1000, spot ``PEPEUSDT`` 1). A pair not quoted in USDT/USDC gives no candles and one
    ``skipped`` line, since its prices and volume are not in dollars.

    Args:
        payload: the decoded body (a list of rows; the rows do not name the symbol).
        instrument: the symbol that was asked for.
        endpoint: which of the two endpoints was asked, so skipped lines name it.
    """
    rows, notes = _usd_kline_rows(payload, instrument, endpoint)
    if notes:
        return Parsed([], notes)
    base, mult = split_instrument(VENUE, instrument)

    def make(row: Item) -> Candle:
        return candle(VENUE, instrument, base, mult, row, "ts", number(row, "quote_volume"))

    fields = ("ts", "o", "h", "l", "c", "volume", "close_time", "quote_volume")
    return array_rows(VENUE, endpoint, instrument, rows, fields, make)


def taker_flows(
    payload: object, instrument: str, base: str, spot: bool = False, endpoint: str = "/fapi/v1/klines"
) -> Parsed[TakerFlow]:
    """Taker buy and sell notional per bar from ``/fapi/v1/klines`` or spot ``/api/v3/klines`` rows.

    Field 7 is the quote volume and field 10 the taker-buy quote volume (developers.binance.com
    "Kline/Candlestick Data", USD-M and spot alike); the taker sells are the rest of the quote volume
    (every trade has one taker). Quote volumes are USDT/USDC, taken as USD like every other volume here;
    no multiplier applies to them. A pair not quoted in USDT/USDC gives nothing and one ``skipped`` line.

    Args:
        payload: the decoded body (a list of rows, oldest first; the last one is the forming bar).
        instrument: the symbol that was asked for (the rows do not name it).
        base: the base coin the rows are of (a spot pair's coin is the perpetual's).
        spot: the rows are of the spot pair.
        endpoint: which of the two endpoints was asked, so skipped lines name it.
    """
    rows, notes = _usd_kline_rows(payload, instrument, endpoint)
    if notes:
        return Parsed([], notes)

    def make(row: Item) -> TakerFlow:
        quote, buy = number(row, "quote_volume"), number(row, "taker_buy_quote")
        # A few units of rounding in the last digit are the venue's; more is a garbled row.
        if buy < 0.0 or buy > quote * (1.0 + 1e-9) + 1e-9:
            raise BadItem(f"taker buy {buy:g} is not within the quote volume {quote:g}")
        sell = max(quote - buy, 0.0)
        return TakerFlow(VENUE, instrument, base, time_ms(row, "ts"), buy, sell, spot)

    fields = ("ts", "o", "h", "l", "c", "volume", "close_time", "quote_volume", "trades", "taker_buy_base")
    return array_rows(VENUE, endpoint, instrument, rows, (*fields, "taker_buy_quote"), make)


def funding_info(payload: object) -> Parsed[Ticker]:
    """``GET /fapi/v1/fundingInfo``: the funding interval of the perpetuals whose settings were adjusted.

    Binance lists only symbols whose cap, floor or interval was changed (EXCHANGES.md §2: absent means
    8 h), so each USDT perpetual here gets a Ticker carrying just ``funding_interval_h``; ``time`` is 0
    (the body has none) and every market field stays ``nan`` for the feed's merge to leave alone.
    """

    def make(item: Item) -> Ticker | None:
        head = _perpetual_head(item, "symbol", "time", 0)
        if head is None:
            return None
        hours = number(item, "fundingIntervalHours")
        if hours <= 0.0:
            raise BadItem(f"'fundingIntervalHours' is {hours:g}, not a positive interval")
        return replace(head, funding_interval_h=hours)

    return _collect(payload, "/fapi/v1/fundingInfo", make, single_ok=False)


def _usd_kline_rows(payload: object, instrument: str, endpoint: str) -> tuple[list[object], list[str]]:
    """The kline rows of ``payload``, or none and one line saying why for a pair not quoted in USD."""
    if not isinstance(payload, list):
        message = error_message(payload)
        problem = f"error body: {message}" if message is not None else f"a {type(payload).__name__}"
        raise PayloadError(f"{VENUE} {endpoint}: expected a list of kline rows, got {problem}")
    if not instrument.endswith(_USD_QUOTES):
        note = f"{VENUE} {endpoint} {instrument}: not quoted in USDT/USDC; {len(payload)} rows left out"
        return [], [note]
    return payload, []


def _perpetual_head(item: Item, name_key: str, time_key: str, default_ms: int | None = None) -> Ticker | None:
    """A Ticker with just the instrument, base, multiplier and time; None for a symbol that is not a USDT
    perp."""
    symbol = text(item, name_key)
    if not _usdt_perpetual(symbol):
        return None
    base, mult = split_instrument(VENUE, symbol)
    return Ticker(VENUE, symbol, base, mult, time_ms(item, time_key, default_ms))


def _usdt_perpetual(symbol: str) -> bool:
    # USDC-margined perps would be a second BTC on this venue; the monitor follows the USDT books.
    return "_" not in symbol and symbol.endswith("USDT")


def _unwrap(payload: object) -> object:
    # Combined streams wrap each event as {"stream": ..., "data": ...}.
    if isinstance(payload, dict) and "stream" in payload and "data" in payload:
        return payload["data"]
    return payload


def _collect(
    payload: object,
    endpoint: str,
    make: Callable[[Item], R | None],
    *,
    single_ok: bool = True,
    name_key: str = "symbol",
    name_of: Callable[[Item], object] | None = None,
) -> Parsed[R]:
    """Run ``make`` over the payload's items; ``None`` from ``make`` drops an item silently (not wanted)."""
    if isinstance(payload, list):
        items: list[object] = payload
    elif single_ok and isinstance(payload, dict) and error_message(payload) is None:
        items = [payload]
    else:
        message = error_message(payload)
        problem = f"error body: {message}" if message is not None else f"a {type(payload).__name__}"
        wanted = "an object or a list of objects" if single_ok else "a list of objects"
        raise PayloadError(f"{VENUE} {endpoint}: expected {wanted}, got {problem}")
    label = name_of if name_of is not None else (lambda item: item.get(name_key))
    return collect(VENUE, endpoint, items, make, label)
