"""Pure parsers for Hyperliquid ``/info`` and WebSocket payloads into ``feeds.records``.

``metaAndAssetCtxs`` answers ``[meta, ctxs]`` where ``ctxs[i]`` belongs to ``meta.universe[i]`` (a ctx
carries no coin name). Prices and sizes are decimal strings, times int ms; ``funding`` is an HOURLY rate
and ``openInterest`` is in units of the perp (a ``kPEPE`` unit is 1000 PEPE, converted here with
``feeds.symbols.split_instrument``). Names with a colon (``xyz:TSLA``) belong to HIP-3
builder-deployed dexes: equities, indices and commodities with their own oracles and OI caps and no
counterpart on the other venues, so they are left out unless ``include_hip3`` asks for them.

A malformed item is left out with one line in ``skipped``; a payload of the wrong shape raises
``PayloadError``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from feeds.records import NAN, Candle, FundingPoint, Parsed, PayloadError, SpotVolume, Ticker
from feeds.symbols import split_instrument
from feeds.venues.candles import candle, oldest_first
from feeds.venues.parse_util import BadItem, collect, number, optional_number, text, time_ms
from signals.times import HOUR_MS

VENUE = "hyperliquid"
# Funding settles every hour on the hour (EXCHANGES.md §1 "fixed 1h", §9.6).
_FUNDING_INTERVAL_H = 1.0
# Spot tokens bridged by Unit carry their own L1 names; the coin users write is the native one. From Unit's
# mainnet token-metadata table (docs.hyperunit.xyz/developers/key-addresses/mainnet/token-metadata):
# Unit Bitcoin, Ethereum, Solana, Pump Fun, Fartcoin, SPX6900, Bonk, Zcash, Avalanche, Virtual. Unit's
# Plasma token is already named XPL. SPX6900 is listed as SPX by every venue here, Hyperliquid's perp too.
_WRAPPED: dict[str, str] = {
    "UBTC": "BTC",
    "UETH": "ETH",
    "USOL": "SOL",
    "UPUMP": "PUMP",
    "UFART": "FARTCOIN",
    "UUUSPX": "SPX",
    "UBONK": "BONK",
    "UZEC": "ZEC",
    "UAVAX": "AVAX",
    "UVIRT": "VIRTUAL",
}


def _ctx_ticker(name: str, ctx: Any, now_ms: int) -> Ticker:
    if not isinstance(ctx, Mapping):
        raise BadItem(f"asset ctx is {type(ctx).__name__}, not an object")
    base, mult = split_instrument(VENUE, name)
    mark, mid, prev = number(ctx, "markPx"), optional_number(ctx, "midPx"), optional_number(ctx, "prevDayPx")
    units = number(ctx, "openInterest")
    return Ticker(
        VENUE,
        name,
        base,
        mult,
        now_ms,
        price=mid / mult,  # no last trade in a ctx: the book mid is the closest, nan when the book is empty
        mark=mark / mult,
        # The oracle price is what Hyperliquid's mark and funding premium are measured against: the index.
        index=_positive(optional_number(ctx, "oraclePx")) / mult,
        change_24h=mark / prev - 1.0 if prev > 0 else NAN,  # EXCHANGES.md §5: markPx / prevDayPx - 1
        volume_24h_usd=number(ctx, "dayNtlVlm"),
        oi=units * mult,
        oi_usd=units * mark,
        funding=number(ctx, "funding"),
        funding_interval_h=_FUNDING_INTERVAL_H,
        next_funding_ms=(now_ms // HOUR_MS + 1) * HOUR_MS,
    )


def _positive(value: float) -> float:
    return value if value > 0 else NAN


def universe_names(payload: Any, *, include_hip3: bool = False) -> list[str | None]:
    """Coin names of a ``metaAndAssetCtxs`` (or ``meta``) answer by asset index; ``None`` for a slot to skip.

    A slot is skipped when the asset is delisted (``isDelisted``), is a HIP-3 name (unless
    ``include_hip3``), or has no name. The list maps the nameless ctxs of ``allDexsAssetCtxs`` pushes.
    """
    meta = payload[0] if isinstance(payload, list) and payload else payload
    universe = meta.get("universe") if isinstance(meta, Mapping) else None
    if not isinstance(universe, list):
        raise PayloadError("hyperliquid meta: no universe list")
    names: list[str | None] = []
    for asset in universe:
        name = asset.get("name") if isinstance(asset, Mapping) else None
        if (
            not isinstance(name, str)
            or not name
            or asset.get("isDelisted")
            or (":" in name and not include_hip3)
        ):
            names.append(None)
        else:
            names.append(name)
    return names


def _tickers(endpoint: str, names: Sequence[str | None], ctxs: list[Any], now_ms: int) -> Parsed[Ticker]:
    records: list[Ticker] = []
    skipped: list[str] = []
    for name, ctx in zip(names, ctxs, strict=False):
        if name is None:
            continue
        try:
            records.append(_ctx_ticker(name, ctx, now_ms))
        except BadItem as bad:
            skipped.append(f"hyperliquid {endpoint} {name}: {bad}")
    return Parsed(records, skipped)


def meta_and_asset_ctxs(payload: Any, now_ms: int, *, include_hip3: bool = False) -> Parsed[Ticker]:
    """``{"type": "metaAndAssetCtxs"}``: price, mark, 24 h change, volume, OI and hourly funding of every
    perp.

    ``time`` is ``now_ms`` (the answer carries no time); ``next_funding_ms`` is the next full hour.
    Delisted assets and (unless ``include_hip3``) HIP-3 names are left out without a line.
    """
    endpoint = "metaAndAssetCtxs"
    if not isinstance(payload, list) or len(payload) != 2 or not isinstance(payload[1], list):
        raise PayloadError(f"hyperliquid {endpoint}: expected [meta, ctxs]")
    names = universe_names(payload, include_hip3=include_hip3)
    if len(names) != len(payload[1]):
        # The pairing is by position only: a length mismatch means no row can be trusted.
        raise PayloadError(f"hyperliquid {endpoint}: {len(names)} universe names but {len(payload[1])} ctxs")
    return _tickers(endpoint, names, payload[1], now_ms)


def ws_all_dexs_asset_ctxs(payload: Any, now_ms: int, names: Sequence[str | None]) -> Parsed[Ticker]:
    """A WebSocket ``allDexsAssetCtxs`` push: the main dex's ctxs, named by ``names`` (see universe_names).

    Only the first (main) perp dex, keyed ``""``, is read: the others are HIP-3 dexes. Ctxs beyond the
    known ``names`` (a listing newer than the last ``metaAndAssetCtxs``) are reported in one line.
    """
    endpoint = "allDexsAssetCtxs"
    data = payload.get("data") if isinstance(payload, Mapping) else None
    dexes = data.get("ctxs") if isinstance(data, Mapping) else None
    if not isinstance(payload, Mapping) or payload.get("channel") != endpoint or not isinstance(dexes, list):
        raise PayloadError(f"hyperliquid {endpoint}: expected {{channel: {endpoint}, data: {{ctxs: [...]}}}}")
    main = [d[1] for d in dexes if isinstance(d, list) and len(d) == 2 and d[0] == ""]
    if not main or not isinstance(main[0], list):
        raise PayloadError(f"hyperliquid {endpoint}: no ctxs for the main dex")
    parsed = _tickers(endpoint, names, main[0], now_ms)
    extra = len(main[0]) - len(names)
    if extra > 0:
        parsed.skipped.append(
            f"hyperliquid {endpoint}: {extra} ctxs beyond the {len(names)} known names "
            "(refresh metaAndAssetCtxs)"
        )
    return parsed


def funding_history(payload: Any) -> Parsed[FundingPoint]:
    """``{"type": "fundingHistory", "coin": ...}``: settled rates, oldest first.

    The interval is the smallest gap between the page's rows rounded to whole hours (1 h today; the
    official SDK's 2023 recording is 8 h apart, when rates were quoted per 8 h), 1 h for a single row.
    """
    endpoint = "fundingHistory"
    if not isinstance(payload, list):
        raise PayloadError(f"hyperliquid {endpoint}: expected a list, got {type(payload).__name__}")
    times = sorted({r["time"] for r in payload if isinstance(r, Mapping) and type(r.get("time")) is int})
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a >= HOUR_MS // 2]
    interval = float(max(1, round(min(gaps) / HOUR_MS))) if gaps else _FUNDING_INTERVAL_H
    records: list[FundingPoint] = []
    skipped: list[str] = []
    for row in payload:
        coin = row.get("coin") if isinstance(row, Mapping) else None
        try:
            if not isinstance(row, Mapping):
                raise BadItem(f"row is {type(row).__name__}, not an object")
            if not isinstance(coin, str) or not coin:
                raise BadItem("coin missing")
            time = row.get("time")
            if type(time) is not int:
                raise BadItem(f"time {time!r} is not an int ms")
            records.append(
                FundingPoint(
                    VENUE, coin, split_instrument(VENUE, coin)[0], time, number(row, "fundingRate"), interval
                )
            )
        except BadItem as bad:
            skipped.append(f"hyperliquid {endpoint} {coin or '?'}: {bad}")
    return Parsed(records, skipped)


def candle_snapshot(payload: Any, coin: str) -> Parsed[Candle]:
    """``{"type": "candleSnapshot", "req": {"coin", "interval", "startTime", "endTime"}}``: oldest first.

    Each candle is ``{t, T, s, i, o, c, h, l, v, n}`` (GitBook info endpoint, "Candle snapshot"): ``t``
    is the open time and ``v`` BASE volume in units of the coin, so ``volume_usd`` is ``v x c`` (a
    ``kPEPE`` unit and its price are both per 1000 PEPE, so the product is already dollars); prices are
    divided by the multiplier. A candle whose ``s`` is not ``coin`` is skipped with a line.
    """
    endpoint = "candleSnapshot"
    if not isinstance(payload, list):
        got = type(payload).__name__
        raise PayloadError(f"hyperliquid {endpoint}: expected a list of candles, got {got}")
    base, mult = split_instrument(VENUE, coin)

    def one(row: Mapping[str, Any]) -> Candle:
        if row.get("s", coin) != coin:
            raise BadItem(f"candle of {row.get('s')!r}, asked for {coin!r}")
        volume_usd = number(row, "v") * number(row, "c")
        return candle(VENUE, coin, base, mult, row, "t", volume_usd)

    return oldest_first(collect(VENUE, endpoint, payload, one, lambda _: coin))


def spot_meta_and_asset_ctxs(payload: Any, now_ms: int) -> Parsed[SpotVolume]:
    """``{"type": "spotMetaAndAssetCtxs"}``: 24 h USDC volume (``dayNtlVlm``) and price (``midPx``, else
    ``markPx``) of each USDC-quoted spot pair.

    The answer is ``[spotMeta, ctxs]`` with ``spotMeta = {tokens: [{name, index, ...}], universe: [{name,
    tokens: [base, quote], index}]}`` (GitBook info endpoint, "Spot"). The doc's ctxs name no pair and
    ``ctxs[i]`` belongs to ``universe[i]``; live ctxs carry ``coin`` (the pair's name) and need not line
    up with the universe, so when they carry it a pair is matched by name, else by position.
    ``instrument`` is the pair's name (``PURR/USDC`` or ``@142``), ``base`` the base token's name with
    Unit's wrapped tokens mapped to the native coin (UBTC -> BTC, see ``_WRAPPED``). Pairs quoted in
    another token (USDT0, USDH, ...) are left out without a line; ``time`` is ``now_ms``.
    """
    endpoint = "spotMetaAndAssetCtxs"
    meta = payload[0] if isinstance(payload, list) and len(payload) == 2 else None
    ctxs = payload[1] if meta is not None else None
    tokens = meta.get("tokens") if isinstance(meta, Mapping) else None
    universe = meta.get("universe") if isinstance(meta, Mapping) else None
    if not isinstance(tokens, list) or not isinstance(universe, list) or not isinstance(ctxs, list):
        raise PayloadError(f"hyperliquid {endpoint}: expected [{{tokens: [...], universe: [...]}}, ctxs]")
    by_coin = {c["coin"]: c for c in ctxs if isinstance(c, Mapping) and isinstance(c.get("coin"), str)}
    if not by_coin and len(universe) != len(ctxs):
        # Nameless ctxs pair by position only: a length mismatch means no row can be trusted.
        raise PayloadError(f"hyperliquid {endpoint}: {len(universe)} universe pairs but {len(ctxs)} ctxs")
    # Tokens are looked up by their own index field, not their list position (the two need not agree).
    names = {t.get("index"): t.get("name") for t in tokens if isinstance(t, Mapping)}
    records: list[SpotVolume] = []
    skipped: list[str] = []
    for position, pair in enumerate(universe):
        name = pair.get("name") if isinstance(pair, Mapping) else None
        label = name if isinstance(name, str) and name else f"pair {position}"
        ctx = by_coin.get(label) if by_coin else ctxs[position]
        try:
            record = _spot_volume(pair, ctx, names, now_ms)
        except BadItem as bad:
            skipped.append(f"hyperliquid {endpoint} {label}: {bad}")
            continue
        if record is not None:
            records.append(record)
    return Parsed(records, skipped)


def _spot_volume(pair: Any, ctx: Any, names: Mapping[object, object], now_ms: int) -> SpotVolume | None:
    """The SpotVolume of one universe ``pair`` from its ``ctx``; None for a pair not quoted in USDC."""
    if not isinstance(pair, Mapping):
        raise BadItem(f"pair is {type(pair).__name__}, not an object")
    name = text(pair, "name")
    pair_tokens = pair.get("tokens")
    if not isinstance(pair_tokens, list) or len(pair_tokens) != 2:
        raise BadItem(f"tokens {pair_tokens!r} is not [base, quote]")
    base_name, quote_name = (names.get(index) for index in pair_tokens)
    if not isinstance(base_name, str) or not isinstance(quote_name, str):
        raise BadItem(f"tokens {pair_tokens!r} not in the token list")
    if quote_name != "USDC":
        return None
    if not isinstance(ctx, Mapping):
        raise BadItem("no asset ctx" if ctx is None else f"asset ctx is {type(ctx).__name__}, not an object")
    # A spot ctx has no last trade: the book mid is the closest (as for the perps), the mark where the book
    # is empty. A wrapped token (UBTC) is one coin, so its price is per one base coin already.
    price = _positive(optional_number(ctx, "midPx"))
    if math.isnan(price):
        price = _positive(optional_number(ctx, "markPx"))
    base = _WRAPPED.get(base_name, base_name)
    return SpotVolume(VENUE, name, base, now_ms, number(ctx, "dayNtlVlm"), price=price)


def predicted_fundings(payload: Any, now_ms: int) -> Parsed[Ticker]:
    """``{"type": "predictedFundings"}``: Hyperliquid's own prediction of each perp's next hourly rate.

    The answer is ``[[coin, [[venue, {fundingRate, nextFundingTime, fundingIntervalHours?} | null], ...]],
    ...]`` for the venues ``HlPerp``, ``BinPerp`` and ``BybitPerp`` (GitBook info endpoint, "Perpetuals",
    "Retrieve predicted funding rates for different venues"). Only ``HlPerp`` is read, as ``funding_next``
    (per hour, the unit of ``funding``; a row quoting another interval is scaled to an hour) with its
    ``nextFundingTime``. A coin without an ``HlPerp`` entry (or with ``null``) gives nothing, without a line;
    HIP-3 names (``xyz:TSLA``) are left out as in ``meta_and_asset_ctxs``.
    """
    endpoint = "predictedFundings"
    if not isinstance(payload, list):
        raise PayloadError(f"hyperliquid {endpoint}: expected a list, got {type(payload).__name__}")
    records: list[Ticker] = []
    skipped: list[str] = []
    for index, row in enumerate(payload):
        coin = row[0] if isinstance(row, list) and len(row) == 2 else None
        try:
            if not isinstance(coin, str) or not coin or not isinstance(row[1], list):
                raise BadItem(f"row {index} is not [coin, [[venue, prediction], ...]]")
            if ":" in coin:
                continue
            hl = [v[1] for v in row[1] if isinstance(v, list) and len(v) == 2 and v[0] == "HlPerp"]
            if not hl or hl[0] is None:
                continue
            if not isinstance(hl[0], Mapping):
                raise BadItem(f"HlPerp prediction is {type(hl[0]).__name__}, not an object")
            hours = optional_number(hl[0], "fundingIntervalHours")
            rate = number(hl[0], "fundingRate") / (hours if hours > 0 else _FUNDING_INTERVAL_H)
            base, mult = split_instrument(VENUE, coin)
            records.append(
                Ticker(
                    VENUE,
                    coin,
                    base,
                    mult,
                    now_ms,
                    funding_next=rate,
                    next_funding_ms=time_ms(hl[0], "nextFundingTime"),
                )
            )
        except BadItem as bad:
            skipped.append(f"hyperliquid {endpoint} {coin if isinstance(coin, str) else index}: {bad}")
    return Parsed(records, skipped)
