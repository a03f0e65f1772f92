"""Measure the main screen's paint tick in-process: ms per paint and bytes of terminal output per tick.

Runs ``PerptopApp`` headless (``run_test``) over the simulated market with 50 symbols, steps the market
1.5 s (the simulator's mean tick) before each paint, and times ``app.paint()`` plus the compositor's
repaint. Terminal bytes are counted by rendering each compositor update as a truecolor terminal would
receive it. Prints figures; asserts nothing (CPU and bytes in a real terminal are measured in tmux).

Usage: python bench/bench_paint.py [--symbols 50] [--ticks 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.color import ColorSystem
from textual.app import App

from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from feeds.sim.source import DemoSource
from tui.app import PerptopApp
from tui.config.loader import AppConfig

START_MS = 1_767_225_600_000
TICK_S = 1.5


def symbols(n: int) -> list[str]:
    """The demo watchlist padded with made-up names to ``n`` symbols."""
    out = list(DEFAULT_DEMO_WATCHLIST)[:n]
    out += [f"SIM{i}" for i in range(n - len(out))]
    return out


async def run(n_symbols: int, ticks: int) -> None:
    """Build the app, paint ``ticks`` times, print the figures."""
    now = [START_MS]
    t0 = time.perf_counter()
    market = SimulatedMarket(symbols(n_symbols), seed=0, start_ms=START_MS)
    t_market = time.perf_counter() - t0
    source = DemoSource(market, clock=lambda: now[0], live=False)
    app = PerptopApp(AppConfig(watchlist=tuple(market.symbols)), source=source, clock=lambda: now[0])
    written: list[int] = []
    original = App._display

    def counting_display(self: App[None], screen: object, renderable: object) -> None:
        from textual._compositor import CompositorUpdate

        if isinstance(renderable, CompositorUpdate) and not self._batch_count:
            written.append(len(renderable.render_segments(self.console).encode()))
        original(self, screen, renderable)  # type: ignore[arg-type]

    App._display = counting_display  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            app.console._color_system = ColorSystem.TRUECOLOR
            await pilot.pause()
            t_first = time.perf_counter() - t0
            paint_ms, frame_ms, frame_bytes = [], [], []
            for _ in range(ticks):
                now[0] += int(TICK_S * 1000)
                source.step(TICK_S)
                written.clear()
                a = time.perf_counter()
                app.paint()
                b = time.perf_counter()
                await pilot.pause()
                c = time.perf_counter()
                paint_ms.append((b - a) * 1000)
                frame_ms.append((c - b) * 1000)
                frame_bytes.append(sum(written))
    finally:
        App._display = original  # type: ignore[method-assign]

    def stats(xs: list[float]) -> str:
        xs = sorted(xs)
        return f"mean {statistics.mean(xs):.2f}  p95 {xs[int(len(xs) * 0.95) - 1]:.2f}  max {xs[-1]:.2f}"

    print(f"symbols {n_symbols}  venues {len(market.venues)}  ticks {ticks} (every {TICK_S}s simulated)")
    print(
        f"market build        {t_market * 1000:.0f} ms; first frame after {t_first * 1000:.0f} ms (in-process)"
    )
    print(f"paint tick (ms)     {stats(paint_ms)}")
    print(f"repaint+idle (ms)   {stats(frame_ms)}")
    print(f"bytes per tick      {stats([float(x) for x in frame_bytes])}")
    per_s = statistics.mean(frame_bytes) / TICK_S + 40  # + the status clock each second (~40 B)
    print(f"est. output         {per_s:.0f} B/s at one market tick per {TICK_S}s")
    cpu = (statistics.mean(paint_ms) + statistics.mean(frame_ms)) / (TICK_S * 1000) * 100
    print(f"est. CPU (paint)    {cpu:.2f} % of a core (excludes the idle loop and the feed)")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--ticks", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(run(args.symbols, args.ticks))


if __name__ == "__main__":
    main()
