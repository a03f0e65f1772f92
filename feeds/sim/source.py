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
from collections.abc import Callable, Iterable, Iterator, Sequence

from feeds.messages import BAR_STEP_MS, BarBlock, History, VenueStatus
from feeds.sim.liquidations import RecentBars, TickSplitter, history_events, recent_history
from feeds.sim.market import SimulatedMarket
from feeds.source import BarSink, LiquidationListener, SourceHealth
from signals.times import Clock, wall_ms


def demo_source(
    symbols: Sequence[str], seed: int = 0, speed: float = 1.0, clock: Clock = wall_ms
) -> DemoSource:
    """The simulated market over ``symbols`` as a live source (the app's ``--demo`` and ``record --demo``)."""
    market = SimulatedMarket(list(symbols), seed=seed)
    return DemoSource(market, speed=speed, rng_seed=seed, clock=clock, background=True)


class DemoSource:
    """The simulated market as a source.

    Args:
        market: a ``feeds.sim.SimulatedMarket``.
        speed: simulated seconds per wall-clock second.
        rng_seed: seed of the live walk.
        clock: epoch-ms clock for data ages (frozen in tests).
        live: run the simulation loop; False for tests, which call ``step``.
        retry_s: pause before restarting the loop after an error.
        background: let the app generate the simulated week on a worker thread after its first frame
            (``prepared`` False while the week is to be generated); tests leave it off, so that ``attach``
            has loaded the week by the time the app is mounted, as they step the market at once.
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
        background: bool = False,
    ) -> None:
        self.market = market
        self.speed = speed
        self.rng_seed = rng_seed
        self.clock = clock
        self.live = live
        self.retry_s = retry_s
        self.background = background
        self.venues: list[str] = list(market.venues)
        self.step_ms: int = int(getattr(market, "step_ms", BAR_STEP_MS))
        self._store: BarSink | None = None
        self._last_ms: dict[str, int] = {}
        self._error = ""
        self._on_liquidations: LiquidationListener | None = None
        self._splitter = TickSplitter(self.step_ms, rng_seed)

    @property
    def prepared(self) -> bool:
        """Whether ``attach`` is quick: no simulated history is left to generate (0.5 s at 50 symbols)."""
        return not (self.background and self.market.history_pending)

    def attach(self, store: BarSink) -> None:
        """Load the simulated history into ``store``; later updates go there too."""
        for step in self.attach_steps(store):
            step()

    def attach_steps(self, store: BarSink) -> Iterator[Callable[[], None]]:
        """``attach`` in steps: each ``next`` generates a group of the simulated week on the caller's
        thread (a worker's, for the app's first frame) and returns what loads it into ``store``, to run
        where the store is used. Run each step before asking for the next: one group at a time exists
        beside the store."""
        self._store = store
        return self._steps(self.market.history_groups())

    def _steps(self, groups: Iterable[Sequence[History]]) -> Iterator[Callable[[], None]]:
        """Load each group of histories as it comes, then split their last hours into orders at once.

        One ``history_events`` call over every group: its draws run on across the series, so the
        orders are the same however the histories were grouped. Only the hours it splits are kept.
        """
        recent: list[RecentBars] = []
        for histories in groups:
            yield _Step(self._load_group, histories, recent)
            del histories  # before the next group is generated, not after: one group at a time
        yield lambda: self._split(recent)

    def resumed(self) -> None:
        """Nothing to do: the simulated market starts with its own week and never reads the history store."""

    def listen_liquidations(self, listener: LiquidationListener) -> None:
        """Hand the simulated liquidation orders to ``listener`` (replacing any earlier one, as live)."""
        self._on_liquidations = listener

    def retry_stopped(self) -> list[str]:
        """No simulated venue is ever stopped: nothing to retry."""
        return []

    def _split(self, recent: list[RecentBars]) -> None:
        """Hand the liquidation orders of the loaded histories' last hours to the listener."""
        if self._on_liquidations is not None:
            events = history_events(recent, self.step_ms, self.rng_seed)
            if events:
                self._on_liquidations(events)

    def _load_group(self, histories: Sequence[History]) -> list[RecentBars]:
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
        for step in self._steps([self.market.add_symbol(symbol)]):
            step()

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


class _Step:
    """One step of ``DemoSource.attach_steps``: load a group and keep its last hours for the orders.

    A class rather than a closure so the group is let go when the step has run (``run`` drops it):
    the caller may hold the step itself while the next group is generated."""

    def __init__(
        self,
        load: Callable[[Sequence[History]], list[RecentBars]],
        group: Sequence[History],
        recent: list[RecentBars],
    ) -> None:
        self._load = load
        self._group: Sequence[History] | None = group
        self._recent = recent

    def __call__(self) -> None:
        group, self._group = self._group, None
        if group is not None:
            self._recent += self._load(group)
