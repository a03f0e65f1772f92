"""What the main screen shows, computed from the bar store without Textual.

``WatchView`` keeps the watchlist's rows (``RowData``), their sparklines and which of them need new
cells; the filter, sort, flagged-only and expanded state; the venue health the rows reflect (stale,
not listed). The app calls ``refresh`` on its paint tick and hands what comes out (cells, order,
heatmap values) to its widgets, which repaint only what changed.

Flags are evaluated at the latest bar of every cross-venue series in one vectorised call, and of the
venue rows of expanded symbols in a second; each selection keeps its own ``LatestCache``. A cross-venue
row's figures are worked out when it is in view, or for every symbol when the order depends on them
(a sort on a figure, flagged only); the others wait, marked behind, until they are shown.

With ``dim_unproven`` on, a flag shown on a row is dimmed unless its dependence-aware verdict on that
symbol is "beats" (``EdgeSource``: the alert service's flag records, scored on a worker thread). The
paint only compares a version number; a symbol's cells are rebuilt when its set of proven flags moved.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

import numpy as np

from feeds.messages import ALL
from feeds.source import SeriesKey, SourceHealth
from signals.columns import Col
from signals.evaluate import LatestResult
from signals.features import funding8h
from signals.latest import LatestCache
from signals.params import SignalParams, n_bars
from signals.times import Clock
from tui.model.bars import BarStore
from tui.model.rows import (
    SORTS,
    Cell,
    RowData,
    blank_row,
    compute_rows,
    display_order,
    row_cells,
)
from tui.model.spark import sparklines
from tui.model.store_flags import evaluate_store

SPARK_REFRESH_MS = 10_000
HEATMAP_HOURS = 24


class EdgeSource(Protocol):
    """Where the rows learn which flags have a measured edge (``tui.alerts.records.RecordBook``)."""

    @property
    def version(self) -> int:
        """Grows whenever any symbol was measured again."""
        ...

    def edges(self, symbol: str) -> frozenset[str] | None:
        """The flags whose verdict on ``symbol`` is "beats"; None before it was first measured."""
        ...


Heatmap = tuple[str, list[str], list[str], np.ndarray]
"""(mode, row labels, column labels, values): what the funding heatmap draws."""


class WatchView:
    """The rows, order and heatmap of the main screen.

    Args:
        store: the bar store the rows are read from.
        params: the signal thresholds.
        clock: epoch ms (sparkline refresh pacing).
        spark_widths: widths of the price and OI sparkline columns.
    """

    def __init__(
        self, store: BarStore, params: SignalParams, clock: Clock, spark_widths: tuple[int, int]
    ) -> None:
        self.store = store
        self.params = params
        self.clock = clock
        self.spark_widths = spark_widths
        self.rows: dict[SeriesKey, RowData] = {}
        self.sort_index = 0
        self.sort_reverse = False
        self.filter_text = ""
        self.flagged_only = False
        self.expanded: set[str] = set()
        self.heatmap_mode = "venues"
        self.sparks: dict[SeriesKey, tuple[str, str]] = {}
        self.stale_cells: set[SeriesKey] = set()  # rows whose data moved since their cells were built
        self.old_series: frozenset[SeriesKey] = (
            frozenset()
        )  # live rows with no update for three poll intervals
        self.unlisted: frozenset[SeriesKey] = (
            frozenset()
        )  # live venue rows of symbols the venue does not list
        self.notice = ""
        self.loading = False  # the source is still building what it starts with: rows say so
        self._seen: np.ndarray | None = None
        self._cache = LatestCache()
        self._venue_cache = LatestCache()  # the expanded symbols' venue rows, a selection of its own
        # Symbols whose cross-venue bars moved while their row was out of view, and the flags of the last
        # refresh to work their rows out with when they are shown (200 symbols: 33 in view at 200x50).
        self._behind: set[str] = set()
        self._results: dict[SeriesKey, LatestResult] = {}
        self._spark_bar: int | None = None
        self._spark_ms = 0
        self.edge_source: EdgeSource | None = None  # set by the app: its alert service's flag records
        self.dim_unproven = True  # [display] dim_unproven
        self._edges: dict[str, frozenset[str] | None] = {}
        self._edges_seen = -1

    # ---- data --------------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Recompute every row on the next ``refresh`` (symbols were added, removed or resumed)."""
        self._cache.clear()
        self._venue_cache.clear()
        self._seen = None

    def refresh(self, in_view: Collection[str] | None = None) -> bool:
        """Rebuild the rows and sparklines of the symbols whose bars changed; True if any did.

        Args:
            in_view: the symbols whose rows are on screen; the other cross-venue rows are worked out
                when they are shown (``due_cells``) or the order needs them (``order``). None: all now.
        """
        store = self.store
        if self.loading:  # no bars yet: a row per symbol, all unknown, which ``cells`` marks loading
            fresh = {(s, ALL): blank_row(s) for s in store.symbols if (s, ALL) not in self.rows}
            self.rows.update(fresh)
            self.stale_cells.update(fresh)
            return bool(fresh)
        versions = store.versions
        if self._seen is None or self._seen.shape != versions.shape:
            changed = np.arange(len(store.symbols))
        else:
            changed = np.flatnonzero((versions != self._seen).any(axis=1))
        redimmed = self._take_edges()
        if changed.size == 0:
            return redimmed
        self._seen = versions.copy()
        # Flags and rows only for what can be shown: every cross-venue row (sorting and `f` need
        # them all) and the venue rows of expanded symbols.
        results = self._results = evaluate_store(store, self.params, self._cache, venues=[ALL], reasons=False)
        now = self.clock()  # past settlement times roll forward to the next one
        wanted = changed.tolist()
        if in_view is not None and not self._order_needs_rows():
            self._behind.update(store.symbols[i] for i in wanted if store.symbols[i] not in in_view)
            wanted = [i for i in wanted if store.symbols[i] in in_view]
        self._behind.difference_update(store.symbols[i] for i in wanted)
        fresh = compute_rows(store, self.params, results, wanted, venues=[ALL], now_ms=now)
        if self.expanded:
            shown = [s for s in store.symbols if s in self.expanded]
            by_venue = evaluate_store(
                store, self.params, self._venue_cache, store.venues, shown, reasons=False
            )
            moved = [i for i in changed.tolist() if store.symbols[i] in self.expanded]
            fresh.update(compute_rows(store, self.params, by_venue, moved, venues=store.venues, now_ms=now))
        self.rows.update(fresh)
        self.stale_cells.update(fresh)
        self._update_sparks(changed)
        return True

    def _order_needs_rows(self) -> bool:
        """Whether the order depends on the rows' figures: a sort on a figure, or flagged only."""
        return SORTS[self.sort_index][1] not in ("", "symbol") or self.flagged_only

    def _catch_up(self, symbols: Iterable[str]) -> None:
        """Work out the cross-venue rows of ``symbols`` that were left behind out of view."""
        late = [s for s in symbols if s in self._behind]
        if not late:
            return
        self._behind.difference_update(late)
        idx = [i for s in late if (i := self.store.symbol_index(s)) is not None]
        fresh = compute_rows(self.store, self.params, self._results, idx, venues=[ALL], now_ms=self.clock())
        self.rows.update(fresh)
        self.stale_cells.update(fresh)

    def _take_edges(self) -> bool:
        """Note new flag verdicts; True when a row shown must be redrawn for them (its cells marked)."""
        src = self.edge_source
        if src is None or not self.dim_unproven or src.version == self._edges_seen:
            return False
        self._edges_seen = src.version
        moved = set()
        for symbol in self.store.symbols:
            edges = src.edges(symbol)
            if self._edges.get(symbol) != edges:
                self._edges[symbol] = edges
                moved.add(symbol)
        keys = [k for k in self.rows if k[0] in moved]
        self.stale_cells.update(keys)
        return bool(keys)

    def proven(self, symbol: str) -> frozenset[str] | None:
        """The flags not to dim on ``symbol``'s rows; None: dim none (the switch is off)."""
        if not self.dim_unproven or self.edge_source is None:
            return None
        return self._edges.get(symbol) or frozenset()

    def _update_sparks(self, changed: np.ndarray) -> None:
        """Rebuild the sparklines of ``changed`` symbols on a new bar, else at most every SPARK_REFRESH_MS.

        A 12-character sparkline of 24 h moves by one character in hours; redrawing it on every tick
        would cost most of a paint and show nothing new.
        """
        store = self.store
        now = self.clock()
        due = store.current_time != self._spark_bar or now - self._spark_ms >= SPARK_REFRESH_MS
        if due:
            self._spark_bar, self._spark_ms = store.current_time, now
        nv = len(store.venues)
        # Only series that are shown: every cross-venue row, and the venue rows of expanded symbols.
        slots: list[tuple[int, int]] = []
        for s in changed.tolist():
            sym = store.symbols[s]
            shown = [nv, *range(nv)] if sym in self.expanded else [nv]
            slots += [(s, v) for v in shown if due or (sym, store.venue_name(v)) not in self.sparks]
        if not slots:
            return
        n = min(n_bars(24.0, store.step_ms), store.count)
        s_idx = np.array([s for s, _ in slots], dtype=np.int64)
        v_idx = np.array([v for _, v in slots], dtype=np.int64)
        price_w, oi_w = self.spark_widths
        prices = sparklines(store.window(Col.PRICE, n, s_idx, v_idx), price_w)
        ois = sparklines(store.window(Col.OI, n, s_idx, v_idx), oi_w)
        for (s, v), price, oi in zip(slots, prices, ois, strict=True):
            key = (store.symbols[s], store.venue_name(v))
            if self.sparks.get(key) != (price, oi):
                self.sparks[key] = (price, oi)
                self.stale_cells.add(key)

    def take_health(self, health: SourceHealth) -> tuple[bool, bool]:
        """Note the source's health; returns (the notice changed, rows changed stale or not-listed state)."""
        notice_changed = health.notice != self.notice
        self.notice = health.notice
        if health.stale == self.old_series and health.unlisted == self.unlisted:
            return notice_changed, False
        moved = (health.stale ^ self.old_series) | (health.unlisted ^ self.unlisted)
        self.stale_cells.update(moved & self.rows.keys())
        self.old_series, self.unlisted = health.stale, health.unlisted
        return notice_changed, True

    def forget(self, symbol: str, keep_all_row: bool = False) -> list[SeriesKey]:
        """Drop what is kept for ``symbol``'s rows (all of them, or its venue rows); returns their keys."""
        keys = [(symbol, v) for v in self.store.venues] + ([] if keep_all_row else [(symbol, ALL)])
        for k in keys:
            self.rows.pop(k, None)
            self.sparks.pop(k, None)
            self.stale_cells.discard(k)
        if not keep_all_row:
            self._behind.discard(symbol)
        return keys

    def set_expanded(self, symbol: str, expanded: bool) -> list[SeriesKey]:
        """Show or hide ``symbol``'s venue rows; returns the keys of rows no longer kept fresh."""
        gone: list[SeriesKey] = []
        if expanded:
            self.expanded.add(symbol)
        else:
            self.expanded.discard(symbol)
            gone = self.forget(symbol, keep_all_row=True)
        self._venue_cache.clear()
        self.stale_cells.add((symbol, ALL))  # its expand marker changed
        self._seen = None  # the newly shown venue rows need their figures now
        return gone

    # ---- what is shown -----------------------------------------------------------------------

    def order(self) -> list[SeriesKey]:
        """The rows to show, in order (filter, flagged-only, sort and expanded symbols applied)."""
        if self._order_needs_rows():
            self._catch_up(list(self._behind))
        _, column = SORTS[self.sort_index]
        return display_order(
            self.store.symbols,
            self.store.venues,
            self.rows,
            column,
            self.sort_reverse,
            self.filter_text,
            self.flagged_only,
            self.expanded,
        )

    def sort_marks(self) -> dict[str, str]:
        """The header's sort arrow: column key -> ▲ or ▼ (none in watchlist order)."""
        _, column = SORTS[self.sort_index]
        return {column: "▲" if (column == "symbol") != self.sort_reverse else "▼"} if column else {}

    def due_cells(self, order: Sequence[SeriesKey]) -> dict[SeriesKey, tuple[Cell, ...]]:
        """New cells of the rows in ``order`` whose data moved (rows not on show wait until they are)."""
        self._catch_up({key[0] for key in order})
        todo = [k for k in order if k in self.stale_cells and k in self.rows]
        self.stale_cells.difference_update(todo)
        return {k: self.cells(k) for k in todo}

    def cells(self, key: SeriesKey) -> tuple[Cell, ...]:
        """The formatted cells of one row, with its expand marker and its stale or not-listed state."""
        row = self.rows[key]
        spark, oi_spark = self.sparks.get(key, ("", ""))
        # A venue row names its venue, so it reads where the venue column gave way to a narrow terminal.
        label = ("▾ " if key[0] in self.expanded else "▸ ") + key[0] if key[1] == ALL else "└ " + key[1]
        cells = row_cells(row, spark, oi_spark, label, self.proven(key[0]), now_ms=self.clock())
        if key in self.old_series:  # no update for three poll intervals: the whole row says so
            cells = tuple(tuple((text, "stale") for text, _ in cell) for cell in cells)
        elif key in self.unlisted:  # said once, in place of figures the venue cannot have
            cells = (*cells[:2], (("not listed", "muted"),), *cells[3:])
        elif self.loading:  # in place of the price, until the history is in
            cells = (*cells[:2], (("loading…", "muted"),), *cells[3:])
        return cells

    def empty_text(self, venues: Sequence[str]) -> str:
        """What an empty watchlist says: why it is empty, and what brings rows back."""
        if not self.store.symbols:
            return "no symbols: a adds one"
        if self.filter_text:
            flagged = " is flagged and" if self.flagged_only else ""
            return f"no symbol{flagged} matches {self.filter_text!r}: Esc clears the filter"
        if self.flagged_only:
            return "no symbol is flagged now: f shows them all"
        return f"waiting for the first answer from {', '.join(venues)}…"

    def heatmap(self, symbols: list[str]) -> Heatmap:
        """Funding per 8 h of ``symbols``: by venue now, or across venues for each of the last 24 hours."""
        store = self.store
        idx = [i for s in symbols if (i := store.symbol_index(s)) is not None]
        if self.heatmap_mode == "venues":
            nv = len(store.venues)
            funding = store.latest(Col.FUNDING)[idx, :nv] if idx else np.empty((0, nv))
            hours = store.latest(Col.FUNDING_INTERVAL_H)[idx, :nv] if idx else np.empty((0, nv))
            with np.errstate(invalid="ignore", divide="ignore"):
                values = funding8h(funding, hours)
            return "venues", symbols, list(store.venues), values
        values = (
            store.hourly(Col.FUNDING, HEATMAP_HOURS, idx, store.all_slot)
            if idx
            else np.empty((0, HEATMAP_HOURS))
        )
        return "time", symbols, [f"-{h}h" for h in range(HEATMAP_HOURS - 1, -1, -1)], values
