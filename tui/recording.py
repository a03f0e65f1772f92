"""Bars and liquidations on their way to the history store, from the app and from ``perptop record``.

``RecordingBarStore`` is a ``BarStore`` that also queues its bars to a ``HistoryWriter``: a bar is
written when the next one opens (its final state), a bar that a feed changes after that (late
liquidations) is written again, the current bar on ``write_current`` (at exit, and by the recorder at
every status line; replaced when it closes), and history (backfill, simulated history) is merged in.
``tap_liquidations`` sends the live streams' liquidation events to the writer one by one.
Everything here runs on the event loop and only queues: the writer's thread does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from feeds.messages import BarBlock, BarUpdate, History
from tui.history_store import BarRow, history_rows
from tui.history_writer import HistoryWriter
from tui.store import BarStore


class RecordingBarStore(BarStore):
    """A BarStore whose bars also go to the history store.

    Args:
        symbols, venues, capacity, step_ms: as for ``BarStore``.
        writer: where the bars go (``put_bars`` must not block: it is called on the event loop).
    """

    def __init__(
        self,
        symbols: Iterable[str],
        venues: Iterable[str],
        capacity: int,
        step_ms: int,
        writer: HistoryWriter,
    ) -> None:
        super().__init__(list(symbols), list(venues), capacity, step_ms)
        self.writer = writer

    def apply(self, updates: Iterable[BarUpdate]) -> set[int]:
        """``BarStore.apply``, then queue the bar it closed and any older bar it changed."""
        updates = list(updates)
        before = self.current_time
        touched = super().apply(updates)
        self._write_closed(before)
        now = self.current_time
        if touched and now is not None:
            late: dict[int, set[tuple[str, str]]] = {}
            for u in updates:
                t = u.time - u.time % self.step_ms
                if t < now:
                    late.setdefault(t, set()).add((u.symbol, u.venue))
            for t, keys in late.items():
                self.writer.put_bars([r for r in self.rows_at(t) if (r[0], r[1]) in keys])
        return touched

    def apply_block(self, block: BarBlock) -> set[int]:
        """``BarStore.apply_block``, then queue the bar it closed (or rewrote: a block of an older bar)."""
        before = self.current_time
        touched = super().apply_block(block)
        self._write_closed(before)
        t = block.time - block.time % self.step_ms
        if touched and self.current_time is not None and t < self.current_time:
            names = set(block.symbols)
            self.writer.put_bars([r for r in self.rows_at(t) if r[0] in names])
        return touched

    def load_history(self, histories: Iterable[History], merge: bool = False) -> None:
        """``BarStore.load_history``, and the same bars merged into the history store."""
        histories = list(histories)
        super().load_history(histories, merge=merge)
        # Merged in the file too: a restart's backfill has no liquidations, and must keep the recorded ones.
        self.writer.put_bars(history_rows(histories), merge=True)

    def _write_closed(self, before: int | None) -> None:
        now = self.current_time
        if before is not None and now is not None and now > before:
            self.writer.put_bars(self.rows_at(before))

    def write_current(self) -> None:
        """Queue the current bar of every series (replaced in the file when it closes)."""
        if self.current_time is not None:
            self.writer.put_bars(self.rows_at(self.current_time))

    def rows_at(self, t: int) -> list[BarRow]:
        """History-store rows of every venue series with a price at bar time ``t`` (none if not held)."""
        if self.current_time is None or not self.symbols:
            return []
        r = self._row(t)
        if r is None:
            return []
        block = self.data[r, :, : len(self.venues), 1:]
        where = np.argwhere(~np.isnan(block[..., 0]))
        values = block[~np.isnan(block[..., 0])].tolist()
        return [(self.symbols[s], self.venues[v], t, *vals) for (s, v), vals in zip(where.tolist(), values)]


def tap_liquidations(
    adapters: dict[str, Any], writer: HistoryWriter, wanted: Callable[[], Iterable[str]]
) -> None:
    """Also send every liquidation that the venues' stream parsers return to ``writer``.

    The parse result is passed on unchanged, so the feeds see exactly what they saw before.

    Args:
        adapters: the live source's adapters by venue (each one is the source's own instance).
        writer: the history writer.
        wanted: the symbols followed now (events of others are not kept).
    """
    for adapter in adapters.values():
        parse = adapter.ws_parse

        def tapped(raw: Any, listings: Any, parse: Any = parse) -> Any:
            parsed = parse(raw, listings)
            if parsed is not None and parsed.records:
                keep = set(wanted())
                writer.put_liquidations(
                    [
                        (e.venue, e.base, int(e.time), e.side, float(e.usd))
                        for e in parsed.records
                        if e.base in keep and e.usd == e.usd
                    ]
                )
            return parsed

        adapter.ws_parse = tapped
