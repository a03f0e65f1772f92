"""The monitor's start-up pays for no research library: pandas, DuckDB, matplotlib stay unloaded through
the first frames, the drill-down and its scoring (issue 15: they cost import time and memory); plotext, the
drill-down's own charts, only once a drill-down opens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, sys, tempfile
from pathlib import Path
from tests.support.demo_app import SIZE, make_app

research = ("pandas", "duckdb", "matplotlib", "scipy", "pyarrow", "polars")

async def main():
    app = make_app(Path(tempfile.mkdtemp()))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await pilot.pause(0.02)
            if app.watchlist.order:
                break
        await pilot.pause(0.2)
        print(sorted(m for m in (*research, "plotext") if m in sys.modules))
        await pilot.press("enter")  # the drill-down, whose hit rates are scored on a worker
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert len(app.screen_stack) == 2, "the drill-down did not open"
    print(sorted(m for m in research if m in sys.modules))

asyncio.run(main())
"""


def test_the_monitor_and_its_drilldown_load_no_research_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    at_start, after_drilldown = done.stdout.strip().splitlines()[-2:]
    assert at_start == "[]"
    assert after_drilldown == "[]"
