"""Process CPU of the main screen per market tick, in-process: the figure to compare two commits with.

Runs ``PerptopApp`` headless (``run_test``, 200x50) over the simulated market, ticks the market 1.5 s (its
mean tick) and paints three ticks in four (a paint every 2 s), and sums ``time.process_time`` of the tick,
the paint and the frame that follows (Textual's compositor). Unlike a tmux run it leaves out the terminal
and the idle loop, so it moves less with the machine; still, interleave runs of the two checkouts (run it
from each checkout's folder) as the machine's speed moves between minutes.

Usage: python bench/bench_paint_cpu.py [--symbols 50] [--ticks 150]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
sys.path.insert(0, str(Path.cwd() / "bench"))

from bench_tmux import watchlist

from feeds.sim import SimulatedMarket
from feeds.sim.source import DemoSource
from tui.app import PerptopApp
from tui.config.loader import AppConfig

START_MS = 1_767_225_600_000
TICK_S = 1.5


async def run(n_symbols: int, ticks: int) -> None:
    """Build the app, tick and paint ``ticks`` times, print CPU per tick by phase."""
    now = [START_MS]
    market = SimulatedMarket(watchlist(n_symbols), seed=0, start_ms=START_MS)
    source = DemoSource(market, clock=lambda: now[0], live=False)
    app = PerptopApp(AppConfig(watchlist=tuple(market.symbols)), source=source, clock=lambda: now[0])
    async with app.run_test(size=(200, 50)) as pilot:
        for _ in range(50):  # the simulated week is loaded on a worker: let it finish
            await pilot.pause()
        phases = {"market tick": 0.0, "paint": 0.0, "frame": 0.0}
        for i in range(ticks):
            a = time.process_time()
            now[0] += int(TICK_S * 1000)
            source.step(TICK_S)
            b = time.process_time()
            if i % 4 != 3:
                app.paint()
            c = time.process_time()
            await pilot.pause()
            d = time.process_time()
            phases["market tick"] += b - a
            phases["paint"] += c - b
            phases["frame"] += d - c
    total = sum(phases.values()) / ticks
    print(
        f"symbols {n_symbols}, {ticks} ticks: "
        + ", ".join(f"{k} {v / ticks * 1000:.2f} ms" for k, v in phases.items())
    )
    print(
        f"total {total * 1000:.2f} ms a tick = {total / TICK_S * 100:.2f} % of a core at a tick per {TICK_S} s"
    )


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--ticks", type=int, default=150)
    args = parser.parse_args()
    asyncio.run(run(args.symbols, args.ticks))


if __name__ == "__main__":
    main()
