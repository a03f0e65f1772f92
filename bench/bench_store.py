"""Benchmark of the history store: what one bar batch for 50 symbols x 4 venues costs, and a restart's load.

Prints milliseconds per batch (one transaction, as the writer thread commits them), the cost on the
caller's side of queuing a batch (what the event loop pays), the file size per million bars, how
long ``load`` takes to read back seven days of 5-minute bars, and the CPU of writing a backfill (a week
of every series, merged into a store that already holds the live bars of its last day) a series per
transaction, as each reached the writer before it gathered them, and 25 per transaction.
Run: ``python bench/bench_store.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.history.store import HistoryStore
from feeds.history.writer import HistoryWriter
from feeds.messages import History
from signals.columns import COLUMNS

SYMBOLS = [f"SYM{i}" for i in range(50)]
VENUES = ["binance", "bybit", "okx", "hyperliquid"]
STEP_MS = 300_000
BARS = 7 * 288  # seven days of 5-minute bars


def batch(t: int, rng: np.random.Generator) -> list[tuple[object, ...]]:
    """One closed bar of every series, with the NaNs a real venue has (no spot volume on Hyperliquid...)."""
    values = rng.lognormal(size=(len(SYMBOLS), len(VENUES), len(COLUMNS) - 1))
    values[:, 3, 4] = np.nan
    rows = values.tolist()
    return [(s, v, t, *rows[i][j]) for i, s in enumerate(SYMBOLS) for j, v in enumerate(VENUES)]


def main() -> None:
    rng = np.random.default_rng(0)
    t0 = 1_700_000_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        store = HistoryStore(path, retention_days=None)
        costs = []
        for k in range(BARS):
            rows = batch(t0 + k * STEP_MS, rng)
            start = time.perf_counter()
            store.write_bars(rows)
            costs.append(time.perf_counter() - start)
        per_batch = len(SYMBOLS) * len(VENUES)
        n = BARS * per_batch
        print(
            f"write one batch ({len(SYMBOLS)} symbols x {len(VENUES)} venues = {per_batch} bars, "
            f"one transaction): median {statistics.median(costs) * 1e3:.2f} ms, "
            f"p95 {sorted(costs)[int(0.95 * len(costs))] * 1e3:.2f} ms, over {BARS} batches"
        )
        print(f"file: {store.size() / 1e6:.1f} MB for {n:,} bars ({store.size() / n:.0f} bytes per bar)")
        start = time.perf_counter()
        histories = store.load(SYMBOLS, VENUES, t0)
        took = time.perf_counter() - start
        print(
            f"load {len(histories)} series x {BARS} bars (a restart of a 50-symbol watchlist): "
            f"{took * 1e3:.0f} ms"
        )
        start = time.perf_counter()
        store.load(SYMBOLS[:12], VENUES, t0 + (BARS - 288) * STEP_MS)
        print(f"load 12 symbols x 1 day: {(time.perf_counter() - start) * 1e3:.0f} ms")
        store.close()

        writer = HistoryWriter(Path(tmp) / "writer.sqlite3", step_ms=STEP_MS)
        writer.start()
        prepared = [batch(t0 + k * STEP_MS, rng) for k in range(200)]
        put = []
        for rows in prepared:
            start = time.perf_counter()
            writer.put_bars(rows)
            put.append(time.perf_counter() - start)
        start = time.perf_counter()
        writer.close()
        print(
            f"writer thread: queuing a batch costs the event loop {statistics.median(put) * 1e6:.0f} us; "
            f"200 batches committed {time.perf_counter() - start:.2f} s after the last put "
            f"({writer.bars_written:,} bars, {writer.dropped} dropped)"
        )

        one, gathered = (backfill_cpu(Path(tmp) / f"backfill{k}.sqlite3", t0, rng, k) for k in (1, 25))
        print(
            f"backfill write (a week of {len(SYMBOLS)} x {len(VENUES)} series merged into the last day's live bars): "
            f"{one:.2f} s of CPU a series per transaction, {gathered:.2f} s 25 series per transaction "
            f"(the writer's gathering), {gathered / one:.2f} x"
        )


def backfill_cpu(path: Path, t0: int, rng: np.random.Generator, per_txn: int) -> float:
    """CPU seconds to merge a week of every series into ``path``, ``per_txn`` series a transaction."""
    store = HistoryStore(path, retention_days=None)
    for k in range(BARS - 288, BARS):  # the last day was recorded live before the backfill reached it
        store.write_bars(batch(t0 + k * STEP_MS, rng))
    times = t0 + STEP_MS * np.arange(BARS)
    weeks = []
    for v in VENUES:
        for s in SYMBOLS:
            bars = rng.lognormal(size=(BARS, len(COLUMNS)))
            bars[:, 0] = times
            bars[:, 6:8] = np.nan  # a backfill knows no liquidations: the merge keeps the recorded ones
            weeks.append(History(v, s, bars))
    start = time.process_time()
    for i in range(0, len(weeks), per_txn):
        store.write_batch([("history", weeks[i : i + per_txn])])
    took = time.process_time() - start
    store.close()
    return took


if __name__ == "__main__":
    main()
