"""Flag edges between closed bars: the ``flag_on`` / ``flag_off`` events of the tracked rows.

When a bar closes, the flags of every tracked row are evaluated at that bar with the code that draws
the flag column (``tui.model.store_flags.evaluate_store``, reasons included) and compared with the flags at
the bar before it. A flag on at bar t and off at bar t-1 is a ``flag_on`` event at t: exactly the
backtest's event (``signals.scoring.rising_edges``), which is why events wait for the bar to close
rather than fire on a flag that may still go off again before the bar ends.

The same pass returns each row's figures at that bar (funding 8h, OI and price change over the flag
window, liquidations in the last hour), which the threshold rules read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from feeds.messages import ALL
from feeds.source import SeriesKey
from signals.columns import Col
from signals.flags import Flag
from signals.latest import LatestCache
from signals.params import SignalParams, n_bars
from tui.alerts.events import Event
from tui.model.bars import BarStore
from tui.model.hit_rates import FlagRecord
from tui.model.rows import compute_rows
from tui.model.store_flags import evaluate_store

RecordLookup = Callable[[str, str], tuple[FlagRecord | None, str | None]]
"""(symbol, flag) -> the flag's measured record on the symbol, or None with a note saying why."""


@dataclass(frozen=True)
class RowFigures:
    """A row's figures at a closed bar, in the units of ``tui.config.alerts.Threshold`` (NaN: unknown)."""

    funding_8h: float
    oi_change: float
    price_change: float
    liquidations_1h: float

    def value(self, metric: str) -> float:
        """The figure named by a threshold's metric."""
        return float(getattr(self, metric))


class EdgeTracker:
    """Which flags were on at the last closed bar of each tracked row, and the edges since.

    Args:
        params: the flag thresholds (the screen's).
        per_venue: track each venue's row too, not only the cross-venue one.
        records: where a ``flag_on`` event finds the flag's measured record on its symbol.
    """

    def __init__(self, params: SignalParams, per_venue: bool, records: RecordLookup) -> None:
        self.params = params
        self.per_venue = per_venue
        self.records = records
        self._on: dict[SeriesKey, dict[str, Flag]] = {}
        self._last: int | None = None
        self._cache = LatestCache()

    def reset(self) -> None:
        """Forget the last bar's flags (symbols added or removed): the next close compares afresh."""
        self._on.clear()
        self._last = None
        self._cache.clear()

    def _venues(self, store: BarStore) -> list[str]:
        return [ALL, *store.venues] if self.per_venue else [ALL]

    def _flags_at(self, store: BarStore, t: int) -> dict[SeriesKey, dict[str, Flag]]:
        results = evaluate_store(store, self.params, self._cache, self._venues(store), reasons=True, at=t)
        return {key: {f.name: f for f in r.flags} for key, r in results.items()}

    def closed(
        self, store: BarStore, t: int, wall_ms: int
    ) -> tuple[list[Event], dict[SeriesKey, RowFigures]]:
        """The edges at closed bar ``t`` of every tracked row, and the rows' figures at ``t``.

        The flags at the bar before come from the last call when it was that bar; otherwise (the first
        close, a gap, a symbol just added) they are evaluated there now, so an edge is always measured
        between two adjacent bars, as the backtest measures it. A bar before which the store holds
        nothing has no edges: with no previous bar there is no telling whether a flag just came on.
        """
        now = self._flags_at(store, t)
        prev_t = t - store.step_ms
        if self._last != prev_t or any(key not in self._on for key in now):
            before = self._flags_at(store, prev_t) if store.held_until(prev_t) else {}
            self._on = {key: before[key] for key in now if key in before}
        events: list[Event] = []
        for key, flags in now.items():
            if key not in self._on:
                continue  # nothing to compare with: the store holds no bar before this one
            was = self._on[key]
            symbol, venue = key
            for name, flag in flags.items():
                if name not in was:
                    record, note = self.records(symbol, name)
                    events.append(
                        Event(
                            t,
                            wall_ms,
                            symbol,
                            venue,
                            "flag_on",
                            name,
                            None,
                            flag.direction,
                            flag.reason,
                            flag.confidence,
                            record,
                            note,
                        )
                    )
            for name, flag in was.items():
                if name not in flags:
                    events.append(
                        Event(
                            t,
                            wall_ms,
                            symbol,
                            venue,
                            "flag_off",
                            name,
                            None,
                            flag.direction,
                            f"off (it was on: {flag.reason})" if flag.reason else "off",
                            flag.confidence,
                        )
                    )
        self._on = now
        self._last = t
        return events, self._figures(store, t)

    def _figures(self, store: BarStore, t: int) -> dict[SeriesKey, RowFigures]:
        """Each tracked row's figures at ``t``: the watchlist's own (``compute_rows``) plus the price change."""
        venues = self._venues(store)
        rows = compute_rows(store, self.params, None, None, venues, at=t)
        n_w = n_bars(self.params.window_h, store.step_ms)
        tail = store.tail(n_w + 1, t)
        out: dict[SeriesKey, RowFigures] = {}
        for (symbol, venue), row in rows.items():
            price_change = math.nan
            if tail.shape[0] == n_w + 1:
                s, v = store.slots([symbol])[0], store.venue_index(venue)
                then = float(tail[0, s, v, Col.PRICE])
                price_change = row.price / then - 1.0 if then == then and then != 0 else math.nan
            liq = row.liq_long_usd_1h + row.liq_short_usd_1h
            if math.isnan(liq):  # one side unknown: the known side alone is a lower bound worth watching
                liq = math.fsum(x for x in (row.liq_long_usd_1h, row.liq_short_usd_1h) if not math.isnan(x))
                if math.isnan(row.liq_long_usd_1h) and math.isnan(row.liq_short_usd_1h):
                    liq = math.nan
            out[(symbol, venue)] = RowFigures(row.funding_8h, row.oi_change, price_change, liq)
        return out
