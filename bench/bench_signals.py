"""Benchmark of the signal module: prints batch and latest-bar timings (a script, not a test).

Run: python bench/bench_signals.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from signals.columns import COLUMNS, Col
from signals.evaluate import LatestCache, evaluate, evaluate_latest, needed_bars
from signals.params import SignalParams

STEP_MS = 300_000


def random_bars(t: int, seed: int) -> np.ndarray:
    """A random walk with every column filled: (t, len(COLUMNS))."""
    rng = np.random.default_rng(seed)
    b = np.empty((t, len(COLUMNS)))
    b[:, Col.TIME] = 1.7e12 + STEP_MS * np.arange(t)
    b[:, Col.PRICE] = 100 * np.exp(np.cumsum(rng.normal(0, 0.003, t)))
    b[:, Col.OI] = 1e6 * np.exp(np.cumsum(rng.normal(0, 0.003, t)))
    b[:, Col.FUNDING] = np.repeat(rng.normal(0, 3e-4, t // 96 + 1), 96)[:t]
    b[:, Col.FUNDING_INTERVAL_H] = 8.0
    b[:, Col.LS_RATIO] = np.exp(rng.normal(0.3, 0.5, t))
    liq = rng.exponential(5e4, (t, 2)) * (rng.random((t, 2)) < 0.2)
    b[:, Col.LIQ_LONG], b[:, Col.LIQ_SHORT] = liq[:, 0], liq[:, 1]
    b[:, Col.SPOT_VOL] = rng.exponential(1e6, t)
    b[:, Col.FUT_VOL] = rng.exponential(4e6, t)
    return b


def best_of(fn: object, repeat: int) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    assert callable(fn)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    params = SignalParams()
    t0 = time.perf_counter()
    import pandas  # noqa: F401  (the batch path imports it lazily; its import time is shown apart)

    print(f"pandas import:               {1e3 * (time.perf_counter() - t0):8.1f} ms")
    bars = random_bars(105_000, 1)
    table = evaluate(bars, params, STEP_MS)
    print(
        f"batch evaluate, 105k 5m bars: {1e3 * best_of(lambda: evaluate(bars, params, STEP_MS), 3):8.1f} ms"
    )
    print("  events per flag:", {k: int(v.sum()) for k, v in table.fired.items()})

    n_series = 250
    t = needed_bars(params, STEP_MS) + 2
    panel = np.stack([random_bars(t, s) for s in range(n_series)], axis=1)
    cache = LatestCache()

    def cold() -> None:
        cache.clear()
        evaluate_latest(panel, params, STEP_MS, cache)

    evaluate_latest(panel, params, STEP_MS, cache)
    rng = np.random.default_rng(0)

    def tick() -> None:
        # A tick moves the current bar of every series; the per-bar statistics stay cached.
        panel[-1, :, Col.PRICE] *= 1 + rng.normal(0, 1e-4, n_series)
        evaluate_latest(panel, params, STEP_MS, cache)

    res = evaluate_latest(panel, params, STEP_MS, cache)
    print(
        f"evaluate_latest N={n_series}, T={t}: cold {1e3 * best_of(cold, 5):7.2f} ms, "
        f"warm {1e3 * best_of(tick, 200):6.3f} ms; series with flags: {sum(bool(r.flags) for r in res)}"
    )


if __name__ == "__main__":
    main()
