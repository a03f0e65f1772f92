"""The bar panel's shape and reads: ``BarPanel``, the base of ``tui.model.bars.BarStore``.

Every read hands back the panel's own rows where it can (a view, not a copy): the latest bar of every
series, a window of a column, the tail the flags are evaluated on. The writing half (new bars, blocks,
histories, the cross-venue rows) is ``BarStore``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from feeds.messages import ALL
from signals.columns import Col
from signals.params import n_bars

VenueBar = tuple[Any, ...]
"""(symbol, venue, bar time ms, *the value columns after ``time``), NaN for unknown values."""


class BarPanel:
    """Bars for symbols x (venues + ALL) on a shared time axis: what ``BarStore`` holds, read here.

    Attributes:
        data: float64 array (capacity, n_symbols, n_venues + 1, n_columns); row -1 is the current bar.
        count: how many of the rows hold bars (the rest, at the top, are NaN).
    """

    venues: list[str]
    symbols: list[str]
    step_ms: int
    capacity: int
    data: np.ndarray
    _unfilled: int  # rows at the top of ``data`` not yet filled with NaN (see _fill)
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
            self.data[: self._unfilled] = np.nan
            self._unfilled = 0

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
        bars: np.ndarray = self.data[self.capacity - self.count :, s, v].copy()
        return bars

    def latest(self, column: Col | None = None) -> np.ndarray:
        """The current bar of every series: a view (n_symbols, n_venues + 1, n_columns), or of one column."""
        bars: np.ndarray = self.data[-1] if column is None else self.data[-1, ..., column]
        return bars

    def window(self, column: Col, n: int, symbols: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """The last ``n`` bars of ``column`` for the series (``symbols[i]``, ``slots[i]``): (n, len(symbols))."""
        if n > 1:
            self._fill()
        values: np.ndarray = self.data[-n:, symbols, slots, column]
        return values

    def hourly(self, column: Col, hours: int, symbols: Sequence[int], slot: int) -> np.ndarray:
        """``column`` at the current bar and every hour before it, oldest first: (len(symbols), hours)."""
        back = np.arange(hours - 1, -1, -1) * n_bars(1.0, self.step_ms)
        self._fill()
        values: np.ndarray = self.data[self.capacity - 1 - back, :, slot, column][:, list(symbols)].T
        return values

    def venue_bars_at(self, t: int) -> list[VenueBar]:
        """Every venue series' bar at bar time ``t`` that has a price (none if ``t`` is not held)."""
        if self._t_last is None or not self.symbols:
            return []
        r = self._row(t)
        if r is None:
            return []
        block = self.data[r, :, : len(self.venues), 1:]
        priced = ~np.isnan(block[..., 0])
        values = block[priced].tolist()
        return [
            (self.symbols[s], self.venues[v], t, *vals)
            for (s, v), vals in zip(np.argwhere(priced).tolist(), values, strict=True)
        ]

    def tail(self, n: int, end: int | None = None) -> np.ndarray:
        """The last ``n`` bars of every series: a view (n, n_symbols, n_venues + 1, n_columns).

        Args:
            n: how many bars.
            end: the bar time of the last one (a closed bar, for its events); None: the current bar.
                A bar the store no longer holds gives no rows.
        """
        if end is None:
            if n != 1:
                self._fill()
            return self.data[-n:]
        r = self._row(end) if self._t_last is not None else None
        if r is None:
            return self.data[:0]
        return self.data[max(0, r - n + 1) : r + 1]

    def held_until(self, end: int | None = None) -> int:
        """How many bars the store holds up to and including bar time ``end`` (None: the current bar)."""
        if end is None or self._t_last is None:
            return self.count
        r = self._row(end)
        return 0 if r is None else max(0, self.count - (self.capacity - 1 - r))
