"""The watchlist once, as a table or as JSON: what ``perptop snapshot`` prints.

Live, it polls the venues and backfills history until every venue has settled or ``--timeout``
seconds have passed, then reports what it has: each venue's ``state`` is ``ok``, ``stale``,
``error`` or ``blocked`` with a one-line ``detail``. Exit status 0 when at least one venue produced
data, 3 when none did.

This is the scripting interface; its JSON shape is documented in the README and kept stable:
``{"generated_at", "mode", "venues": {NAME: {"state", "detail"}}, "symbols": [row, ...]}`` where each
row is ``tui.model.rows.RowData.as_dict()``: fractions as fractions, USD amounts in USD, open interest in
base coin, ``null`` where a value is unknown; ``funding_apr`` is ``funding_8h`` x 3 x 365 and
``next_funding_time`` the next settlement in ISO UTC (the soonest of the venues on an ``all`` row);
``premium``, ``spot_price``, ``funding_next``, ``funding_spread_8h`` (``all`` rows), ``ls_top_position``,
``taker_flow_4h`` and ``spot_taker_flow_4h`` are SIGNALS.md's added figures (``tui.model.rows.RowData``).
With ``--demo`` the simulated history runs first, so the flags are those of a full seven-day window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from feeds.messages import ALL
from signals.formats import fmt_apr, fmt_funding, fmt_pct, fmt_price, fmt_ratio, fmt_usd
from signals.times import iso_utc
from tui.config.loader import AppConfig
from tui.model.bars import BarStore, capacity_for
from tui.model.rows import RowData, compute_rows, countdown_text
from tui.model.rows_added import basis, flow_cell, fmt_premium
from tui.model.store_flags import evaluate_store


def demo_store(config: AppConfig, seed: int) -> tuple[BarStore, dict[str, dict[str, str]]]:
    from feeds.sim import SimulatedMarket
    from feeds.sim.market import IN_PLACE_GROUP

    market = SimulatedMarket(config.watchlist, seed=seed)
    store = BarStore(
        config.watchlist, market.venues, capacity_for(config.signals, market.step_ms), market.step_ms
    )
    # Each group written straight into the panel's rows (no week of bars beside the store), loaded
    # as usual when the rows do not line up.
    in_place: list[bool] = []

    def rows(symbols: Sequence[str], n: int, last_ms: int) -> np.ndarray | None:
        given = store.history_rows(symbols, market.venues, n, last_ms)
        in_place.append(given is not None)
        return given

    for group in market.history_groups(IN_PLACE_GROUP, into=rows):
        if in_place and in_place.pop():
            store.history_written(group, market.history_bars)
        else:
            store.load_history(group)
        del group  # before the next group is generated, not after
    # The settlement times of the moment: the history carries none, and a snapshot applies no live bar.
    block = market.tick_blocks(0.0)[-1]
    for v, next_ms in zip(block.venues, block.next_funding_ms, strict=True):
        store.next_funding_ms[:, store.venue_index(v)] = next_ms
    venues = {
        v: {"state": "ok", "detail": f"simulated venue, funding every {market.funding_interval_h[v]:g}h"}
        for v in market.venues
    }
    return store, venues


def live_store(config: AppConfig, timeout_s: float) -> tuple[BarStore, dict[str, dict[str, str]]]:
    """Run the live feeds until every venue has settled or ``timeout_s`` passed; the store and venue states.

    A venue has settled when it is blocked, or has polled data and finished its backfill.
    """
    import asyncio

    from feeds.live.source import LiveSource

    source = LiveSource(config.watchlist, config.venues, config.poll_interval, config.venue_options)
    store = BarStore(
        config.watchlist, source.venues, capacity_for(config.signals, source.step_ms, 24.0), source.step_ms
    )
    source.attach(store)

    async def main() -> None:
        task = asyncio.ensure_future(source.run())
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            while loop.time() < deadline and not source.settled() and not task.done():
                await asyncio.sleep(0.1)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    venues = {}
    for status in source.health(source.clock()).venues:
        state = status.state if status.state != "starting" else "error"
        detail = status.detail or ("no answer within the timeout" if not status.last_data_ms else "")
        venues[status.venue] = {"state": state, "detail": detail}
    return store, venues


def ordered_rows(store: BarStore, config: AppConfig) -> list[RowData]:
    """Rows in watchlist order: each symbol's cross-venue row, then its venues."""
    rows = compute_rows(store, config.signals, evaluate_store(store, config.signals))
    venues = [ALL, *store.venues]
    return [rows[(s, v)] for s in store.symbols for v in venues if (s, v) in rows]


def to_json(
    rows: Sequence[RowData], venues: dict[str, dict[str, str]], mode: str, now_ms: int
) -> dict[str, Any]:
    """The snapshot document (see the module docstring)."""
    return {
        "generated_at": iso_utc(now_ms),
        "mode": mode,
        "venues": venues,
        "symbols": [r.as_dict() for r in rows],
    }


_HEADERS = (
    "SYMBOL",
    "VENUE",
    "PRICE",
    "24H",
    "OI USD",
    "OI CHG",
    "FUND/8H",
    "INT",
    "APR",
    "NEXT",
    "PREMIUM",
    "BASIS",
    "L/S",
    "TOP L/S",
    "LIQ L/S 1H",
    "FLOW P/S",
    "S/F",
    "FLAGS",
)


def _cells(r: RowData, now_ms: int) -> tuple[str, ...]:
    interval = f"{r.funding_interval_h:g}h" if r.funding_interval_h == r.funding_interval_h else "—"
    flags = " ".join(f.code + ("?" if f.confidence < 1 else "") for f in r.flags)
    return (
        r.symbol,
        r.venue,
        fmt_price(r.price),
        fmt_pct(r.change_24h),
        fmt_usd(r.oi_usd),
        fmt_pct(r.oi_change),
        fmt_funding(r.funding_8h),
        interval,
        fmt_apr(r.funding_apr),
        countdown_text(r, now_ms),
        fmt_premium(r.premium),
        fmt_premium(basis(r)),
        fmt_ratio(r.ls_ratio),
        fmt_ratio(r.ls_top_position),
        f"{fmt_usd(r.liq_long_usd_1h)}/{fmt_usd(r.liq_short_usd_1h)}",
        "".join(text for text, _ in flow_cell(r.taker_flow_4h, r.spot_taker_flow_4h)),
        fmt_ratio(r.spot_futures_ratio),
        flags,
    )


def write_table(
    rows: Sequence[RowData], venues: dict[str, dict[str, str]], mode: str, now_ms: int, out: TextIO
) -> None:
    """A plain aligned table (no colour, so it pipes cleanly), then each flag's reason."""
    body = [_cells(r, now_ms) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in body)) if body else len(h) for i, h in enumerate(_HEADERS)]
    right = {i for i, h in enumerate(_HEADERS) if h not in ("SYMBOL", "VENUE", "INT", "FLAGS")}
    banner = "SIMULATED MARKET, not live data" if mode == "demo" else mode.upper()
    out.write(f"perptop snapshot {iso_utc(now_ms)}  {banner}\n")
    out.write("venues: " + ", ".join(f"{v} {s['state']}" for v, s in venues.items()) + "\n\n")
    out.writelines(
        "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        + "\n"
        for line in (_HEADERS, *body)
    )
    reasons = [(r, f) for r in rows if r.venue == ALL for f in r.flags]
    if reasons:
        out.write("\nflags (cross-venue rows; '?' = low confidence while leverage_driven is on):\n")
        out.writelines(f"  {r.symbol:<8} {f.code} {f.name:<19} {f.reason}\n" for r, f in reasons)
