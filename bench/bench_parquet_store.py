"""Benchmark of the research store: write and read 100 symbols x 30 days of 5-minute bars, Parquet vs CSV.

864,000 rows of synthetic bars (a random walk, every column filled: the largest file for the row count).
One operation per process, so that ``/usr/bin/time -v`` or ``farm-bench`` reports its own peak RSS; the
operation's own time (bars built beforehand, not counted) is printed as ``seconds=...``.

Run (one at a time; each prints one line):
    python bench/bench_parquet_store.py write-csv    /tmp/b/h.csv
    python bench/bench_parquet_store.py write-parquet /tmp/b/store     (a folder; FILE.parquet for one file)
    python bench/bench_parquet_store.py read  /tmp/b/h.csv | /tmp/b/store | /tmp/b/h.parquet
    python bench/bench_parquet_store.py stream /tmp/b/store
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from signals.columns import COLUMNS, Col  # noqa: E402

STEP_MS = 300_000
SYMBOLS = 100
BARS = 30 * 288  # 30 days of 5-minute bars
START_MS = 1_735_689_600_000 - 15 * 86_400_000  # mid-December 2024: every symbol spans two years


def synthetic() -> dict[str, np.ndarray]:
    """100 symbols x 8,640 bars, every column present; seeded, so every run writes the same bytes."""
    rng = np.random.default_rng(13)
    out = {}
    for i in range(SYMBOLS):
        bars = rng.uniform(0.5, 2.0, (BARS, len(COLUMNS)))
        bars[:, Col.TIME] = START_MS + STEP_MS * np.arange(BARS)
        bars[:, Col.PRICE] = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.002, BARS)))
        bars[:, Col.FUNDING] = rng.normal(0, 0.0003, BARS)
        bars[:, Col.FUNDING_INTERVAL_H] = 8.0
        out[f"S{i:03d}"] = bars
    return out


def main(argv: list[str]) -> int:
    op, path = argv[0], Path(argv[1])
    if op.startswith("write"):
        series = synthetic()
        start = time.perf_counter()
        if op == "write-csv":
            from feeds.history.csvfile import write_history_csv

            write_history_csv(path, series, STEP_MS)
        elif path.suffix == ".parquet":
            from feeds.history.parquet_store import write_parquet_file

            write_parquet_file(path, series, STEP_MS)
        else:
            from feeds.history.parquet_store import write_store

            write_store(path, series, STEP_MS)
        rows = sum(len(b) for b in series.values())
    elif op == "read":
        from feeds.history.source import open_history

        start = time.perf_counter()
        rows = sum(len(b) for b in open_history(path).series.values())
    elif op == "stream":
        from feeds.history.source import stream_history

        start = time.perf_counter()
        _, series_iter = stream_history(path)
        rows = sum(len(b) for _, b in series_iter)
    else:
        print(f"unknown operation {op!r}", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
    print(f"{op} {path.name}: rows={rows} seconds={time.perf_counter() - start:.3f} bytes={size}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
