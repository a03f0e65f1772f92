"""Benchmark of the simulated market: history generation and per-tick cost for 50 symbols x 4 venues.

Run: ``python bench/bench_sim.py [n_symbols]``. Prints figures; it asserts nothing (see DESIGN.md).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket


def main(n_symbols: int = 50) -> None:
    """Time construction + history(), then ticks at 1x (1.5 s) and at a fast-forward speed."""
    symbols = list(DEFAULT_DEMO_WATCHLIST) + [
        f"SYM{i}" for i in range(n_symbols - len(DEFAULT_DEMO_WATCHLIST))
    ]
    symbols = symbols[:n_symbols]
    t0 = time.perf_counter()
    market = SimulatedMarket(symbols, seed=0, start_ms=1_750_000_000_000)
    histories = market.history()
    t_hist = time.perf_counter() - t0
    bars = sum(len(h.bars) for h in histories)
    print(f"{n_symbols} symbols x {len(market.venues)} venues: history {t_hist * 1e3:.0f} ms ({bars:,} bars)")

    for label, seconds, n in (("1x (1.5 s)", 1.5, 2000), ("300x (450 s)", 450.0, 500)):
        market.tick(seconds)  # warm-up
        t0 = time.perf_counter()
        updates = 0
        for _ in range(n):
            updates += len(market.tick(seconds))
        per = (time.perf_counter() - t0) / n
        print(f"tick {label}: {per * 1e3:.3f} ms per tick, {updates / n:.0f} updates per tick")

    # The numeric part alone (no BarUpdate objects), to separate it from message construction.
    t0 = time.perf_counter()
    n = 2000
    for _ in range(n):
        market._within(min(0.999, market._frac + 0.005))
    print(f"within-bar arrays only: {(time.perf_counter() - t0) / n * 1e3:.3f} ms per tick")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
