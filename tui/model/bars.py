"""The bar store: a bounded, time-major panel of bars for every symbol x venue, plus a cross-venue row.

All series share one time axis of fixed step (default 5 minutes, as SIGNALS.md samples live data), so
the latest bar of every series is one contiguous slice and per-tick work is vectorised across series.
Memory is fixed at construction: ``capacity`` bars x series x columns, float64 for the newest ``hot``
of them and float32 for the older ones (``tui.model.bar_panel`` says why); opening a new bar shifts the
panel by one and drops the oldest.

The last venue slot of every symbol is ``ALL``: the cross-venue aggregate (``tui.model.aggregate``),
recomputed whenever a venue bar changes.

Observers (the history recorder) are told when a bar closes, when a bar older than the current one is
written again (late liquidations, an older block) and when history is loaded; the store itself knows
nothing of files. This module writes the panel; its shape and the reads are ``tui.model.bar_panel``'s.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

import numpy as np

from feeds.messages import ALL, BAR_STEP_MS, BarBlock, BarUpdate, History
from signals.columns import COLUMNS, FLOW_COLUMNS, Col
from signals.params import SignalParams, bars_needed, n_bars
from tui.model.cross_rows import CrossVenueRows

__all__ = ["BarObserver", "BarStore", "capacity_for", "hot_rows_for"]

_CHUNK = 128  # rows per pass over the panel where a whole-panel temporary would double it
_FLOWS = np.array([i for i, c in enumerate(COLUMNS) if c in FLOW_COLUMNS])
_LEVELS = np.array([i for i, c in enumerate(COLUMNS) if c not in FLOW_COLUMNS and c != "time"])


def capacity_for(params: SignalParams, step_ms: int, extra_h: float = 0.0) -> int:
    """Bars a series must keep so every signal window of ``params`` is full at the latest bar."""
    return bars_needed(params, step_ms, extra_h)


def hot_rows_for(params: SignalParams, step_ms: int, extra_h: float = 4.0) -> int:
    """Bars kept in float64: the windows of the price / OI change, the taker flows and the liquidations,
    and ``extra_h`` (the watchlist's taker flows, over 4 h whatever the flag windows), full at the
    current bar and at the one before it (the alerts evaluate a bar as it closes), with a margin. The
    longer reads take the float32 rows too: the 7-day lookback, the 24 h volume sums
    (``BarPanel.column_sum``), the watchlist's 24 h change (``BarPanel.column_back``), its sparklines
    and its heatmap (copies of one column each)."""
    windows = (params.window_h, params.flow_window_h, params.liq_window_h, extra_h)
    return max(n_bars(w, step_ms) for w in windows) + 4


class BarObserver(Protocol):
    """Told what the bar store wrote, after it wrote it (the history recorder is one)."""

    def bar_closed(self, store: BarStore, t: int) -> None:
        """Bar ``t`` closed: the next one opened, so its figures are final (until a late update)."""

    def bars_rewritten(self, store: BarStore, t: int, keys: Collection[tuple[str, str]]) -> None:
        """Bar ``t``, older than the current one, was written again for these (symbol, venue) series."""

    def history_loaded(self, store: BarStore, histories: Sequence[History], merge: bool) -> None:
        """Closed bars were loaded (a backfill, simulated history)."""


class BarStore(CrossVenueRows):
    """Bars for ``symbols`` x (``venues`` + ALL) on a shared time axis.

    Attributes:
        data: float64 array (hot rows, n_symbols, n_venues + 1, n_columns); row -1 is the current bar.
        cold: float32 array of the older rows (see ``BarPanel``).
        count: how many of the rows hold bars (the rest, at the top, are NaN).
        versions: int array (n_symbols, n_venues + 1), bumped whenever a series changes; the UI
            repaints the rows whose version moved.
    """

    def __init__(
        self,
        symbols: Sequence[str],
        venues: Sequence[str],
        capacity: int,
        step_ms: int = BAR_STEP_MS,
        hot: int | None = None,
    ) -> None:
        """``hot``: how many of the newest ``capacity`` bars are float64 (None: all of them); the rest
        are float32 (``hot_rows_for`` gives the monitor's)."""
        self.venues: list[str] = list(venues)
        self.step_ms = step_ms
        self.capacity = capacity
        self.symbols: list[str] = []
        self._sym_index: dict[str, int] = {}
        self._venue_index = {v: i for i, v in enumerate(self.venues)}
        self._venue_index[ALL] = len(self.venues)
        nv = len(self.venues) + 1
        # Allocated once for the initial symbols: adding them one by one re-copied the whole panel
        # each time (0.45 s and a 40 MB transient for 50 symbols).
        initial = list(dict.fromkeys(symbols))
        # Only the current row is filled now: the rest is filled (NaN) by the first write or by a read
        # that reaches it (BarPanel._fill). Filling it here put the page faults of the whole panel
        # (0.15 s at 50 symbols, 0.5 s at 200) before the first frame, which needs none of it.
        n_hot = capacity if hot is None else max(1, min(hot, capacity))
        self.n_cold = capacity - n_hot
        self.data = np.empty((n_hot, len(initial), nv, len(COLUMNS)))
        self.cold = np.empty((self.n_cold, len(initial), nv, len(COLUMNS)), dtype=np.float32)
        self.data[-1] = np.nan
        self._unfilled = capacity - 1
        self.versions = np.zeros((len(initial), nv), dtype=np.int64)
        self.change_24h = np.full((len(initial), nv), np.nan)
        self.next_funding_ms = np.zeros((len(initial), nv), dtype=np.int64)
        # The rate each venue predicts for its next settlement (NaN: it gives none): not a bar column,
        # as next_funding_ms, so nothing stores it; ``snapshot`` reads it.
        self.funding_next = np.full((len(initial), nv), np.nan)
        # Each venue's earliest known open interest: see _aggregate.
        self.oi_anchor = np.full((len(initial), nv), np.nan)
        self.count = 0
        self._t_last: int | None = None
        self.symbols = initial
        self._sym_index = {s: i for i, s in enumerate(initial)}
        self._observers: list[BarObserver] = []

    def observe(self, observer: BarObserver) -> None:
        """Tell ``observer`` about every bar written from now on."""
        self._observers.append(observer)

    def add_symbol(self, symbol: str) -> int:
        """Add an empty series block for ``symbol`` (no-op if present); returns its slot."""
        if symbol in self._sym_index:
            return self._sym_index[symbol]
        self._fill()
        nv = len(self.venues) + 1
        block = np.full((self.capacity, 1, nv, len(COLUMNS)), np.nan)
        if self._t_last is not None:
            block[..., Col.TIME] = self._time_column()[:, None, None]
        c0 = self.n_cold
        self.data = np.concatenate([self.data, block[c0:]], axis=1)
        self.cold = np.concatenate([self.cold, block[:c0].astype(np.float32)], axis=1)
        self.versions = np.concatenate([self.versions, np.zeros((1, nv), dtype=np.int64)])
        self.change_24h = np.concatenate([self.change_24h, np.full((1, nv), np.nan)])
        self.next_funding_ms = np.concatenate([self.next_funding_ms, np.zeros((1, nv), dtype=np.int64)])
        self.funding_next = np.concatenate([self.funding_next, np.full((1, nv), np.nan)])
        self.oi_anchor = np.concatenate([self.oi_anchor, np.full((1, nv), np.nan)])
        self.symbols.append(symbol)
        self._sym_index[symbol] = len(self.symbols) - 1
        return self._sym_index[symbol]

    def remove_symbol(self, symbol: str) -> None:
        """Drop ``symbol`` and its bars (no-op if absent)."""
        i = self._sym_index.pop(symbol, None)
        if i is None:
            return
        self._fill()
        self.data = np.delete(self.data, i, axis=1)
        self.cold = np.delete(self.cold, i, axis=1)
        self.versions = np.delete(self.versions, i, axis=0)
        self.change_24h = np.delete(self.change_24h, i, axis=0)
        self.next_funding_ms = np.delete(self.next_funding_ms, i, axis=0)
        self.funding_next = np.delete(self.funding_next, i, axis=0)
        self.oi_anchor = np.delete(self.oi_anchor, i, axis=0)
        del self.symbols[i]
        self._sym_index = {s: k for k, s in enumerate(self.symbols)}

    # ---- writing -----------------------------------------------------------------------------

    def _advance_to(self, t: int) -> None:
        """Make ``t`` the current bar, shifting older bars out; levels carry into the new bar."""
        if self._t_last is None:
            self._fill()
            self._t_last = t
            self.data[..., Col.TIME] = self._time_column()[self.n_cold :, None, None]
            self.count = 1
            return
        k = (t - self._t_last) // self.step_ms
        if k <= 0:
            return
        prev = self.data[-1].copy()
        self._t_last = t
        if k >= self.capacity:
            self.data[...] = np.nan
            self.cold[...] = np.nan
            self.data[..., Col.TIME] = self._time_column()[self.n_cold :, None, None]
        else:
            # Shifted rows keep their times; only the k new rows need theirs.
            self._shift(k)
            new = max(0, len(self.data) - k)  # the new rows of each tier
            self.data[new:] = np.nan
            self.data[new:, ..., Col.TIME] = self._time_column()[self.n_cold + new :, None, None]
            if k > len(self.data):
                self.cold[self.capacity - k :] = np.nan
        self.count = min(self.capacity, self.count + k)
        if k == 1:
            # A bar that just opened has the levels of the one before until its feed says otherwise,
            # and zero flows where the feed publishes that flow.
            cur = self.data[-1]
            cur[..., _LEVELS] = prev[..., _LEVELS]
            cur[..., _FLOWS] = np.where(np.isnan(prev[..., _FLOWS]), np.nan, 0.0)

    def _shift(self, k: int) -> None:
        """Move every row ``k`` rows up (row i takes row i + k), the last ``k`` rows left as they were;
        rows on the axis of both tiers (a hot row that moves into the cold ones turns float32).

        In row chunks, oldest first: ``data[:-k] = data[k:]`` in one go overlaps itself, so numpy
        copies the whole source first (a second panel, 290 MB at 200 symbols, at every new bar).
        A chunk only reads rows that no earlier chunk wrote.
        """
        n, c0 = self.capacity - k, self.n_cold
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            # split where the rows written, then the rows read, pass from the cold tier to the hot one
            cuts = sorted({start, stop, *(c for c in (c0 - k, c0) if start < c < stop)})
            for a, b in itertools.pairwise(cuts):
                dst, d = (self.cold, 0) if a < c0 else (self.data, c0)
                src, r = (self.cold, 0) if a + k < c0 else (self.data, c0)
                dst[a - d : b - d] = src[a + k - r : b + k - r]

    def apply(self, updates: Iterable[BarUpdate]) -> set[int]:
        """Write bar updates; returns the symbol slots whose bars changed.

        Updates for symbols or venues not in the store are ignored. Times are floored to the step.
        """
        if self._observers:
            updates = list(updates)
        before = self._t_last
        touched: set[int] = set()
        bar_times: set[int] = set()
        anchored: set[int] = set()
        for u in updates:
            s = self._sym_index.get(u.symbol)
            v = self._venue_index.get(u.venue)
            if s is None or v is None or v == len(self.venues):
                continue
            t = u.time - u.time % self.step_ms
            if self._t_last is None or t > self._t_last:
                self._advance_to(t)
            r = self._row(t)
            if r is None:
                continue
            cold = r < self.n_cold  # a late bar older than the hot rows: written through a float64 row
            row = np.empty(len(COLUMNS)) if cold else self.data[r - self.n_cold, s, v]
            row[Col.PRICE] = u.price
            row[Col.OI] = u.oi
            row[Col.FUNDING] = u.funding
            row[Col.FUNDING_INTERVAL_H] = u.funding_interval_h
            row[Col.LS_RATIO] = u.ls_ratio
            row[Col.LIQ_LONG] = u.liq_long_usd
            row[Col.LIQ_SHORT] = u.liq_short_usd
            row[Col.SPOT_VOL] = u.spot_volume_usd
            row[Col.FUT_VOL] = u.futures_volume_usd
            row[Col.PREMIUM] = u.premium
            row[Col.SPOT_PRICE] = u.spot_price
            row[Col.TAKER_BUY] = u.taker_buy_usd
            row[Col.TAKER_SELL] = u.taker_sell_usd
            row[Col.SPOT_TAKER_BUY] = u.spot_taker_buy_usd
            row[Col.SPOT_TAKER_SELL] = u.spot_taker_sell_usd
            row[Col.LS_TOP] = u.ls_top_position
            row[Col.FUNDING_SPREAD] = u.funding_spread_8h  # NaN from a venue: the ALL slot works it out
            if cold:
                self.cold[r, s, v, 1:] = row[1:]
            self.funding_next[s, v] = u.funding_next
            self.change_24h[s, v] = u.change_24h
            if u.oi == u.oi and self.oi_anchor[s, v] != self.oi_anchor[s, v]:
                self.oi_anchor[s, v] = u.oi
                anchored.add(s)
            elif u.price != u.price and u.oi != u.oi and self.oi_anchor[s, v] == self.oi_anchor[s, v]:
                # Nothing at all: the venue stopped listing the symbol (feeds.live.feed). Its open
                # interest counts nowhere any more, as at a start where the venue did not list it.
                self.oi_anchor[s, v] = np.nan
                anchored.add(s)
            if u.next_funding_ms:
                self.next_funding_ms[s, v] = u.next_funding_ms
            self.versions[s, v] += 1
            touched.add(s)
            bar_times.add(t)
        if touched:
            # Every bar the batch wrote: a batch that closes bar k and opens k+1 changed both.
            idx = np.fromiter(touched, dtype=np.int64)
            for t in bar_times:
                r = self._row(t)
                if r is not None:
                    self._aggregate(idx, slice(r, r + 1))
        if anchored:  # a venue's open interest appeared: its symbols' older cross-venue rows change too
            self._aggregate_all(np.fromiter(anchored, dtype=np.int64))
        if self._observers:
            self._closed(before)
            if touched and self._t_last is not None:
                late: dict[int, set[tuple[str, str]]] = {}
                for u in updates:
                    t = u.time - u.time % self.step_ms
                    if t < self._t_last:
                        late.setdefault(t, set()).add((u.symbol, u.venue))
                for t, keys in late.items():
                    for o in self._observers:
                        o.bars_rewritten(self, t, keys)
        return touched

    def _closed(self, before: int | None) -> None:
        """Tell the observers that bar ``before`` closed, if a newer bar is current now."""
        if before is not None and self._t_last is not None and self._t_last > before:
            for o in self._observers:
                o.bar_closed(self, before)

    def apply_block(self, block: BarBlock) -> set[int]:
        """Write a block of current bars (many series at once); returns the symbol slots written.

        Symbols or venues of the block that the store does not hold are skipped.
        """
        before = self._t_last
        s_pos = [(i, self._sym_index[s]) for i, s in enumerate(block.symbols) if s in self._sym_index]
        v_pos = [
            (j, self._venue_index[v])
            for j, v in enumerate(block.venues)
            if v in self._venue_index and v != ALL
        ]
        if not s_pos or not v_pos:
            return set()
        t = block.time - block.time % self.step_ms
        if self._t_last is None or t > self._t_last:
            self._advance_to(t)
        r = self._row(t)
        if r is None:
            return set()
        src_s, dst_s = (np.array(x, dtype=np.int64) for x in zip(*s_pos, strict=True))
        src_v, dst_v = (np.array(x, dtype=np.int64) for x in zip(*v_pos, strict=True))
        values = block.values[src_s][:, src_v, 1:]
        tier, at = (self.cold, r) if r < self.n_cold else (self.data, r - self.n_cold)
        tier[at, dst_s[:, None], dst_v[None, :], 1:] = values
        self.change_24h[dst_s[:, None], dst_v[None, :]] = np.nan
        if block.next_funding_ms:
            nf = np.array(block.next_funding_ms, dtype=np.int64)[src_v]
            self.next_funding_ms[dst_s[:, None], dst_v[None, :]] = nf[None, :]
        self.versions[dst_s[:, None], dst_v[None, :]] += 1
        self._aggregate(dst_s, slice(r, r + 1))
        anchors = self.oi_anchor[dst_s[:, None], dst_v[None, :]]
        fresh = np.isnan(anchors) & ~np.isnan(values[..., Col.OI - 1])
        if fresh.any():  # as in apply(): a venue's first open interest re-weights older cross-venue rows
            self.oi_anchor[dst_s[:, None], dst_v[None, :]] = np.where(fresh, values[..., Col.OI - 1], anchors)
            self._aggregate_all(dst_s[fresh.any(axis=1)])
        if self._observers:
            self._closed(before)
            if self._t_last is not None and t < self._t_last:  # a block of an older bar: it was rewritten
                keys = {(block.symbols[i], block.venues[j]) for i, _ in s_pos for j, _ in v_pos}
                for o in self._observers:
                    o.bars_rewritten(self, t, keys)
        return set(dst_s.tolist())

    def load_history(self, histories: Iterable[History], merge: bool = False, *, notify: bool = True) -> None:
        """Write closed bars (backfill or simulated history); they align to the store's time axis.

        Args:
            histories: the bars, per symbol and venue.
            merge: keep stored values where the history has none (NaN): a live feed's backfill arrives
                after its first polls, and must not erase what those wrote.
            notify: tell the observers (False for bars read back from the history store, which must
                not be written to it again).
        """
        histories = list(histories)
        hs = [h for h in histories if len(h.bars)]
        if notify:
            for o in self._observers:
                o.history_loaded(self, histories, merge)
        if not hs:
            return
        newest = max(int(h.bars[-1, Col.TIME]) for h in hs)
        newest -= newest % self.step_ms
        if self._t_last is None or newest > self._t_last:
            self._advance_to(newest)
        touched: set[int] = set()
        for h in hs:
            s = self._sym_index.get(h.symbol)
            v = self._venue_index.get(h.venue)
            if s is None or v is None:
                continue
            t = h.bars[:, Col.TIME].astype(np.int64)
            back = (self._t_last - (t - t % self.step_ms)) // self.step_ms  # type: ignore[operator]
            ok = (back >= 0) & (back < self.capacity)
            at = self.capacity - 1 - back[ok]
            new = h.bars[ok, 1:]
            hot = at >= self.n_cold  # ascending: the cold rows first
            if not hot.all():
                self._write_rows(self.cold, at[~hot], s, v, new[~hot], merge)
            self._write_rows(self.data, at[hot] - self.n_cold, s, v, new[hot], merge)
            self._anchor_oi(np.array([s]), np.array([v]))
            self.count = max(self.count, int(back[ok].max()) + 1 if ok.any() else self.count)
            self.versions[s, v] += 1
            touched.add(s)
        if touched:
            self._aggregate_all(np.fromiter(touched, dtype=np.int64))

    @staticmethod
    def _write_rows(tier: np.ndarray, at: np.ndarray, s: int, v: int, new: np.ndarray, merge: bool) -> None:
        """Write bars ``new`` (their columns after ``time``) into rows ``at`` of one tier, series (s, v)."""
        rows: np.ndarray | slice = at
        if len(at) and np.array_equal(at, np.arange(at[0], at[0] + len(at))):
            rows = slice(int(at[0]), int(at[0]) + len(at))  # the usual unbroken run: no gather (-13 %)
        if merge:
            new = np.where(np.isnan(new), tier[rows, s, v, 1:], new)
        tier[rows, s, v, 1:] = new

    def history_rows(
        self, symbols: Sequence[str], venues: Sequence[str], n: int, last_ms: int
    ) -> np.ndarray | None:
        """The panel's own rows for ``n`` closed bars of ``symbols`` on ``venues`` (every venue, in the
        store's order), the last opening at ``last_ms``: a view (n, symbols, venues, columns) to write
        a history into in place (``history_written`` after), or None when they do not line up (the
        symbols not in consecutive slots, more bars than the panel holds, another current bar).
        """
        slots = [self._sym_index.get(s) for s in symbols]
        s0 = slots[0] if slots and slots[0] is not None else -1
        if slots != list(range(s0, s0 + len(slots))) or list(venues) != self.venues or n > len(self.data):
            return None
        if self._t_last is None and last_ms % self.step_ms == 0:
            self._advance_to(last_ms)
        if self._t_last != last_ms:
            return None
        rows: np.ndarray = self.data[len(self.data) - n :, s0 : s0 + len(slots), : len(self.venues)]
        return rows

    def history_written(self, histories: Sequence[History], n: int) -> None:
        """``n`` bars of ``histories`` were written into rows ``history_rows`` gave: as ``load_history``
        would have left the store (the earliest open interest, the cross-venue rows, the observers)."""
        touched = np.array(sorted({self._sym_index[h.symbol] for h in histories}), dtype=np.int64)
        nv = len(self.venues)
        self._anchor_oi(touched, np.arange(nv))
        self.count = max(self.count, n)
        self.versions[touched, :nv] += 1
        self._aggregate_all(touched)
        for o in self._observers:
            o.history_loaded(self, histories, False)
