"""The bar panel's shape and reads: ``BarPanel``, the base of ``tui.model.bars.BarStore``.

Every read hands back the panel's own rows where it can (a view, not a copy): the latest bar of every
series, a window of a column, the tail the flags are evaluated on. The writing half (new bars, blocks,
histories, the cross-venue rows) is ``BarStore``'s.

The rows are in two tiers on one time axis: the newest (``data``, float64) hold the short windows (the
4 h change and flows, the hour of liquidations), the older ones (``cold``, float32) the rest of the week,
which the 24 h reads (volume sums, the watchlist's 24 h change, sparklines and heatmap), the flags' 7-day
lookback, the drill-down's 7-day charts and the in-memory records read. Half the bytes for most of the
week: a float32 keeps 7 significant digits, far finer than the 0.1 % a change is shown to and the
quantiles and sums those readers compare. The current bars stay float64 because they are what the
history store records and the watchlist shows to the last digit; bar times are never read from the cold
rows (a float32 cannot hold an epoch millisecond) but worked out from the row. A read that reaches the
cold rows hands back a float64 copy (of the one column it asks for, where it names one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from feeds.messages import ALL
from signals.columns import Col
from signals.params import n_bars

_ALL = slice(None)

VenueBar = tuple[Any, ...]
"""(symbol, venue, bar time ms, *the value columns after ``time``), NaN for unknown values."""


class BarPanel:
    """Bars for symbols x (venues + ALL) on a shared time axis: what ``BarStore`` holds, read here.

    Rows are numbered on one axis over both tiers: 0 is the oldest ``capacity`` keeps, the first
    ``n_cold`` rows are ``cold``'s, the rest ``data``'s.

    Attributes:
        data: float64 array (hot rows, n_symbols, n_venues + 1, n_columns); row -1 is the current bar.
        cold: float32 array (n_cold, ...) of the rows before ``data``'s (none unless asked for).
        count: how many of the rows hold bars (the rest, at the top, are NaN).
    """

    venues: list[str]
    symbols: list[str]
    step_ms: int
    capacity: int
    data: np.ndarray
    cold: np.ndarray
    n_cold: int
    _unfilled: int  # rows at the top of the panel (both tiers) not yet filled with NaN (see _fill)
    count: int
    _t_last: int | None
    _sym_index: dict[str, int]
    _venue_index: dict[str, int]

    # ---- shape -------------------------------------------------------------------------------

    @property
    def current_time(self) -> int | None:
        """Open time (ms) of the current bar, or None before the first bar."""
        return self._t_last

    def times(self) -> np.ndarray:
        """Open times (ms, float64) of the stored bars, oldest first."""
        if self._t_last is None:
            return np.empty(0)
        n = self.count
        return self._t_last - self.step_ms * np.arange(n - 1, -1, -1, dtype=np.float64)

    @property
    def all_slot(self) -> int:
        """The venue slot of the cross-venue series (after every venue's own)."""
        return len(self.venues)

    def venue_index(self, venue: str) -> int:
        """Slot of ``venue`` (``ALL`` is the last)."""
        return self._venue_index[venue]

    def venue_name(self, slot: int) -> str:
        """The venue of slot ``slot`` (``ALL`` for the cross-venue slot)."""
        return self.venues[slot] if slot < len(self.venues) else ALL

    def symbol_index(self, symbol: str) -> int | None:
        """Slot of ``symbol``, or None if it is not in the store."""
        return self._sym_index.get(symbol)

    def slots(self, symbols: Iterable[str]) -> list[int]:
        """Slots of ``symbols``, which must all be in the store (KeyError otherwise)."""
        return [self._sym_index[s] for s in symbols]

    def _fill(self) -> None:
        """Fill the rows above the current one with NaN, if that is still to do (see BarStore.__init__):
        before the first write, or the first read that reaches them."""
        if self._unfilled:
            self.cold[...] = np.nan
            self.data[: self._unfilled - self.n_cold] = np.nan
            self._unfilled = 0

    def _gather(self, a: int, b: int, sym: Any = _ALL, ven: Any = _ALL, col: Any = None) -> np.ndarray:
        """Rows ``a`` to ``b`` (on the axis of both tiers) of ``data[:, sym, ven, col]`` in float64: a view
        when they are all hot, else a copy with the bar times worked out (``col`` None: every column)."""
        c0 = self.n_cold
        idx = (sym, ven) if col is None else (sym, ven, col)
        if a >= c0:
            key = (slice(a - c0, b - c0), *idx)
            hot: np.ndarray = self.data[key]
            return hot
        key = (slice(a, min(b, c0)), *idx)
        cold: np.ndarray = self.cold[key].astype(np.float64)
        if col is None:  # the cold rows keep no times: a float32 cannot hold an epoch millisecond
            times = self._time_column()[a : min(b, c0)] if self._t_last is not None else np.nan
            cold[..., Col.TIME] = np.reshape(times, (-1,) + (1,) * (cold.ndim - 2))
        if b <= c0:
            return cold
        key = (slice(0, b - c0), *idx)
        both: np.ndarray = np.concatenate([cold, self.data[key]])
        return both

    def _take(self, rows: np.ndarray, sym: Any, ven: Any, col: int) -> np.ndarray:
        """``data[rows, sym, ven, col]`` for ascending ``rows`` on the axis of both tiers, in float64."""
        c0 = self.n_cold
        cold, hot = rows[rows < c0], rows[rows >= c0] - c0
        parts = [self.data[hot, sym, ven, col]]
        if len(cold):
            parts.insert(0, self.cold[cold, sym, ven, col].astype(np.float64))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _time_column(self) -> np.ndarray:
        assert self._t_last is not None
        return self._t_last - self.step_ms * np.arange(self.capacity - 1, -1, -1, dtype=np.float64)

    def _row(self, t: int) -> int | None:
        """Row of bar time ``t`` in ``data`` (None if older than the panel keeps)."""
        assert self._t_last is not None
        back = (self._t_last - t) // self.step_ms
        if back < 0 or back >= self.capacity:
            return None
        return self.capacity - 1 - int(back)

    # ---- reading -----------------------------------------------------------------------------

    def series(self, symbol: str, venue: str = ALL) -> np.ndarray:
        """A copy of one series' stored bars, oldest first: (count, n_columns)."""
        s = self._sym_index[symbol]
        v = self._venue_index[venue]
        a = self.capacity - self.count
        bars = self._gather(a, self.capacity, s, v)
        return bars.copy() if a >= self.n_cold else bars

    def latest(self, column: Col | None = None) -> np.ndarray:
        """The current bar of every series: a view (n_symbols, n_venues + 1, n_columns), or of one column."""
        bars: np.ndarray = self.data[-1] if column is None else self.data[-1, ..., column]
        return bars

    def window(self, column: Col, n: int, symbols: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """The last ``n`` bars of ``column`` for the series (``symbols[i]``, ``slots[i]``): (n, len(symbols))."""
        if n > 1:
            self._fill()
        return self._gather(self.capacity - n, self.capacity, symbols, slots, column)

    def hourly(self, column: Col, hours: int, symbols: Sequence[int], slot: int) -> np.ndarray:
        """``column`` at the current bar and every hour before it, oldest first: (len(symbols), hours)."""
        back = np.arange(hours - 1, -1, -1) * n_bars(1.0, self.step_ms)
        self._fill()
        values: np.ndarray = self._take(self.capacity - 1 - back, slice(None), slot, column)[
            :, list(symbols)
        ].T
        return values

    def column_back(self, column: Col, k: int, end: int | None = None) -> np.ndarray:
        """``column`` of every series ``k`` bars before ``end`` (None: the current bar), in float64:
        (n_symbols, n_venues + 1), NaN where the panel holds no such bar."""
        rows = self._tail_rows(k + 1, end)
        if rows is None or rows[1] - rows[0] < k + 1:
            return np.full(self.data.shape[1:3], np.nan)
        self._fill()
        back: np.ndarray = self._gather(rows[0], rows[0] + 1, col=column)[0]
        return back

    def column_sum(
        self, column: Col, n: int, end: int | None = None, symbols: np.ndarray | slice = _ALL
    ) -> np.ndarray:
        """``column`` summed over the last ``n`` bars up to ``end`` (None: the current bar) of the
        series of ``symbols`` (slots; default every symbol), in float64: (symbols, n_venues + 1), NaN
        where a bar has none. Each tier is summed where it lies: no float64 copy of the rows (the 24 h
        volumes are 288 bars, most of them cold), and only the symbols asked for are read."""
        rows = self._tail_rows(n, end)
        if rows is None:
            return np.full(self.data[0, symbols].shape[:2], np.nan)
        self._fill()
        (a, b), c0 = rows, self.n_cold
        # the column first (a view), then the symbols: mixing the two indexes would move the axes
        total: np.ndarray = self.data[max(0, a - c0) : max(0, b - c0), :, :, column][:, symbols].sum(axis=0)
        if a < c0:
            total += self.cold[a : min(b, c0), :, :, column][:, symbols].sum(axis=0, dtype=np.float64)
        return total

    def venue_bars_at(self, t: int) -> list[VenueBar]:
        """Every venue series' bar at bar time ``t`` that has a price (none if ``t`` is not held)."""
        if self._t_last is None or not self.symbols:
            return []
        r = self._row(t)
        if r is None:
            return []
        block = self._gather(r, r + 1, slice(None), slice(0, len(self.venues)), slice(1, None))[0]
        priced = ~np.isnan(block[..., 0])
        values = block[priced].tolist()
        return [
            (self.symbols[s], self.venues[v], t, *vals)
            for (s, v), vals in zip(np.argwhere(priced).tolist(), values, strict=True)
        ]

    def tail(self, n: int, end: int | None = None) -> np.ndarray:
        """The last ``n`` bars of every series: a view (n, n_symbols, n_venues + 1, n_columns), a float64
        copy where they reach the cold rows (``tail_split`` reads those without one).

        Args:
            n: how many bars.
            end: the bar time of the last one (a closed bar, for its events); None: the current bar.
                A bar the store no longer holds gives no rows.
        """
        rows = self._tail_rows(n, end)
        if rows is None:
            return self.data[:0]
        return self._gather(*rows)

    def tail_split(self, n: int, end: int | None = None) -> tuple[np.ndarray | None, np.ndarray]:
        """``tail`` as views of the two tiers: the cold rows' (float32, None if it reaches none; their
        bar times are not kept) and the hot rows' (float64)."""
        rows = self._tail_rows(n, end)
        if rows is None:
            return None, self.data[:0]
        (a, b), c0 = rows, self.n_cold
        hot = self.data[max(0, a - c0) : b - c0] if b > c0 else self.data[:0]
        return (self.cold[a : min(b, c0)] if a < c0 else None), hot

    def _tail_rows(self, n: int, end: int | None) -> tuple[int, int] | None:
        """The rows (from, to) of ``tail(n, end)`` on the axis of both tiers; None if ``end`` is not held."""
        if end is None:
            if n != 1:
                self._fill()
            return max(0, self.capacity - n), self.capacity
        r = self._row(end) if self._t_last is not None else None
        return None if r is None else (max(0, r - n + 1), r + 1)

    def held_until(self, end: int | None = None) -> int:
        """How many bars the store holds up to and including bar time ``end`` (None: the current bar)."""
        if end is None or self._t_last is None:
            return self.count
        r = self._row(end)
        return 0 if r is None else max(0, self.count - (self.capacity - 1 - r))
