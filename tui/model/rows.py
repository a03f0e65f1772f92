"""Watchlist rows: the raw figures of every series (``RowData``) and their formatted cells.

``compute_rows`` reads the store in one vectorised pass over the requested symbols and returns one
``RowData`` per series (each venue and the cross-venue ``all`` row). ``perptop snapshot --json`` uses the
same ``RowData``, so the screen and the JSON never disagree. ``row_cells`` turns a ``RowData`` into the
text of each watchlist column plus a style name (``up``, ``down``, ``flag-bull``...) that the widget maps
to a theme colour; every number goes through ``signals.formats``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from feeds.messages import ALL
from signals.columns import Col
from signals.evaluate import LatestResult
from signals.features import funding8h
from signals.flags import Flag
from signals.formats import (
    MISSING,
    fmt_apr,
    fmt_countdown,
    fmt_funding,
    fmt_pct,
    fmt_price,
    fmt_ratio,
    fmt_usd,
)
from signals.params import SignalParams, n_bars
from signals.scoring import DIRECTIONAL
from signals.times import iso_utc
from tui.config.columns import COLUMN_KEYS
from tui.model.bars import BarStore
from tui.model.rows_added import ADDED_SORT_VALUES, added_cells
from tui.model.settlement import apr, next_settlement, series_next_funding

NAN = float("nan")
SeriesKey = tuple[str, str]
"""(symbol, venue) of one series; venue ``all`` is the cross-venue aggregate."""


@dataclass(frozen=True, slots=True)
class RowData:
    """Raw figures of one watchlist row (one symbol on one venue, or across venues).

    Fractions are fractions (0.0214 = +2.14 %), amounts in USD, ``oi`` in base coin; NaN when unknown.
    ``oi_change`` is over the flag window W; ``funding_8h`` is funding normalised to 8 h;
    liquidations sum the last hour; ``spot_futures_ratio`` the last 24 h of volumes.
    ``next_funding_ms`` is the venue's next settlement (the soonest of its venues on the cross-venue
    row), 0 when unknown; ``funding_apr`` is ``funding_8h`` a year (x 3 x 365).
    SIGNALS.md's added columns at the current bar: ``premium``, ``spot_price``, ``ls_top_position``,
    ``funding_spread_8h`` (cross-venue row only); ``funding_next`` the rate the venue says its next
    settlement will charge (per its own interval, as ``funding``), which is its current rate where it
    publishes no separate prediction (Binance ``lastFundingRate`` and Bybit ``fundingRate`` are that
    prediction already), and ``funding_8h`` on the cross-venue row; ``taker_flow_4h`` and
    ``spot_taker_flow_4h`` are SIGNALS.md's ``flow(x, 4h)``: net taker buying as a share of taker volume.
    """

    symbol: str
    venue: str
    price: float
    change_24h: float
    oi: float
    oi_usd: float
    oi_change: float
    funding: float
    funding_8h: float
    funding_interval_h: float
    ls_ratio: float
    liq_long_usd_1h: float
    liq_short_usd_1h: float
    spot_futures_ratio: float
    flags: tuple[Flag, ...] = ()
    unavailable: tuple[str, ...] = ()
    next_funding_ms: int = 0
    premium: float = NAN
    spot_price: float = NAN
    funding_next: float = NAN
    funding_spread_8h: float = NAN
    ls_top_position: float = NAN
    taker_flow_4h: float = NAN
    spot_taker_flow_4h: float = NAN

    @property
    def funding_apr(self) -> float:
        """Funding annualised: the 8 h rate x 3 x 365, as a fraction (0.1095 = +10.95 % a year)."""
        return apr(self.funding_8h)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON: NaN becomes None, flags become dicts, the next settlement ISO UTC."""
        out: dict[str, Any] = {}
        for name in self.__slots__:
            v = getattr(self, name)
            if name == "next_funding_ms":
                out["next_funding_time"] = iso_utc(v) if v > 0 else None
            elif isinstance(v, float):
                out[name] = v if math.isfinite(v) else None
            elif name == "flags":
                out[name] = [
                    {
                        "name": f.name,
                        "code": f.code,
                        "direction": f.direction,
                        "reason": f.reason,
                        "confidence": f.confidence,
                    }
                    for f in v
                ]
            else:
                out[name] = list(v) if isinstance(v, tuple) else v
        apr_value = self.funding_apr
        out["funding_apr"] = apr_value if math.isfinite(apr_value) else None
        return out


def _flow_sum(x: np.ndarray) -> np.ndarray:
    """Sum along axis 0 skipping NaN bars; NaN where every bar is NaN (the flow is not published)."""
    return np.where(np.isnan(x).all(axis=0), NAN, np.nansum(x, axis=0))


def _net_flow(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    """SIGNALS.md's flow over the bars of axis 0: (buy - sell) / (buy + sell) summed; NaN without volume."""
    b, s = _flow_sum(buy), _flow_sum(sell)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b + s > 0, (b - s) / (b + s), NAN)


def compute_rows(
    store: BarStore,
    params: SignalParams,
    results: Mapping[SeriesKey, LatestResult] | None = None,
    sym_idx: Sequence[int] | None = None,
    venues: Sequence[str] | None = None,
    at: int | None = None,
    now_ms: int | None = None,
) -> dict[SeriesKey, RowData]:
    """RowData for the series of the given symbol slots on ``venues``.

    Args:
        store: the bar store.
        params: signal parameters (W for the OI change, the 24 h volume window).
        results: ``evaluate_store`` output; series missing from it get no flags.
        sym_idx: symbol slots to compute; None for all.
        venues: venue names (ALL included or not); None for every venue and ALL.
        at: the bar time of an earlier bar the store holds (None: the current bar).
        now_ms: the time now: settlement times already past are rolled forward to the next one on
            their venue's schedule (None: as the venues last said).
    """
    if sym_idx is None:
        sym_idx = range(len(store.symbols))
    idx = np.asarray(list(sym_idx), dtype=np.int64)
    count = store.held_until(at)
    if idx.size == 0 or count == 0:
        return {}
    step = store.step_ms
    n_w = n_bars(params.window_h, step)
    n_24 = n_bars(24.0, step)
    n_1h = n_bars(1.0, step)
    n_sfr = n_bars(params.sfr_window_h, step)
    n_4h = n_bars(4.0, step)
    # The short windows from the newest rows (a view; columns picked before symbols so nothing large is
    # copied); the 24 h reads one column at a time, most of them from the store's float32 rows.
    depth = min(count, store.capacity, max(n_w, n_1h, n_4h) + 1)
    tail = store.tail(depth, at)

    names = [*store.venues, ALL] if venues is None else list(venues)
    v_idx = np.array([store.venue_index(v) for v in names], dtype=np.int64)

    # Every symbol changed (the usual tick): plain slices are views; fancy indexing would copy.
    every = idx.size == len(store.symbols) and bool((idx == np.arange(idx.size)).all())
    sym_sel: slice | np.ndarray = slice(None) if every else idx
    v_sel: slice | np.ndarray = slice(v_idx[0], v_idx[0] + 1) if v_idx.size == 1 else v_idx

    def col(c: int, rows: slice | int = slice(None)) -> np.ndarray:
        return tail[rows, :, :, c][..., sym_sel, :][..., v_sel]

    def pick(x: np.ndarray) -> np.ndarray:  # the selected series of a (symbols, venues + 1) array
        return x[sym_sel][:, v_sel]

    price = col(Col.PRICE, -1)
    oi = col(Col.OI, -1)
    funding = col(Col.FUNDING, -1)
    interval = col(Col.FUNDING_INTERVAL_H, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        funding_8h = funding8h(funding, interval)
        oi_usd = oi * price
        oi_change = (
            oi / col(Col.OI, -1 - n_w) - 1.0 if depth > n_w and count > n_w else np.full(oi.shape, NAN)
        )
        derived_24h = (
            price / pick(store.column_back(Col.PRICE, n_24, at)) - 1.0
            if count > n_24
            else np.full(price.shape, NAN)
        )
    reported = store.change_24h[idx][:, v_idx]
    change_24h = np.where(np.isnan(reported), derived_24h, reported)
    liq_l = _flow_sum(col(Col.LIQ_LONG, slice(-n_1h, None)))
    liq_s = _flow_sum(col(Col.LIQ_SHORT, slice(-n_1h, None)))
    if count >= n_sfr:
        with np.errstate(invalid="ignore", divide="ignore"):
            spot, fut = (
                store.column_sum(c, n_sfr, at, sym_sel)[:, v_sel] for c in (Col.SPOT_VOL, Col.FUT_VOL)
            )
            sfr = spot / fut
    else:
        sfr = np.full(price.shape, NAN)
    last_ls = col(Col.LS_RATIO, -1)
    nv = len(store.venues)  # the store keeps no settlement time for the cross-venue slot
    next_funding = series_next_funding(
        store.next_funding_ms[idx][:, :nv], tail[-1, idx, :nv, Col.FUNDING_INTERVAL_H], now_ms
    )[:, v_idx].tolist()
    cols = np.stack(
        [price, change_24h, oi, oi_usd, oi_change, funding, funding_8h, interval, last_ls, liq_l, liq_s, sfr],
        axis=-1,
    ).tolist()  # one conversion to Python floats, not one per cell
    last_4h = slice(-n_4h, None)
    # funding_next: the venue's prediction, else its current rate; the cross-venue row's 8h funding.
    predicted = store.funding_next[idx][:, v_idx]
    funding_next = np.where(np.isnan(predicted), np.where(v_idx == nv, funding_8h, funding), predicted)
    added = np.stack(
        [
            col(Col.PREMIUM, -1),
            col(Col.SPOT_PRICE, -1),
            funding_next,
            col(Col.FUNDING_SPREAD, -1),
            col(Col.LS_TOP, -1),
            _net_flow(col(Col.TAKER_BUY, last_4h), col(Col.TAKER_SELL, last_4h)),
            _net_flow(col(Col.SPOT_TAKER_BUY, last_4h), col(Col.SPOT_TAKER_SELL, last_4h)),
        ],
        axis=-1,
    ).tolist()
    out: dict[SeriesKey, RowData] = {}
    for k, s in enumerate(idx.tolist()):
        sym = store.symbols[s]
        for v, venue in enumerate(names):
            r = results.get((sym, venue)) if results is not None else None
            out[(sym, venue)] = RowData(
                sym,
                venue,
                *cols[k][v],  # type: ignore[misc]  # twelve figures: mypy cannot count a list
                flags=tuple(r.flags) if r is not None else (),
                unavailable=tuple(r.unavailable) if r is not None else (),
                next_funding_ms=next_funding[k][v],
                premium=added[k][v][0],
                spot_price=added[k][v][1],
                funding_next=added[k][v][2],
                funding_spread_8h=added[k][v][3],
                ls_top_position=added[k][v][4],
                taker_flow_4h=added[k][v][5],
                spot_taker_flow_4h=added[k][v][6],
            )
    return out


# ---- cells -------------------------------------------------------------------------------------

Span = tuple[str, str]
"""(text, style name); style name "" means the row's base style."""
Cell = tuple[Span, ...]
_NEXT = COLUMN_KEYS.index("next_funding")  # the countdown's place in ``row_cells``


def _signed(x: float) -> str:
    if not math.isfinite(x) or x == 0:
        return "neutral"
    return "up" if x > 0 else "down"


def _interval(h: float) -> str:
    if not math.isfinite(h):
        return ""
    return f"{h:g}h"


DIRECTION_MARKS = {1: "▲", -1: "▼", 0: "◆"}
"""A flag's direction as a mark before its code (bullish, bearish, context), so it reads without colour."""


def flag_spans(flags: Sequence[Flag], proven: Collection[str] | None = None) -> Cell:
    """The flag column: per flag its direction mark and two-letter code, coloured by direction and dimmed
    (``-dim``) below full confidence.

    ``proven``: the flags with a measured edge on the symbol (verdict "beats"); a directional flag not in
    it is shown muted (``flag-unproven``, its mark still says the direction). None: no flag is muted.
    Context flags bet on no direction, so they have no edge to measure and are never muted.
    """
    spans: list[Span] = []
    for i, f in enumerate(flags):
        kind = "flag-bull" if f.direction > 0 else "flag-bear" if f.direction < 0 else "flag-context"
        if proven is not None and f.name in DIRECTIONAL and f.name not in proven:
            kind = "flag-unproven"
        elif f.confidence < 1.0:
            kind += "-dim"
        if i:
            spans.append((" ", ""))
        spans.append((DIRECTION_MARKS[(f.direction > 0) - (f.direction < 0)] + f.code, kind))
    return tuple(spans)


def blank_row(symbol: str, venue: str = ALL) -> RowData:
    """A row with every figure unknown (before the first bar of its symbol is in)."""
    n = NAN
    return RowData(symbol, venue, n, n, n, n, n, n, n, n, n, n, n, n)


def countdown_text(row: RowData, now_ms: int | None) -> str:
    """The ``next`` column: time to the row's next funding settlement (``1h23m``, ``45m``; ``—`` unknown)."""
    if now_ms is None or row.next_funding_ms <= 0:
        return MISSING
    return fmt_countdown(next_settlement(row.next_funding_ms, row.funding_interval_h, now_ms) - now_ms)


def countdown_updates(
    rows: Mapping[SeriesKey, RowData],
    shown: Callable[[SeriesKey], tuple[Cell, ...] | None],
    keys: Sequence[SeriesKey],
    now_ms: int,
    stale: Collection[SeriesKey] = (),
) -> dict[SeriesKey, tuple[Cell, ...]]:
    """The rows of ``keys`` whose ``next`` countdown reads differently at ``now_ms``, with it replaced.

    ``shown`` gives the cells a row is drawn with now (``Watchlist.cells``); the other cells are passed
    on unchanged, so the watchlist repaints only the countdown's characters. ``stale``: rows drawn in
    the stale colour (no update for a while), whose countdown keeps that colour.
    """
    out: dict[SeriesKey, tuple[Cell, ...]] = {}
    for key in keys:
        row, cells = rows.get(key), shown(key)
        if row is None or cells is None or len(cells) <= _NEXT:
            continue
        cell = ((countdown_text(row, now_ms), "stale" if key in stale else "muted"),)
        if cells[_NEXT] != cell:
            out[key] = (*cells[:_NEXT], cell, *cells[_NEXT + 1 :])
    return out


def row_cells(
    row: RowData,
    price_spark: str,
    oi_spark: str,
    label: str,
    proven: Collection[str] | None = None,
    now_ms: int | None = None,
) -> tuple[Cell, ...]:
    """Formatted cells of one row in watchlist column order.

    Args:
        row: the figures.
        price_spark: sparkline text of the price (see ``tui.model.spark``).
        oi_spark: sparkline text of open interest.
        label: the symbol cell (with its expand marker, or indented for a venue row).
        proven: the flags with a measured edge on the symbol (see ``flag_spans``); None dims none.
        now_ms: the time now, for the countdown to the next settlement (None: ``—``).
    """
    liq = f"{fmt_usd(row.liq_long_usd_1h)}/{fmt_usd(row.liq_short_usd_1h)}"
    funding = f"{fmt_funding(row.funding_8h)} {_interval(row.funding_interval_h)}"
    added = added_cells(row)
    return (
        ((label, "symbol" if row.venue == ALL else "muted"),),
        ((row.venue, "muted"),),
        ((fmt_price(row.price), ""),),
        ((fmt_pct(row.change_24h, 1), _signed(row.change_24h)),),
        ((price_spark, _signed(row.change_24h)),),
        ((fmt_usd(row.oi_usd), ""),),
        ((fmt_pct(row.oi_change, 1), _signed(row.oi_change)),),
        ((oi_spark, "muted"),),
        ((funding, _signed(row.funding_8h)),),
        ((fmt_apr(row.funding_apr), _signed(row.funding_8h)),),
        ((countdown_text(row, now_ms), "muted"),),
        added["premium"],
        added["basis"],
        ((fmt_ratio(row.ls_ratio), ""),),
        added["top_ls"],
        ((liq, ""),),
        added["flow"],
        ((fmt_ratio(row.spot_futures_ratio), ""),),
        flag_spans(row.flags, proven),
    )


# ---- order -------------------------------------------------------------------------------------

SORTS: tuple[tuple[str, str], ...] = (
    ("watchlist", ""),
    ("symbol", "symbol"),
    ("24h", "change_24h"),
    ("OI", "oi_usd"),
    ("OI change", "oi_change"),
    ("funding", "funding_8h"),
    ("APR", "funding_apr"),
    ("premium", "premium"),
    ("basis", "basis"),
    ("L/S", "ls_ratio"),
    ("top L/S", "top_ls"),
    ("liquidations", "liq"),
    ("taker flow", "flow"),
    ("spot/futures", "sfr"),
    ("flags", "flags"),
)
"""Sort choices cycled by ``s``: (label, watchlist column key); "" keeps the watchlist's own order."""


def sort_value(row: RowData, column: str) -> float:
    """The number a row sorts by in ``column`` (NaN sorts last either way)."""
    if column == "liq":
        a, b = row.liq_long_usd_1h, row.liq_short_usd_1h
        return (
            NAN
            if math.isnan(a) and math.isnan(b)
            else (0.0 if math.isnan(a) else a) + (0.0 if math.isnan(b) else b)
        )
    if column == "flags":
        return float(len(row.flags))
    if column == "sfr":
        return row.spot_futures_ratio
    if column in ADDED_SORT_VALUES:
        return ADDED_SORT_VALUES[column](row)
    return float(getattr(row, column))


def display_order(
    symbols: Sequence[str],
    venues: Sequence[str],
    rows: dict[SeriesKey, RowData],
    sort_column: str = "",
    reverse: bool = False,
    text: str = "",
    flagged_only: bool = False,
    expanded: frozenset[str] | set[str] = frozenset(),
) -> list[SeriesKey]:
    """The watchlist rows to show, in order: each symbol's ``all`` row, then its venues if expanded.

    Args:
        symbols: watched symbols in watchlist order.
        venues: venue names (for expanded symbols).
        rows: RowData by series.
        sort_column: "" (watchlist order), ``symbol`` (A to Z) or a numeric column (largest first).
        reverse: flip the order (NaN stays last).
        text: keep symbols containing this text (case-insensitive).
        flagged_only: keep symbols with a flag on in their cross-venue row, or in a venue row that is
            shown (venue rows of collapsed symbols are not kept up to date).
        expanded: symbols whose venue rows are shown.
    """
    needle = text.strip().upper()
    keep = [s for s in symbols if needle in s.upper()] if needle else list(symbols)
    if flagged_only:
        keep = [
            s
            for s in keep
            if any(r.flags for v in ((ALL, *venues) if s in expanded else (ALL,)) if (r := rows.get((s, v))))
        ]
    if sort_column == "symbol":
        keep.sort(reverse=reverse)
    elif sort_column:
        values = {s: sort_value(rows[(s, ALL)], sort_column) if (s, ALL) in rows else NAN for s in keep}
        known = [s for s in keep if not math.isnan(values[s])]
        unknown = [s for s in keep if math.isnan(values[s])]
        known.sort(key=values.__getitem__, reverse=not reverse)
        keep = known + unknown
    out: list[SeriesKey] = []
    for s in keep:
        out.append((s, ALL))
        if s in expanded:
            out.extend((s, v) for v in venues)
    return out
