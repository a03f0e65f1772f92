"""What every data source offers the app and the recorder, and what it writes into.

Three sources exist: the simulated market (``feeds.sim.source.DemoSource``), the live venues
(``feeds.live.source.LiveSource``) and a replayed history (``feeds.history.replay.ReplaySource``).
Each fills a ``BarSink`` (the app's bar store) and answers ``health`` with one ``SourceHealth``
value: the venue states for the status bar, the notice for the top band, and the series the screen
must mark as not listed or stale. The app reads nothing else of a source; no source reaches into
the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from feeds.messages import ALL, VenueStatus
from feeds.records import Liquidation
from signals.times import Clock

if TYPE_CHECKING:  # the types only: importing this module (the CLI does) must not load numpy
    import numpy as np

    from feeds.messages import BarBlock, BarUpdate, History

SeriesKey = tuple[str, str]
"""(symbol, venue) of one series; the venue is ``ALL`` for the cross-venue series."""

LiquidationListener = Callable[[Sequence[Liquidation]], None]
"""Receives each batch of liquidation events a venue's stream delivered (already for followed symbols)."""


class BarSink(Protocol):
    """Where a source writes bars: the app's bar store (``tui.model.bars.BarStore``)."""

    step_ms: int
    capacity: int
    count: int

    def apply(self, updates: Iterable[BarUpdate]) -> set[int]:
        """Write current-bar updates; returns the symbol slots that changed."""

    def apply_block(self, block: BarBlock) -> set[int]:
        """Write a block of current bars of many series; returns the symbol slots written."""

    def load_history(self, histories: Iterable[History], merge: bool = False) -> None:
        """Write closed bars (``merge``: keep what is held where the history has no value)."""

    def series(self, symbol: str, venue: str = ALL) -> np.ndarray:
        """A copy of one series' held bars, oldest first."""


@dataclass(frozen=True)
class SourceHealth:
    """Everything the screen shows about a source's state, as one value.

    Attributes:
        venues: each venue's state, detail and data age, in the source's venue order.
        notice: one line for the top band when the source cannot deliver at all ("" otherwise).
        unlisted: series of symbols a venue does not list (shown once as ``not listed``).
        stale: series with no update for three poll intervals (drawn in the stale colour); a
            cross-venue series is stale as soon as one of its venues is.
        backfilling: some venue is still fetching its start-up history.
    """

    venues: tuple[VenueStatus, ...]
    notice: str = ""
    unlisted: frozenset[SeriesKey] = frozenset()
    stale: frozenset[SeriesKey] = frozenset()
    backfilling: bool = False


class Source(Protocol):
    """A data source as the app and ``perptop record`` use it.

    ``run`` is the feed loop, started once in a worker of its own ``group``; a source with
    ``live=False`` (tests) is stepped by hand instead.
    """

    mode: str
    live: bool
    venues: list[str]
    step_ms: int
    group: str
    clock: Clock

    @property
    def prepared(self) -> bool:
        """Whether ``attach`` is quick; when not, the app runs ``attach_steps`` from a worker thread (the
        simulated market's week), so it draws its first frame meanwhile."""

    def attach_steps(self, store: BarSink) -> Iterator[Callable[[], None]]:
        """``attach`` in steps: iterating does the slow part on the caller's thread; each step it yields
        touches the store and must run where the store is used (the event loop), before the next."""

    def attach(self, store: BarSink) -> None:
        """Write into ``store`` from now on (loading any history the source starts with)."""

    def resumed(self) -> None:
        """``store`` now holds bars resumed from the history store: fetch only what it lacks."""

    async def run(self) -> None:
        """The feed loop; returns only when cancelled (errors are caught and shown in ``health``)."""

    def add_symbol(self, symbol: str) -> None:
        """Start feeding ``symbol`` (its history goes into the store first)."""

    def remove_symbol(self, symbol: str) -> None:
        """Stop feeding ``symbol``."""

    def health(self, now_ms: int) -> SourceHealth:
        """The source's state at ``now_ms``."""

    def listen_liquidations(self, listener: LiquidationListener) -> None:
        """Also hand every liquidation event the source receives to ``listener`` (the history recorder)."""

    def retry_stopped(self) -> list[str]:
        """Try every venue stopped for its location now (the app's ``r``); returns their names."""
