"""Bars and liquidations on their way to the history store, from the app and from ``perptop record``.

``HistoryRecorder`` observes a ``BarStore``: a bar is written when the next one opens (its final state),
a bar that a feed changes after that (late liquidations) is written again, the current bar on
``write_current`` (at exit, and by the recorder at every status line; replaced when it closes), and
history (backfill, simulated history) is merged in. ``liquidations`` takes the live streams' events one
batch at a time. Everything here runs on the event loop and only queues: the writer's thread does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence

from feeds.history.writer import HistoryWriter
from feeds.messages import History
from feeds.records import Liquidation
from tui.model.bars import BarStore


class HistoryRecorder:
    """Sends what a bar store writes, and the liquidation events of a source, to a history writer.

    Args:
        writer: where the bars go (``put_bars`` must not block: it is called on the event loop).
        wanted: the symbols followed now (liquidation events of others are not kept).
    """

    def __init__(self, writer: HistoryWriter, wanted: Callable[[], Iterable[str]]) -> None:
        self.writer = writer
        self.wanted = wanted

    def attach(self, store: BarStore) -> None:
        """Record ``store``'s bars from now on."""
        store.observe(self)

    def bar_closed(self, store: BarStore, t: int) -> None:
        """Queue the final state of bar ``t``."""
        self.writer.put_bars(store.venue_bars_at(t))

    def bars_rewritten(self, store: BarStore, t: int, keys: Collection[tuple[str, str]]) -> None:
        """Queue bar ``t`` again for the series that changed after it closed."""
        self.writer.put_bars([r for r in store.venue_bars_at(t) if (r[0], r[1]) in keys])

    def history_loaded(self, store: BarStore, histories: Sequence[History], merge: bool) -> None:
        """Merge loaded history into the file: a restart's backfill has no liquidations, and must keep
        the recorded ones (so the file merges even where the store replaced)."""
        self.writer.put_history(histories)

    def write_current(self, store: BarStore) -> None:
        """Queue the current bar of every series (replaced in the file when it closes)."""
        if store.current_time is not None:
            self.writer.put_bars(store.venue_bars_at(store.current_time))

    def liquidations(self, events: Sequence[Liquidation]) -> None:
        """Queue a venue stream's liquidation events of the followed symbols."""
        keep = set(self.wanted())
        self.writer.put_liquidations(
            [
                (e.venue, e.base, int(e.time), e.side, float(e.usd))
                for e in events
                if e.base in keep and e.usd == e.usd
            ]
        )
