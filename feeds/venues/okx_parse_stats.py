"""Pure parsers for the OKX v5 payloads behind the premium, top-trader and taker-flow columns.

Mark and index prices come from two batch calls (``public/mark-price?instType=SWAP``,
``market/index-tickers?quoteCcy=USDT``) and meet in the bar as ``premium = mark / index - 1``. The rubik
("trading statistics") endpoints are per instrument or per currency and answer rows of strings with no
instrument name, so the caller passes what it asked for. Same conventions as ``okx_parse``: an unreadable
item is one ``skipped`` line, a payload that is not an OKX envelope raises ``PayloadError``.

Doc pages (okx.com/docs-v5/en/): ``#public-data-rest-api-get-mark-price``,
``#public-data-rest-api-get-index-tickers``,
``#trading-statistics-rest-api-get-top-traders-contract-long-short-ratio-by-position``,
``#trading-statistics-rest-api-get-contract-taker-volume``, ``#trading-statistics-rest-api-get-taker-volume``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from feeds.records import LongShortPoint, Parsed, TakerFlow, Ticker
from feeds.symbols import split_instrument
from feeds.venues.candles import array_rows
from feeds.venues.okx_parse import VENUE, _data, _inst, _inst_id
from feeds.venues.parse_util import BadItem, collect, number, time_ms

_SWAP_SUFFIX = "-SWAP"


def mark_price(payload: Any, now_ms: int) -> Parsed[Ticker]:
    """``GET /api/v5/public/mark-price?instType=SWAP``: the mark price of every swap, per one base coin."""

    def one(item: Mapping[str, Any]) -> list[Ticker]:
        name = _inst(item, "SWAP")
        mark = number(item, "markPx")
        if mark <= 0:
            raise BadItem(f"markPx {mark:g} not positive")
        base, mult = split_instrument(VENUE, name)
        return [Ticker(VENUE, name, base, mult, time_ms(item, "ts", now_ms), mark=mark / mult)]

    return collect(VENUE, "mark-price", _data(payload, "mark-price"), one, _inst_id)


def index_tickers(payload: Any, now_ms: int, quote: str = "USDT") -> Parsed[Ticker]:
    """``GET /api/v5/market/index-tickers?quoteCcy=USDT``: the index each ``-USDT-SWAP`` is marked against.

    An index ``BTC-USDT`` is the underlying of ``BTC-USDT-SWAP``, so each row becomes a Ticker of that
    swap with only ``index`` (``idxPx``) set; indexes in another quote are left out without a line.
    """

    def one(item: Mapping[str, Any]) -> list[Ticker]:
        index_id = item.get("instId")
        if not isinstance(index_id, str) or not index_id:
            raise BadItem("instId missing")
        if not index_id.endswith(f"-{quote}"):
            return []
        price = number(item, "idxPx")
        if price <= 0:
            raise BadItem(f"idxPx {price:g} not positive")
        swap = index_id + _SWAP_SUFFIX
        base, mult = split_instrument(VENUE, swap)
        return [Ticker(VENUE, swap, base, mult, time_ms(item, "ts", now_ms), index=price / mult)]

    return collect(VENUE, "index-tickers", _data(payload, "index-tickers"), one, _inst_id)


def top_trader_position_ratio(payload: Any, instrument: str) -> Parsed[LongShortPoint]:
    """``GET .../rubik/stat/contracts/long-short-position-ratio-contract-top-trader``: rows ``[ts, ratio]``.

    The long/short POSITION ratio of the top 5 % of traders by position value (``kind`` top_position).
    """
    endpoint = "long-short-position-ratio-contract-top-trader"
    base = split_instrument(VENUE, instrument)[0]

    def one(row: Mapping[str, Any]) -> LongShortPoint:
        ratio = number(row, "ratio")
        if ratio < 0:
            raise BadItem(f"ratio {ratio:g} is negative")
        return LongShortPoint(VENUE, instrument, base, time_ms(row, "ts"), ratio, kind="top_position")

    return array_rows(VENUE, endpoint, instrument, _data(payload, endpoint), ("ts", "ratio"), one)


def taker_volume_contract(payload: Any, instrument: str) -> Parsed[TakerFlow]:
    """``GET /api/v5/rubik/stat/taker-volume-contract?instId&period=5m&unit=2``: perp taker flow per bar.

    Rows are ``[ts, sellVol, buyVol]`` (sell FIRST), ``ts`` the period's start; asked with ``unit=2``
    the volumes are in USD ("U"), so they are the bar's taker sell and buy notional as they stand.
    """
    endpoint = "taker-volume-contract"
    base = split_instrument(VENUE, instrument)[0]

    def one(row: Mapping[str, Any]) -> TakerFlow:
        sell, buy = number(row, "sellVol"), number(row, "buyVol")
        if sell < 0 or buy < 0:
            raise BadItem(f"sellVol {sell:g} or buyVol {buy:g} negative")
        return TakerFlow(VENUE, instrument, base, time_ms(row, "ts"), buy, sell)

    fields = ("ts", "sellVol", "buyVol")
    return array_rows(VENUE, endpoint, instrument, _data(payload, endpoint), fields, one)


def taker_volume_spot(payload: Any, base: str, spot_price: float) -> Parsed[TakerFlow]:
    """``GET /api/v5/rubik/stat/taker-volume?ccy&instType=SPOT&period=5m``: spot taker flow of ``base``.

    Rows are ``[ts, sellVol, buyVol]`` over all of the coin's spot pairs. The doc gives no unit; its example
    (BTC, one day: 7596 sold, 7149 bought) is a day of OKX BTC spot in COINS, not dollars, so the volumes are
    read as base coin and turned into USD at ``spot_price`` (the coin's last USDT spot price): exact to
    within the bar's own price move. Without a spot price (``nan``) nothing is returned, with one line.
    """
    endpoint = "taker-volume"
    rows = _data(payload, endpoint)
    if not spot_price > 0:
        return Parsed([], [f"okx {endpoint} {base}: no spot price yet to value {len(rows)} rows in USD"])

    def one(row: Mapping[str, Any]) -> TakerFlow:
        sell, buy = number(row, "sellVol"), number(row, "buyVol")
        if sell < 0 or buy < 0:
            raise BadItem(f"sellVol {sell:g} or buyVol {buy:g} negative")
        t = time_ms(row, "ts")
        return TakerFlow(VENUE, f"{base}-USDT", base, t, buy * spot_price, sell * spot_price, spot=True)

    return array_rows(VENUE, endpoint, base, rows, ("ts", "sellVol", "buyVol"), one)
