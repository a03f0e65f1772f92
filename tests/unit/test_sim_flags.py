"""The demo shows every flag at once, through the real signal module, and its flags come and go."""

from __future__ import annotations

import numpy as np
import pytest

from feeds.messages import ALL
from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from signals.evaluate import evaluate, evaluate_latest, needed_bars
from signals.flags import FLAG_NAMES
from signals.params import SignalParams
from tui.model.bars import BarStore, capacity_for

STEP = 300_000
START = 1_750_000_200_000  # a multiple of 5 minutes
PARAMS = SignalParams()


def _loaded(seed: int) -> tuple[SimulatedMarket, BarStore]:
    market = SimulatedMarket(DEFAULT_DEMO_WATCHLIST, seed=seed, start_ms=START)
    store = BarStore(DEFAULT_DEMO_WATCHLIST, market.venues, capacity_for(PARAMS, STEP), STEP)
    store.load_history(market.history())
    return market, store


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_flag_is_on_for_some_symbol_across_venues_right_after_start(seed: int) -> None:
    _, store = _loaded(seed)
    on_all: dict[str, list[str]] = {name: [] for name in FLAG_NAMES}
    for sym in DEFAULT_DEMO_WATCHLIST:
        table = evaluate(store.series(sym, ALL), PARAMS, STEP)
        for name in FLAG_NAMES:
            if table.fired[name][-1]:
                on_all[name].append(sym)
    missing = [name for name, symbols in on_all.items() if not symbols]
    assert not missing, f"flags off on every cross-venue row at the latest bar: {missing}"


def test_the_live_path_sees_every_flag_too() -> None:
    """The monitor evaluates the store's tail incrementally; it must list all ten, as snapshot does."""
    _, store = _loaded(0)
    n = needed_bars(PARAMS, STEP)
    window = store.tail(n).reshape(n, -1, store.data.shape[-1])
    results = evaluate_latest(window, PARAMS, STEP)
    seen = {flag.name for r in results for flag in r.flags}
    assert seen == set(FLAG_NAMES)


def test_flags_come_and_go_as_regimes_rotate() -> None:
    market, store = _loaded(0)
    for _ in range(2 * 24 * 12 * 2):  # two simulated days in 150 s ticks
        store.apply(market.tick(150.0))
    last_two_days = 2 * 24 * 12
    changes = 0
    ever_on, ever_off = set(), set()
    for sym in DEFAULT_DEMO_WATCHLIST:
        table = evaluate(store.series(sym, ALL), PARAMS, STEP)
        for name in FLAG_NAMES:
            fired = table.fired[name][-last_two_days:]
            changes += int(np.count_nonzero(np.diff(fired.astype(np.int8))))
            if fired.any():
                ever_on.add(name)
            if not fired.all():
                ever_off.add((sym, name))
    # Every scripted ending gives way: no symbol keeps its start flag on for two days.
    assert ever_off >= {(s, n) for s in DEFAULT_DEMO_WATCHLIST for n in FLAG_NAMES}
    assert len(ever_on) >= 8
    assert changes >= 100
