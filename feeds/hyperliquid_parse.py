"""Pure parsers for Hyperliquid ``/info`` and WebSocket payloads into ``feeds.records``.

``metaAndAssetCtxs`` answers ``[meta, ctxs]`` where ``ctxs[i]`` belongs to ``meta.universe[i]`` (a ctx
carries no coin name). Prices and sizes are decimal strings, times int ms; ``funding`` is an HOURLY rate
and ``openInterest`` is in units of the perp (a ``kPEPE`` unit is 1000 PEPE, converted here with
``feeds.instruments.split_instrument``). Names with a colon (``xyz:TSLA``) belong to HIP-3
builder-deployed dexes: equities, indices and commodities with their own oracles and OI caps and no
counterpart on the other venues, so they are left out unless ``include_hip3`` asks for them.

A malformed item is left out with one line in ``skipped``; a payload of the wrong shape raises
``PayloadError``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from feeds.instruments import split_instrument
from feeds.parse_util import BadItem, number, optional_number
from feeds.records import NAN, FundingPoint, Parsed, PayloadError, Ticker

VENUE = "hyperliquid"
_HOUR_MS = 3_600_000
# Funding settles every hour on the hour (EXCHANGES.md §1 "fixed 1h", §9.6).
_FUNDING_INTERVAL_H = 1.0


def _ctx_ticker(name: str, ctx: Any, now_ms: int) -> Ticker:
    if not isinstance(ctx, Mapping):
        raise BadItem(f"asset ctx is {type(ctx).__name__}, not an object")
    base, mult = split_instrument(VENUE, name)
    mark, mid, prev = number(ctx, "markPx"), optional_number(ctx, "midPx"), optional_number(ctx, "prevDayPx")
    units = number(ctx, "openInterest")
    return Ticker(
        VENUE, name, base, mult, now_ms,
        price=mid / mult,  # no last trade in a ctx: the book mid is the closest, nan when the book is empty
        mark=mark / mult,
        change_24h=mark / prev - 1.0 if prev > 0 else NAN,  # EXCHANGES.md §5: markPx / prevDayPx - 1
        volume_24h_usd=number(ctx, "dayNtlVlm"),
        oi=units * mult,
        oi_usd=units * mark,
        funding=number(ctx, "funding"),
        funding_interval_h=_FUNDING_INTERVAL_H,
        next_funding_ms=(now_ms // _HOUR_MS + 1) * _HOUR_MS,
    )


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
        if not isinstance(name, str) or not name or asset.get("isDelisted") or (":" in name and not include_hip3):
            names.append(None)
        else:
            names.append(name)
    return names


def _tickers(endpoint: str, names: Sequence[str | None], ctxs: list[Any], now_ms: int) -> Parsed[Ticker]:
    records: list[Ticker] = []
    skipped: list[str] = []
    for name, ctx in zip(names, ctxs):
        if name is None:
            continue
        try:
            records.append(_ctx_ticker(name, ctx, now_ms))
        except BadItem as bad:
            skipped.append(f"hyperliquid {endpoint} {name}: {bad}")
    return Parsed(records, skipped)


def meta_and_asset_ctxs(payload: Any, now_ms: int, *, include_hip3: bool = False) -> Parsed[Ticker]:
    """``{"type": "metaAndAssetCtxs"}``: price, mark, 24 h change, volume, OI and hourly funding of every perp.

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
        parsed.skipped.append(f"hyperliquid {endpoint}: {extra} ctxs beyond the {len(names)} known names "
                              "(refresh metaAndAssetCtxs)")
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
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a >= _HOUR_MS // 2]
    interval = float(max(1, round(min(gaps) / _HOUR_MS))) if gaps else _FUNDING_INTERVAL_H
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
            records.append(FundingPoint(VENUE, coin, split_instrument(VENUE, coin)[0], time,
                                        number(row, "fundingRate"), interval))
        except BadItem as bad:
            skipped.append(f"hyperliquid {endpoint} {coin or '?'}: {bad}")
    return Parsed(records, skipped)
