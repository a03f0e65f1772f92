"""Benchmark of the monitor's restart from the history store: a 50-symbol week read back and resumed.

The store holds 50 symbols x 4 venues x 2016 five-minute bars (seven days: 403,200 bars) ending at the
current bar, with the NaNs a real venue has (no spot volume on Hyperliquid). Timed, each over ``--runs``
runs (min / median / max):

- ``load``: ``HistoryStore.load`` of every series from the app's window start (the file read alone);
- ``resume``: what the app does at a start, end to end: ``read_for`` (open the file read-only, load)
  then ``restore`` into a fresh ``BarStore`` of the app's capacity (the cross-venue rows included).

Run: ``python bench/bench_store_load.py [--runs 7] [--keep DIR]`` (``--keep`` reuses a store built
before in DIR, which saves the half-minute it takes to write).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.history.store import HistoryStore
from feeds.messages import History
from signals.columns import COLUMNS
from signals.params import SignalParams
from signals.times import wall_ms
from tui.model.bars import BarStore, capacity_for
from tui.model.stored import read_for, restore

SYMBOLS = [f"SYM{i}" for i in range(50)]
VENUES = ["binance", "bybit", "okx", "hyperliquid"]
STEP_MS = 300_000
BARS = 7 * 288  # seven days of 5-minute bars: 50 x 4 x 2016 = 403,200 bars


def build(path: Path, end_ms: int) -> None:
    """Write the week ending at bar ``end_ms`` into a new store at ``path`` (one transaction)."""
    rng = np.random.default_rng(0)
    store = HistoryStore(path, retention_days=None)
    times = end_ms - STEP_MS * np.arange(BARS - 1, -1, -1)
    rows: list[tuple[object, ...]] = []
    for k, t in enumerate(times.tolist()):
        values = rng.lognormal(size=(len(SYMBOLS), len(VENUES), len(COLUMNS) - 1))
        values[:, 3, 7] = np.nan  # no spot volume on Hyperliquid
        if k % 97 == 0:
            values[:, 1, 4] = np.nan  # a long/short ratio the venue did not publish
        vals = values.tolist()
        rows.extend((s, v, int(t), *vals[i][j]) for i, s in enumerate(SYMBOLS) for j, v in enumerate(VENUES))
    store.write_bars(rows)
    store.set_meta("step_ms", str(STEP_MS))
    store.close()


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], object]:
    """Seconds of each of ``runs`` calls of ``fn`` and the last call's result."""
    out: object = None
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        took.append(time.perf_counter() - start)
    return took, out


def line(name: str, took: list[float]) -> str:
    return (
        f"{name}: min {min(took) * 1e3:.0f} ms, median {statistics.median(took) * 1e3:.0f} ms, "
        f"max {max(took) * 1e3:.0f} ms over {len(took)} runs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="a folder to keep (and reuse) the built store in")
    parser.add_argument("--rows-only", action="store_true", help="drop the packed days: time the row path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        now = wall_ms()
        end = now - now % STEP_MS
        path = folder / f"week-{end}.sqlite3"
        if not path.exists():
            for old in folder.glob("week-*.sqlite3*"):
                old.unlink()
            start = time.perf_counter()
            build(path, end)
            print(f"built {path.name}: {time.perf_counter() - start:.1f} s")
        capacity = capacity_for(SignalParams(), STEP_MS, 24.0)
        since = end - (capacity - 1) * STEP_MS

        if args.rows_only:
            with sqlite3.connect(path) as conn:  # as a store made before closed days were packed
                conn.execute("DELETE FROM bar_blocks")
        else:
            # What a running monitor's writer does at its open and hourly: pack the closed days.
            writer = HistoryStore(path, retention_days=None)
            start = time.perf_counter()
            sealed = writer.seal(since)
            print(f"sealed {sealed} closed days in {time.perf_counter() - start:.2f} s")
            writer.close()

        reader = HistoryStore(path, None, readonly=True)
        took, loaded = timed(lambda: reader.load(SYMBOLS, VENUES, since), args.runs)
        reader.close()
        histories = cast(list[History], loaded)
        n = sum(len(h.bars) for h in histories)
        print(line(f"load {len(histories)} series, {n:,} bars", took))

        def resume() -> BarStore:
            app = BarStore(SYMBOLS, VENUES, capacity, STEP_MS)
            restore(app, read_for(app, path, since))
            return app

        took, app = timed(resume, args.runs)
        print(line(f"resume (read_for + restore into a {capacity}-bar BarStore)", took))
        assert isinstance(app, BarStore) and app.count == BARS, "the resumed store lacks bars"


if __name__ == "__main__":
    main()
