"""The simulated market as a source: deterministic history, then a random walk in real time.

The app runs ``source.run()`` in a worker of its own group (``feed:sim``) with ``exit_on_error=False``;
errors are caught inside the loop, shown in the status bar, and the loop retries after a pause instead
of dying silently. Tests drive a source with ``live=False`` and call ``step`` themselves, so no test
waits on a live worker.

Liquidations: the simulation draws them as bar totals; the listener (``listen_liquidations``) gets them
as orders split from those totals (``feeds.sim.liquidations``): the last ``HISTORY_EVENTS_H`` hours of
each history loaded (at start and for an added symbol), then, tick by tick, the growth of the current
bars' totals. The orders of a bar add up to its total, so the tape, the clusters and the bars agree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from feeds.messages import BAR_STEP_MS, BarBlock, History, VenueStatus
from feeds.sim.liquidations import TickSplitter, history_events, recent_history
from feeds.sim.market import SimulatedMarket
from feeds.source import BarSink, LiquidationListener, SourceHealth
from signals.times import Clock, wall_ms


def demo_source(
    symbols: Sequence[str], seed: int = 0, speed: float = 1.0, clock: Clock = wall_ms
) -> DemoSource:
    """The simulated market over ``symbols`` as a live source (the app's ``--demo`` and ``record --demo``)."""
    return DemoSource(SimulatedMarket(list(symbols), seed=seed), speed=speed, rng_seed=seed, clock=clock)


class DemoSource:
    """The simulated market as a source.

    Args:
        market: a ``feeds.sim.SimulatedMarket``.
        speed: simulated seconds per wall-clock second.
        rng_seed: seed of the live walk.
        clock: epoch-ms clock for data ages (frozen in tests).
        live: run the simulation loop; False for tests, which call ``step``.
        retry_s: pause before restarting the loop after an error.
    """

    mode = "demo"
    group = "feed:sim"

    def __init__(
        self,
        market: SimulatedMarket,
        speed: float = 1.0,
        rng_seed: int = 0,
        clock: Clock = wall_ms,
        live: bool = True,
        retry_s: float = 5.0,
    ) -> None:
        self.market = market
        self.speed = speed
        self.rng_seed = rng_seed
        self.clock = clock
        self.live = live
        self.retry_s = retry_s
        self.venues: list[str] = list(market.venues)
        self.step_ms: int = int(getattr(market, "step_ms", BAR_STEP_MS))
        self._store: BarSink | None = None
        self._last_ms: dict[str, int] = {}
        self._error = ""
        self._on_liquidations: LiquidationListener | None = None
        self._splitter = TickSplitter(self.step_ms, rng_seed)

    def attach(self, store: BarSink) -> None:
        """Load the simulated history into ``store``; later updates go there too."""
        self._store = store
        self._loaded(self.market.history_groups())

    def resumed(self) -> None:
        """Nothing to do: the simulated market starts with its own week and never reads the history store."""

    def listen_liquidations(self, listener: LiquidationListener) -> None:
        """Hand the simulated liquidation orders to ``listener`` (replacing any earlier one, as live)."""
        self._on_liquidations = listener

    def retry_stopped(self) -> list[str]:
        """No simulated venue is ever stopped: nothing to retry."""
        return []

    def _loaded(self, groups: Iterable[Sequence[History]]) -> None:
        """Load each group of histories as it comes, then split their last hours into orders at once.

        One ``history_events`` call over every group: its draws run on across the series, so the
        orders are the same however the histories were grouped. Only the hours it splits are kept.
        """
        recent: list[History] = []
        for histories in groups:
            recent += self._load_group(histories)
            del histories  # before the next group is generated, not after: one group at a time
        if self._on_liquidations is not None:
            events = history_events(recent, self.step_ms, self.rng_seed)
            if events:
                self._on_liquidations(events)

    def _load_group(self, histories: Sequence[History]) -> list[History]:
        """Load one group into the store; the part of it ``history_events`` splits (none when nobody listens).

        A method of its own so no loop variable outlives it: one series' bars are a view that keeps
        the whole group's array alive.
        """
        assert self._store is not None
        self._store.load_history(histories)
        now = self.clock()
        for h in histories:
            self._last_ms[h.venue] = now
        if self._on_liquidations is None:
            return []
        return [recent_history(h, self.step_ms) for h in histories]

    def publish(self, blocks: Sequence[BarBlock]) -> None:
        """Write the market's blocks into the store (called by the simulation loop, or by ``step``)."""
        if self._store is None or not blocks:
            return
        for block in blocks:
            self._store.apply_block(block)
        now = self.clock()
        for venue in {v for block in blocks for v in block.venues}:
            self._last_ms[venue] = now
        self._error = ""
        if self._on_liquidations is not None:
            events = self._splitter.observe(blocks, int(getattr(self.market, "now_ms", now)))
            if events:
                self._on_liquidations(events)

    def step(self, seconds: float) -> None:
        """Advance the simulated market by ``seconds`` and publish its blocks (tests, benchmarks)."""
        self.publish(self.market.tick_blocks(seconds))

    async def run(self) -> None:
        """Run the simulation until cancelled; an error is reported and the loop restarts."""
        from feeds.sim.market import run_simulation

        while True:
            try:
                await run_simulation(self.market, self.publish, speed=self.speed, rng_seed=self.rng_seed)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._error = f"{type(exc).__name__}: {exc}"
                await asyncio.sleep(self.retry_s)

    def add_symbol(self, symbol: str) -> None:
        """Add ``symbol`` to the market and load its history into the store."""
        self._loaded([self.market.add_symbol(symbol)])

    def remove_symbol(self, symbol: str) -> None:
        """Remove ``symbol`` from the market."""
        self.market.remove_symbol(symbol)

    def health(self, now_ms: int) -> SourceHealth:
        """Every simulated venue: ``error`` with the message after a failure, else ``ok`` (or ``starting``)."""
        out = []
        for v in self.venues:
            last = self._last_ms.get(v, 0)
            if self._error:
                out.append(VenueStatus(v, "error", self._error, last))
            else:
                out.append(VenueStatus(v, "ok" if last else "starting", last_data_ms=last))
        return SourceHealth(tuple(out))
