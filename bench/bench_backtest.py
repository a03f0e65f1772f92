"""Benchmark of the backtest: prints the time to score real 5-minute bars (a script, not a test).

Two figures from issue 4: one symbol x ~105,000 five-minute bars (a year; target < 2 s) and 100 symbols x
30 days of five-minute bars (target < 10 s). The bars are the real OKX SOL-USDT-SWAP 5m set of
``../shared/data`` (price, hourly OI in USD, long/short, 8h funding joined as of each bar), tiled end to
end until long enough, each copy rescaled to continue from the last price so no fake jump appears. The
symbols of the second run are the same bars shifted by a different offset each. Reading and writing the
history CSV of the first run are timed too.

Run: python bench/bench_backtest.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feeds.history.csvfile import read_history_csv, write_history_csv  # noqa: E402
from signals.columns import COLUMNS, Col  # noqa: E402
from signals.params import SignalParams  # noqa: E402
from signals.scoring import fill_gaps, pool, score_series  # noqa: E402

STEP_MS = 300_000
SOL = ROOT.parent / "shared" / "data" / "okx-sol-swap-jabine9966"
HORIZONS = {"4h": 4.0, "24h": 24.0}


def _column(path: Path, value: str) -> dict[int, float]:
    import csv

    with path.open() as fh:
        return {int(r["ts"]): float(r[value]) for r in csv.DictReader(fh)}


def sol_bars() -> np.ndarray:
    """The real SOL 5m bars with hourly OI (base coin), long/short and funding carried forward."""
    merged: dict[str, dict[int, float]] = {}
    for name, value in (
        ("ohlcv_5m.csv", "close"),
        ("open_interest.csv", "oi_value"),
        ("long_short_ratio.csv", "ratio"),
        ("funding_rate.csv", "fundingRate"),
    ):
        merged[name] = {}
        for commit in ("commit_37936d1", "commit_6c08697"):
            merged[name].update(_column(SOL / commit / name, value))
    times = np.array(sorted(merged["ohlcv_5m.csv"]), dtype=np.float64)
    bars = np.full((len(times), len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = times
    bars[:, Col.PRICE] = [merged["ohlcv_5m.csv"][int(t)] for t in times]
    bars[:, Col.FUNDING_INTERVAL_H] = 8.0
    for name, col in (
        ("open_interest.csv", Col.OI),
        ("long_short_ratio.csv", Col.LS_RATIO),
        ("funding_rate.csv", Col.FUNDING),
    ):
        ts = np.array(sorted(merged[name]), dtype=np.float64)
        vals = np.array([merged[name][int(t)] for t in ts])
        at = np.searchsorted(ts, times, side="right") - 1  # the latest value stamped at or before the bar
        bars[:, col] = np.where(at >= 0, vals[np.clip(at, 0, None)], np.nan)
    bars[:, Col.OI] /= bars[:, Col.PRICE]  # the file's OI is in USD
    return bars


def tiled(base: np.ndarray, n: int, offset: int = 0) -> np.ndarray:
    """``n`` bars made of copies of ``base`` (rotated by ``offset``), each continuing the last one's levels."""
    base = np.roll(base, -offset, axis=0)
    copies = []
    scale_p = scale_oi = 1.0
    while sum(len(c) for c in copies) < n:
        c = base.copy()
        c[:, Col.PRICE] *= scale_p
        c[:, Col.OI] *= scale_oi
        scale_p = c[-1, Col.PRICE] / base[0, Col.PRICE]
        scale_oi = c[-1, Col.OI] / base[0, Col.OI] if not np.isnan(base[0, Col.OI]) else scale_oi
        copies.append(c)
    out = np.concatenate(copies)[:n]
    out[:, Col.TIME] = 1.7e12 + STEP_MS * np.arange(n)
    return out


def main() -> None:
    if not SOL.exists():
        sys.exit(f"no data at {SOL}: the benchmark needs ../shared/data")
    params = SignalParams()
    base = sol_bars()
    print(f"real SOL 5m bars: {len(base):,}; tiled to the sizes below")

    year = tiled(base, 105_120)
    score_series(year[:5000], params, STEP_MS, HORIZONS)  # pay the imports before timing
    import pandas  # noqa: F401 - a year of bars takes pandas' rolling skiplist: its import is not scoring

    t = time.perf_counter()
    s = score_series(year, params, STEP_MS, HORIZONS)
    took = time.perf_counter() - t
    events = sum(f.events for f in s.flags.values())
    print(f"1 symbol x {len(year):,} bars: scored in {took:.2f} s (target < 2 s), {events:,} events")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "year.csv"
        t = time.perf_counter()
        write_history_csv(path, {"SOL": year}, STEP_MS)
        wrote = time.perf_counter() - t
        t = time.perf_counter()
        h = read_history_csv(path)
        read = time.perf_counter() - t
        print(
            f"  history CSV of it: written in {wrote:.2f} s, read in {read:.2f} s ({len(h.series['SOL']):,} rows)"
        )

    month = 30 * 288
    symbols = [tiled(base, month, offset=37 * k) for k in range(100)]
    t = time.perf_counter()
    scores = [score_series(fill_gaps(b, STEP_MS)[0], params, STEP_MS, HORIZONS) for b in symbols]
    pooled = pool(scores)
    took = time.perf_counter() - t
    events = sum(f.events for f in pooled.flags.values())
    print(
        f"100 symbols x {month:,} bars: scored and pooled in {took:.2f} s (target < 10 s), {events:,} events"
    )


if __name__ == "__main__":
    main()
