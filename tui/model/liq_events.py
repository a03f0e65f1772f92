"""One symbol's liquidation events held as columns: the drill-down's clusters read them by time window.

``LiqTape`` kept each symbol's last events as ``Liquidation`` objects: an object, an int and three floats
each, about 160 bytes an event, 14 MB at 200 symbols of the demo's simulated day. Here an event is one
35-byte row of a structured array (time, price, quantity, USD, side, and the index of its venue and
instrument in a small table of the symbol's own), grown as events come and, once ``capacity`` are held,
written round as a ring that drops the oldest. Events are rebuilt as ``Liquidation`` only for a window
that is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feeds.records import Liquidation

ROW = np.dtype(
    [
        ("time", "<i8"),
        ("price", "<f8"),
        ("qty", "<f8"),
        ("usd", "<f8"),
        ("long", "?"),
        ("source", "<i2"),  # index into the symbol's (venue, instrument, base) table
    ]
)

_MIN_ROWS = 64  # the first allocation: a quiet coin's events of a day fit without regrowing


class SymbolEvents:
    """The last ``capacity`` liquidation events of one symbol, in the order they arrived."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._rows = np.empty(0, dtype=ROW)
        self._count = 0
        self._head = 0  # once full: the row the next event overwrites (the oldest)
        self._sources: list[tuple[str, str, str]] = []
        self._source_index: dict[tuple[str, str, str], int] = {}

    def __len__(self) -> int:
        return self._count

    def extend(self, events: Sequence[Liquidation]) -> None:
        """Keep ``events`` (arrival order), dropping the oldest held beyond ``capacity``."""
        if not events:
            return
        new = np.array(
            [(e.time, e.price, e.qty, e.usd, e.side == "long", self._source(e)) for e in events], dtype=ROW
        )
        if len(new) >= self.capacity:
            self._rows, self._count, self._head = new[-self.capacity :].copy(), self.capacity, 0
            return
        need = self._count + len(new)
        if need > len(self._rows) and len(self._rows) < self.capacity:
            # grown by a quarter (not doubled): a full ring of a busy coin is never twice its events
            size = min(self.capacity, max(need, len(self._rows) * 5 // 4 + _MIN_ROWS))
            grown = np.empty(size, dtype=ROW)
            grown[: self._count] = self._ordered()
            self._rows, self._head = grown, 0
        if need <= len(self._rows):
            self._rows[self._count : need] = new
            self._count = need
            return
        # full: the oldest rows are overwritten, from the ring's start (the first free row before it wrapped)
        start = self._head if self._count == self.capacity else self._count
        self._rows[(start + np.arange(len(new))) % self.capacity] = new
        self._head = (start + len(new)) % self.capacity
        self._count = self.capacity

    def window(self, start_ms: int, end_ms: int) -> list[Liquidation]:
        """The held events with ``start_ms <= time < end_ms``, oldest first (arrival order among equals)."""
        rows = self._ordered()
        rows = rows[(rows["time"] >= start_ms) & (rows["time"] < end_ms)]
        rows = rows[np.argsort(rows["time"], kind="stable")]
        src = self._sources
        return [
            Liquidation(src[k][0], src[k][1], src[k][2], t, "long" if is_long else "short", p, q, u)
            for t, p, q, u, is_long, k in rows.tolist()
        ]

    def oldest_time(self) -> int:
        """The earliest event time held (the buffer must hold some)."""
        return int(self._ordered()["time"].min())

    def _ordered(self) -> np.ndarray:
        """The held rows, oldest arrival first (a view unless the ring has wrapped)."""
        if self._count < len(self._rows) or self._head == 0:
            return self._rows[: self._count]
        return np.concatenate([self._rows[self._head :], self._rows[: self._head]])

    def _source(self, e: Liquidation) -> int:
        key = (e.venue, e.instrument, e.base)
        k = self._source_index.get(key)
        if k is None:
            k = self._source_index[key] = len(self._sources)
            self._sources.append(key)
        return k
