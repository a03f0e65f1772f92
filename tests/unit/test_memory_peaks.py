"""Peak memory of the bar store and the simulated history: nothing the size of the panel is made twice.

Each test traces the allocations of one step and compares its peak with the panel it works on; the
code before these fixes made a second panel (a whole-panel shift, the whole history beside the store).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Sequence

import numpy as np

from feeds.messages import ALL, BarUpdate
from feeds.records import Liquidation
from feeds.sim import SimulatedMarket
from feeds.sim.liquidations import history_events
from feeds.sim.market import IN_PLACE_GROUP
from feeds.sim.source import DemoSource
from signals.columns import Col
from signals.params import SignalParams
from tui.model.bars import BarStore
from tui.model.store_flags import evaluate_store

STEP = 300_000
START = 1_750_000_200_000  # a multiple of 5 minutes
SYMBOLS = [f"S{i:02d}" for i in range(12)]
PARAMS = SignalParams()


def _peak(work: Callable[[], object]) -> int:
    """Bytes allocated at the peak of ``work`` beyond what was allocated before it."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def _update(symbol: str, t: int, price: float) -> BarUpdate:
    return BarUpdate("binance", symbol, t, price, oi=10.0, funding=1e-4, liq_long_usd=0.0)


def test_a_new_bar_shifts_the_panel_without_a_second_copy_of_it() -> None:
    store = BarStore(SYMBOLS, ["binance", "okx"], 2_000, STEP)
    store.apply(_update(s, START, 100.0 + k) for k, s in enumerate(SYMBOLS))
    for k in range(1, 4):  # three older bars to move up with every new one
        store.apply([_update("S00", START + k * STEP, 200.0 + k)])
    peak = _peak(lambda: store.apply([_update("S00", START + 4 * STEP, 300.0)]))
    assert peak < store.data.nbytes / 4, f"{peak} bytes for a {store.data.nbytes}-byte panel"
    # The rows moved up by one: the bar of START is now 4 bars back, with its price.
    assert store.series("S00", "binance")[-5:, Col.PRICE].tolist() == [100.0, 201.0, 202.0, 203.0, 300.0]
    assert store.series("S03", "binance")[-5:, Col.PRICE].tolist() == [103.0] * 5  # levels carried


def test_the_history_comes_in_groups_with_the_same_bars_as_all_at_once() -> None:
    whole = {(h.symbol, h.venue): h.bars for h in SimulatedMarket(SYMBOLS, start_ms=START).history()}
    market = SimulatedMarket(SYMBOLS, start_ms=START)
    groups = market.history_groups(5)
    first = next(groups)
    assert [h.symbol for h in first[:: len(market.venues)]] == SYMBOLS[:5]
    rest = [h for g in groups for h in g]
    assert len(rest) == 7 * len(market.venues)
    for h in first + rest:
        np.testing.assert_array_equal(h.bars, whole[(h.symbol, h.venue)])
    # Ticking after groups is ticking after the whole history: the same current bars.
    again = SimulatedMarket(SYMBOLS, start_ms=START)
    again.history()
    np.testing.assert_array_equal(market.tick_blocks(90.0)[-1].values, again.tick_blocks(90.0)[-1].values)


def test_the_demo_loads_its_history_a_group_at_a_time_and_its_tape_is_unchanged() -> None:
    symbols = [f"S{i:03d}" for i in range(40)]  # three groups of the default 16
    history_bytes = len(symbols) * 4 * 2_030 * 18 * 8  # 4 venues, a week of 5-minute bars and a margin
    store = BarStore(symbols, ["simA", "simB", "simC", "simD"], 2_030, STEP)
    got: list[Liquidation] = []

    def start() -> DemoSource:  # the market's construction is measured too: it made the history at once
        source = DemoSource(
            SimulatedMarket(symbols, start_ms=START), rng_seed=3, live=False, clock=lambda: START
        )
        source.listen_liquidations(got.extend)
        source.attach(store)
        return source

    peak = _peak(start)
    # Old: the whole history and more (1.3x); now one group of 16 of the 40 symbols at a time (0.54x: the
    # group, 0.4, its generation's temporaries, the simulation's random blocks and the last day's four
    # columns; 0.59x when the last day was kept whole).
    assert peak < 0.75 * history_bytes, f"{peak} bytes beside the store for a {history_bytes}-byte history"
    # The same orders as the whole history split at once, and the same bars in the store.
    whole = SimulatedMarket(symbols, start_ms=START).history()
    assert got == history_events(whole, STEP, 3)
    for h in whole[::12]:
        np.testing.assert_array_equal(store.series(h.symbol, h.venue)[:, 1:], h.bars[:, 1:])
    assert store.series(symbols[-1], ALL).shape[0] == 2_030


def test_the_snapshot_writes_the_history_into_the_panel_as_loading_it_would() -> None:
    symbols = [f"S{i:03d}" for i in range(70)]  # two groups of 64, the snapshot's
    venues = ["simA", "simB", "simC", "simD"]
    loaded = BarStore(symbols, venues, 2_030, STEP)
    loaded.load_history(SimulatedMarket(symbols, start_ms=START).history())

    market = SimulatedMarket(symbols, start_ms=START)
    store = BarStore(symbols, venues, 2_030, STEP)
    given: list[bool] = []

    def rows(syms: Sequence[str], n: int, last_ms: int) -> np.ndarray | None:
        got = store.history_rows(syms, venues, n, last_ms)
        given.append(got is not None)
        return got

    def write() -> None:
        for group in market.history_groups(IN_PLACE_GROUP, into=rows):
            store.history_written(group, market.history_bars)

    peak = _peak(write)
    assert given == [True, True]
    # Loaded: a group's week beside the store (64 of 70 symbols, 0.73 of the panel) and more. Written
    # in place: the simulation's own state and random blocks, and the cross-venue rows' chunks.
    assert peak < store.data.nbytes / 4, f"{peak} bytes beside a {store.data.nbytes}-byte panel"
    np.testing.assert_array_equal(store.data, loaded.data)  # every bar, the cross-venue rows too
    np.testing.assert_array_equal(store.oi_anchor, loaded.oi_anchor)
    assert (store.count, store.current_time) == (loaded.count, loaded.current_time)
    # Rows that do not line up are not given: another venue order, symbols not side by side, too many bars.
    assert store.history_rows(symbols[:2], venues[::-1], 10, store.current_time or 0) is None
    assert store.history_rows([symbols[0], symbols[2]], venues, 10, store.current_time or 0) is None
    assert store.history_rows(symbols[:2], venues, 2_031, store.current_time or 0) is None
    assert store.history_rows(symbols[:2], venues, 10, (store.current_time or 0) + STEP) is None


def test_the_flags_of_every_series_read_the_panel_without_copying_it() -> None:
    market = SimulatedMarket(SYMBOLS, start_ms=START)
    store = BarStore(SYMBOLS, market.venues, market.history_bars, STEP)
    store.load_history(market.history())
    whole = evaluate_store(store, PARAMS)  # every symbol x venue and ALL, as the snapshot asks
    picked = evaluate_store(store, PARAMS, venues=["simB", ALL], symbols=SYMBOLS[3:5])
    assert {k: whole[k] for k in picked} == picked  # a selection is the same flags as in the whole
    peak = _peak(lambda: evaluate_store(store, PARAMS))
    assert peak < store.data.nbytes / 2, f"{peak} bytes for a {store.data.nbytes}-byte panel"


def test_a_live_market_keeps_a_few_bars_of_draws_not_a_day_of_them() -> None:
    symbols = [f"S{i:02d}" for i in range(40)]
    tracemalloc.start()
    try:
        market = SimulatedMarket(symbols, start_ms=START)
        week = market.history()
        del week
        market.tick(1.5)  # live: the run each symbol joined after its history draws from now on
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A day's block of draws for 40 symbols: 288 bars x (36 + 16 + 13) doubles x 40 = 6.0 MB.
    assert held < 2_000_000, f"the live market holds {held:,} bytes"
