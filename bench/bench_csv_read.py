"""Benchmark of reading a history CSV: the DuckDB fast path against the pure-Python reader.

The file is bench_parquet_store.py's: 100 symbols x 30 days of 5-minute bars (864,000 rows, every column
filled, ~160 MB), written once with ``write``. Each read runs in its own process, so ``farm-bench`` (or
``/usr/bin/time -v``) reports that read's own peak RSS; the read's own time is printed as ``seconds=...``.

Run (one at a time):
    python bench/bench_csv_read.py write  /tmp/b/h.csv
    python bench/bench_csv_read.py fast   /tmp/b/h.csv     (read_history_csv as the backtest calls it)
    python bench/bench_csv_read.py python /tmp/b/h.csv     (the same with the fast path off: the old read)
    farm-bench -n 3 -- .venv/bin/python bench/bench_csv_read.py fast /tmp/b/h.csv
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feeds.history.csvfile as csvfile  # noqa: E402
import feeds.history.source as source  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("write", "fast", "python"):
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        return 2
    op, path = argv[0], Path(argv[1])
    if op == "write":
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_parquet_store import STEP_MS, synthetic

        path.parent.mkdir(parents=True, exist_ok=True)
        csvfile.write_history_csv(path, synthetic(), STEP_MS)
        print(f"wrote {path}: {path.stat().st_size:,} bytes")
        return 0
    if op == "python":
        source.FAST_FROM_BYTES = 1 << 62
    start = time.perf_counter()
    history = source.read_csv(path)
    took = time.perf_counter() - start
    rows = sum(len(b) for b in history.series.values())
    print(f"{op} {path.name}: rows={rows} symbols={len(history.series)} seconds={took:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
