"""Pure parsers for OKX v5 REST and WebSocket payloads (SWAP and SPOT) into ``feeds.records``.

Each function takes the decoded JSON of one response or push and returns ``Parsed[...]``. OKX sends
every number and timestamp as a string, and sizes of swaps in CONTRACTS: where a payload carries no
base-coin figure, the caller passes ``ct_val`` (instrument -> base coins per contract, from
``/api/v5/public/instruments``, linear swaps only). An item that cannot be read is left out with one
line in ``skipped``; a payload that is not an OKX envelope (``code`` != "0", no ``data`` list, a push of
another channel) raises ``PayloadError``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from feeds.records import (
    NAN,
    Candle,
    ContractSize,
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
from feeds.venues.candles import array_rows, candle, oldest_first
from feeds.venues.parse_util import BadItem, collect, number, optional_number, text, time_ms
from signals.times import HOUR_MS

VENUE = "okx"
# oiCcy and oi x ctVal are the same number printed twice (real sample: 2663107.3 x 0.01 = 26631.073);
# beyond rounding they disagree only when our ctVal is stale or wrong, and then neither can be trusted.
_OI_TOLERANCE = 1e-3
# Spot volume feeds a USD ratio: only pairs quoted in a dollar (stable)coin count; BTC-EUR is not wrong,
# just out of scope, so it is left out without a line.
_USD_QUOTES = ("USDT", "USDC", "USD")

T = TypeVar("T")


def _data(payload: Any, endpoint: str, channel: str | None = None) -> list[Any]:
    """The ``data`` list of a REST envelope (``channel`` None) or of a WebSocket push of ``channel``."""
    if not isinstance(payload, Mapping):
        raise PayloadError(f"okx {endpoint}: expected a JSON object, got {type(payload).__name__}")
    code = payload.get("code")
    if (channel is None or code is not None) and code != "0":
        raise PayloadError(f"okx {endpoint}: code {code!r}: {payload.get('msg', '')!r}")
    if channel is not None:
        arg = payload.get("arg")
        got = arg.get("channel") if isinstance(arg, Mapping) else None
        if got != channel:
            raise PayloadError(f"okx {endpoint}: push of channel {got!r}, expected {channel!r}")
    data = payload.get("data")
    if not isinstance(data, list):
        raise PayloadError(f"okx {endpoint}: no data list")
    return data


def _inst_id(item: Mapping[str, Any]) -> object:
    return item.get("instId")


def _inst(item: Mapping[str, Any], inst_type: str) -> str:
    name = item.get("instId")
    if not isinstance(name, str) or not name:
        raise BadItem("instId missing")
    if item.get("instType", inst_type) != inst_type:
        # A SPOT row read as SWAP would take a quote volume for a base one (EXCHANGES.md §4.1).
        raise BadItem(f"instType {item.get('instType')!r}, expected {inst_type}")
    return name


def tickers(payload: Any, now_ms: int) -> Parsed[Ticker]:
    """``GET /api/v5/market/tickers?instType=SWAP``: last, 24 h change, 24 h volume in USD.

    SWAP ``volCcy24h`` is in BASE coin, so the USD volume is ``volCcy24h x last``; the change is
    ``last / open24h - 1`` (EXCHANGES.md §4.1, §8). ``time`` is the row's ``ts`` (``now_ms`` if absent).
    """

    def one(item: Mapping[str, Any]) -> list[Ticker]:
        name = _inst(item, "SWAP")
        last, open24h, vol_base = number(item, "last"), number(item, "open24h"), number(item, "volCcy24h")
        base, mult = split_instrument(VENUE, name)
        return [
            Ticker(
                VENUE,
                name,
                base,
                mult,
                time_ms(item, "ts", now_ms),
                price=last,
                change_24h=last / open24h - 1.0 if open24h > 0 else NAN,
                volume_24h_usd=vol_base * last,
            )
        ]

    return collect(VENUE, "tickers", _data(payload, "tickers"), one, _inst_id)


def _spot(endpoint: str, items: list[Any], now_ms: int) -> Parsed[SpotVolume]:
    def one(item: Mapping[str, Any]) -> list[SpotVolume]:
        name = _inst(item, "SPOT")
        if name.rsplit("-", 1)[-1] not in _USD_QUOTES:
            return []
        # SPOT volCcy24h is already in the QUOTE currency (EXCHANGES.md §8); ``last`` is the last trade.
        volume, last = number(item, "volCcy24h"), optional_number(item, "last")
        base, stamp = split_instrument(VENUE, name)[0], time_ms(item, "ts", now_ms)
        return [SpotVolume(VENUE, name, base, stamp, volume, price=last if last > 0 else NAN)]

    return collect(VENUE, endpoint, items, one, _inst_id)


def spot_tickers(payload: Any, now_ms: int) -> Parsed[SpotVolume]:
    """``GET /api/v5/market/tickers?instType=SPOT``: 24 h quote volume and last price of USD(T/C) pairs."""
    return _spot("tickers SPOT", _data(payload, "tickers SPOT"), now_ms)


def ws_tickers_spot(payload: Any, now_ms: int) -> Parsed[SpotVolume]:
    """A WebSocket ``tickers`` push of a SPOT instrument: 24 h quote volume and last price."""
    return _spot("ws tickers", _data(payload, "ws tickers", "tickers"), now_ms)


def _oi(endpoint: str, items: list[Any], now_ms: int, ct_val: Mapping[str, float]) -> Parsed[Ticker]:
    def one(item: Mapping[str, Any]) -> list[Ticker]:
        name = _inst(item, "SWAP")
        contracts, coins, usd = (
            number(item, "oi"),
            optional_number(item, "oiCcy"),
            optional_number(item, "oiUsd"),
        )
        per = ct_val.get(name)
        if per is not None and not math.isnan(coins):
            expected = contracts * per
            if abs(coins - expected) > _OI_TOLERANCE * max(abs(coins), abs(expected)):
                raise BadItem(
                    f"oiCcy {coins:g} disagrees with oi {contracts:g} x ctVal {per:g} = {expected:g}"
                )
        elif math.isnan(coins):
            if per is None:
                raise BadItem("no oiCcy and no ctVal to convert oi contracts")
            coins = contracts * per
        base, mult = split_instrument(VENUE, name)
        return [Ticker(VENUE, name, base, mult, time_ms(item, "ts", now_ms), oi=coins, oi_usd=usd)]

    return collect(VENUE, endpoint, items, one, _inst_id)


def open_interest(payload: Any, now_ms: int, ct_val: Mapping[str, float]) -> Parsed[Ticker]:
    """``GET /api/v5/public/open-interest?instType=SWAP``: open interest in base coin and USD.

    ``oi`` is contracts, ``oiCcy`` base coin, ``oiUsd`` USD. ``oiCcy`` is used when present; when
    ``ct_val`` also knows the instrument, ``oi x ctVal`` must agree with it within 0.1 % or the row is
    skipped (a stale ctVal would also corrupt liquidation sizes). Without ``oiCcy``, ``oi x ctVal``.
    """
    return _oi("open-interest", _data(payload, "open-interest"), now_ms, ct_val)


def ws_open_interest(payload: Any, now_ms: int, ct_val: Mapping[str, float]) -> Parsed[Ticker]:
    """A WebSocket ``open-interest`` push; same rows and rules as :func:`open_interest`."""
    return _oi("ws open-interest", _data(payload, "ws open-interest", "open-interest"), now_ms, ct_val)


def _funding(endpoint: str, items: list[Any], now_ms: int) -> Parsed[Ticker]:
    def one(item: Mapping[str, Any]) -> list[Ticker]:
        name = _inst(item, "SWAP")
        rate, settle_ms = number(item, "fundingRate"), time_ms(item, "fundingTime")
        after_ms = time_ms(item, "nextFundingTime", 0)
        # fundingRate applies at fundingTime (the NEXT settlement); the interval is the gap to the one
        # after it (EXCHANGES.md §4.1, §9.6): 8/6/4/2/1 h depending on the instrument.
        interval = (after_ms - settle_ms) / HOUR_MS if after_ms > settle_ms else NAN
        base, mult = split_instrument(VENUE, name)
        return [
            Ticker(
                VENUE,
                name,
                base,
                mult,
                time_ms(item, "ts", now_ms),
                funding=rate,
                funding_interval_h=interval,
                next_funding_ms=settle_ms,
            )
        ]

    return collect(VENUE, endpoint, items, one, _inst_id)


def funding_rate(payload: Any, now_ms: int) -> Parsed[Ticker]:
    """``GET /api/v5/public/funding-rate?instId=ANY``: current rate, its interval, next settlement time."""
    return _funding("funding-rate", _data(payload, "funding-rate"), now_ms)


def ws_funding_rate(payload: Any, now_ms: int) -> Parsed[Ticker]:
    """A WebSocket ``funding-rate`` push; same rows as :func:`funding_rate`."""
    return _funding("ws funding-rate", _data(payload, "ws funding-rate", "funding-rate"), now_ms)


def funding_rate_history(payload: Any) -> Parsed[FundingPoint]:
    """``GET /api/v5/public/funding-rate-history``: settled rates, newest first as OKX sends them.

    The rate is ``realizedRate`` (what was actually charged) when present, else ``fundingRate``. The
    interval is the smallest gap between the page's settlement times (a missing row cannot shrink it);
    ``nan`` for a single-row page.
    """
    endpoint = "funding-rate-history"
    items = _data(payload, endpoint)
    stamps = (str(i.get("fundingTime")) for i in items if isinstance(i, Mapping))
    times = sorted({int(t) for t in stamps if t.isdigit()})
    gaps = [b - a for a, b in itertools.pairwise(times)]
    interval = min(gaps) / HOUR_MS if gaps else NAN

    def one(item: Mapping[str, Any]) -> list[FundingPoint]:
        name = _inst(item, "SWAP")
        realized = optional_number(item, "realizedRate")
        rate = number(item, "fundingRate") if math.isnan(realized) else realized
        base = split_instrument(VENUE, name)[0]
        return [FundingPoint(VENUE, name, base, time_ms(item, "fundingTime"), rate, interval)]

    return collect(VENUE, endpoint, items, one, _inst_id)


def long_short_account_ratio(payload: Any, instrument: str) -> Parsed[LongShortPoint]:
    """``GET /api/v5/rubik/stat/contracts/long-short-account-ratio[-contract]``: rows ``[ts, ratio]``.

    The rows name no instrument, so the caller passes the one it asked for (``BTC`` for the per-currency
    endpoint, ``BTC-USDT-SWAP`` for the per-contract one).
    """
    endpoint = "long-short-account-ratio"
    base = split_instrument(VENUE, instrument)[0]
    records: list[LongShortPoint] = []
    skipped: list[str] = []
    for row in _data(payload, endpoint):
        try:
            if not isinstance(row, list) or len(row) < 2:
                raise BadItem(f"row {row!r} is not [ts, ratio]")
            fields = {"ts": row[0], "ratio": row[1]}
            records.append(
                LongShortPoint(VENUE, instrument, base, time_ms(fields, "ts"), number(fields, "ratio"))
            )
        except BadItem as bad:
            skipped.append(f"okx {endpoint} {instrument}: {bad}")
    return Parsed(records, skipped)


def _liq_side(detail: Mapping[str, Any]) -> Literal["long", "short"]:
    # EXCHANGES.md §4.2 and §9.7: posSide names the liquidated position in hedge mode; in net mode
    # (posSide "net") ``side`` is the liquidation ORDER's side, so sell closes a long, buy a short.
    pos, side = detail.get("posSide"), detail.get("side")
    if pos == "long":
        return "long"
    if pos == "short":
        return "short"
    if pos not in (None, "", "net"):
        raise BadItem(f"posSide {pos!r} unknown")
    if side == "sell":
        return "long"
    if side == "buy":
        return "short"
    raise BadItem(f"side {side!r} is neither buy nor sell")


def ws_liquidation_orders(payload: Any, ct_val: Mapping[str, float]) -> Parsed[Liquidation]:
    """A WebSocket ``liquidation-orders`` push: one Liquidation per detail row.

    ``sz`` is CONTRACTS, so qty = ``sz x ctVal`` base coin and usd = qty x ``bkPx`` (linear swaps); an
    instrument missing from ``ct_val`` (inverse swaps, or one listed after the instruments call) is
    skipped with a line rather than given a guessed size.
    """
    endpoint = "ws liquidation-orders"
    # One row per detail, carrying its item's instId, so that one bad detail does not drop its siblings.
    rows: list[Any] = []
    for item in _data(payload, endpoint, "liquidation-orders"):
        details = item.get("details") if isinstance(item, Mapping) else None
        if not isinstance(details, list) or not details:
            rows.append(
                {"instId": item.get("instId"), "details": None} if isinstance(item, Mapping) else item
            )
            continue
        head = {"instId": item.get("instId"), "instType": item.get("instType", "SWAP")}
        rows.extend({**d, **head} if isinstance(d, Mapping) else d for d in details)

    def one(row: Mapping[str, Any]) -> list[Liquidation]:
        name = _inst(row, "SWAP")
        if "details" in row:
            raise BadItem("details missing")
        per = ct_val.get(name)
        if per is None:
            raise BadItem("no ctVal to convert sz contracts")
        price, size = number(row, "bkPx"), number(row, "sz")
        if price <= 0 or size <= 0:
            raise BadItem(f"bkPx {price:g} or sz {size:g} not positive")
        base, qty = split_instrument(VENUE, name)[0], size * per
        return [Liquidation(VENUE, name, base, time_ms(row, "ts"), _liq_side(row), price, qty, price * qty)]

    return collect(VENUE, endpoint, rows, one, _inst_id)


def candles(payload: Any, instrument: str) -> Parsed[Candle]:
    """``GET /api/v5/market/candles`` and ``.../history-candles``: candles of ``instrument``, oldest first.

    Rows are ``[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]``, newest first. ``volCcyQuote`` is
    the quote-currency volume for SWAP and SPOT alike (OKX v5 "Get candlesticks": "The unit is USDT for
    BTC-USDT and BTC-USDT-SWAP"), so it is ``volume_usd``. The history doc still shows the older 8-field
    row ``[ts, o, h, l, c, vol, volCcy, confirm]``: there the quote volume is ``volCcy`` for SPOT and
    ``volCcy`` (base) x close for derivatives. The still-open candle (``confirm`` "0") is kept, like the
    other venues' last kline. A pair not quoted in a dollar coin gives no candles and one line.
    """
    endpoint = "candles"
    rows = _data(payload, endpoint)
    parts = instrument.split("-")
    if len(parts) < 2 or parts[1] not in _USD_QUOTES:
        note = f"okx {endpoint} {instrument}: not quoted in USD/USDT/USDC; {len(rows)} rows left out"
        return Parsed([], [note])
    spot, base = len(parts) == 2, parts[0]

    def one(row: Mapping[str, Any]) -> Candle:
        if "confirm" in row:  # a 9-field row: volCcyQuote is there
            volume = number(row, "volCcyQuote")
        else:  # an 8-field row: position 7 (named volCcyQuote here) is really confirm
            volume = number(row, "volCcy") * (1.0 if spot else number(row, "c"))
        return candle(VENUE, instrument, base, 1.0, row, "ts", volume)

    fields = ("ts", "o", "h", "l", "c", "vol", "volCcy", "volCcyQuote", "confirm")
    return oldest_first(array_rows(VENUE, endpoint, instrument, rows, fields, one, min_fields=8))


def instruments(payload: Any) -> Parsed[ContractSize]:
    """``GET /api/v5/public/instruments?instType=SWAP``: base coins per contract of live USDT linear swaps.

    Only ``-USDT-SWAP`` rows with ``ctType`` linear, ``settleCcy`` USDT and ``state`` live are kept
    (inverse, USDC and suspended swaps silently left out). ``ct_val`` is ``ctVal`` in ``ctValCcy``,
    which must be the base coin; a row where it is not, or whose ``ctMult`` is not 1, is skipped with a
    line rather than given a contract size in the wrong unit. The funding interval is not in this
    payload (``nan``).
    """
    endpoint = "instruments"

    def one(item: Mapping[str, Any]) -> ContractSize | None:
        name = _inst(item, "SWAP")
        wanted = {"ctType": "linear", "settleCcy": "USDT", "state": "live"}
        if not name.endswith("-USDT-SWAP") or any(item.get(k) != v for k, v in wanted.items()):
            return None
        base = split_instrument(VENUE, name)[0]
        unit = text(item, "ctValCcy")
        if unit != base:
            raise BadItem(f"ctValCcy {unit!r} is not the base coin {base!r}")
        per, mult = number(item, "ctVal"), optional_number(item, "ctMult")
        if per <= 0.0:
            raise BadItem(f"ctVal {per:g} is not positive")
        if not math.isnan(mult) and mult != 1.0:
            raise BadItem(f"ctMult {mult:g}, not 1: contract size unclear")
        return ContractSize(VENUE, name, base, per)

    return collect(VENUE, endpoint, _data(payload, endpoint), one, _inst_id)


def open_interest_history(payload: Any, instrument: str) -> Parsed[OpenInterestPoint]:
    """``GET /api/v5/rubik/stat/contracts/open-interest-history``: OI in base coin and USD, oldest first.

    Rows are ``[ts, oi, oiCcy, oiUsd]`` (contracts, coin, USD), newest first; they name no instrument,
    so the caller passes the one it asked for. ``oi`` is ``oiCcy`` and ``oi_usd`` is ``oiUsd``.
    """
    endpoint = "open-interest-history"
    base = split_instrument(VENUE, instrument)[0]

    def one(row: Mapping[str, Any]) -> OpenInterestPoint:
        return OpenInterestPoint(
            VENUE, instrument, base, time_ms(row, "ts"), number(row, "oiCcy"), number(row, "oiUsd")
        )

    fields = ("ts", "oi", "oiCcy", "oiUsd")
    return oldest_first(array_rows(VENUE, endpoint, instrument, _data(payload, endpoint), fields, one))
