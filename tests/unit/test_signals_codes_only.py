"""``evaluate_latest(reasons=False)``: the same flags without reason text, and a cache never mixes the two."""

from __future__ import annotations

import numpy as np

from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from signals.columns import COLUMNS
from signals.evaluate import LatestCache, evaluate_latest, needed_bars
from signals.params import SignalParams
from tui.model.bars import BarStore, capacity_for

STEP = 300_000


def _window() -> np.ndarray:
    market = SimulatedMarket(DEFAULT_DEMO_WATCHLIST, seed=0, start_ms=1_767_225_600_000)
    store = BarStore(DEFAULT_DEMO_WATCHLIST, market.venues, capacity_for(SignalParams(), STEP), STEP)
    store.load_history(market.history())
    depth = needed_bars(SignalParams(), STEP)
    return store.tail(depth).reshape(depth, -1, len(COLUMNS)).copy()


def test_codes_only_gives_the_same_flags_without_reasons() -> None:
    window = _window()
    full = evaluate_latest(window, SignalParams(), STEP)
    codes = evaluate_latest(window, SignalParams(), STEP, reasons=False)
    assert sum(len(r.flags) for r in full) >= 10  # the demo has every flag on somewhere
    for a, b in zip(full, codes, strict=True):
        assert [(f.name, f.direction, f.confidence) for f in a.flags] == [
            (f.name, f.direction, f.confidence) for f in b.flags
        ]
        assert all(f.reason for f in a.flags) and not any(f.reason for f in b.flags)
        assert a.unavailable == b.unavailable


def test_a_shared_cache_does_not_hand_empty_reasons_to_a_caller_that_wants_them() -> None:
    window = _window()
    cache = LatestCache()
    evaluate_latest(window, SignalParams(), STEP, cache, reasons=False)
    again = evaluate_latest(window, SignalParams(), STEP, cache)
    assert all(f.reason for r in again for f in r.flags)
