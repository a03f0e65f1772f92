"""Benchmark of ``perptop backtest`` on the research store (issue 13, "Speed"): a script, not a test.

Generates a partitioned Parquet store (``feeds.history.parquet_store.write_symbol``, one symbol at a time)
of realistic 5-minute bars and times the real command, ``perptop backtest DIR --json > /dev/null``, in a
subprocess: wall time, and the child's peak RSS from ``os.wait4`` (``ru_maxrss``). Each case runs
``--runs`` times (default 3) and prints min / median / max.

The bars are bench_backtest's: the real OKX SOL-USDT-SWAP 5m set of ``../shared/data`` (price, OI, long/short,
funding), tiled end to end, each symbol rotated by a different offset and rescaled by a seeded factor. So
that every flag and regime is scored (the realistic cost, not the cheap one), the columns that set lacks
are derived from it with a seeded generator (``numpy.random.default_rng(SEED + k)`` per symbol):
``futures_volume_usd`` is the real bar volume x close, ``spot_volume_usd`` that times a slowly drifting
ratio around 0.25 (so leverage_driven is on some of the time), and liquidations are a share of the futures
volume on falling (long) or rising (short) bars, scaled by the move. The same seed gives the same store.

Cases:
    month: 100 symbols x 30 days (864,000 rows): target <= 2 s, <= 300 MB; also the same bars as one CSV.
    year:  100 symbols x 1 year (10.5 million rows): target <= 30 s, <= 1 GB.
    big:   500 symbols x 1 year (52.6 million rows), only with --big: RSS must match the 100-symbol year.

Run:
    .venv/bin/python bench/bench_research.py --keep /tmp/research-bench [--big] [--runs 3] [--only month]
Stores are generated once into the --keep folder and reused (a year of 500 symbols takes minutes).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_backtest import SOL, STEP_MS, _column, sol_bars, tiled  # noqa: E402

from signals.columns import Col  # noqa: E402

SEED = 13
MONTH = 30 * 288
YEAR = 365 * 288
PERPTOP = ROOT / ".venv" / "bin" / "perptop"


def base_bars() -> np.ndarray:
    """bench_backtest's real SOL bars plus the futures volume of the real 5m candles (USD)."""
    bars = sol_bars()
    volume: dict[int, float] = {}
    for commit in ("commit_37936d1", "commit_6c08697"):
        volume.update(_column(SOL / commit / "ohlcv_5m.csv", "volume"))
    vol = np.array([volume.get(int(t), np.nan) for t in bars[:, Col.TIME]])
    bars[:, Col.FUT_VOL] = vol * bars[:, Col.PRICE]
    return bars


def symbol_bars(base: np.ndarray, k: int, n: int) -> np.ndarray:
    """Symbol ``k``'s ``n`` bars: the base tiled from offset ``37 k``, rescaled, with spot volume and
    liquidations derived (seeded by ``k``)."""
    rng = np.random.default_rng(SEED + k)
    bars = tiled(base, n, offset=37 * k)
    bars[:, Col.PRICE] *= float(np.exp(rng.normal(0.0, 1.0)))
    bars[:, Col.OI] *= float(np.exp(rng.normal(0.0, 1.0)))
    # a spot/futures ratio drifting slowly around 0.25 (an AR(1) in logs, one step per bar)
    shocks = rng.normal(0.0, 0.02, n)
    drift = np.empty(n)
    acc = 0.0
    for i, s in enumerate(shocks.tolist()):  # a plain loop: 100k bars, once per generated symbol
        acc = 0.999 * acc + s
        drift[i] = acc
    fut = bars[:, Col.FUT_VOL]
    bars[:, Col.SPOT_VOL] = fut * 0.25 * np.exp(drift)
    ret = np.zeros(n)
    ret[1:] = bars[1:, Col.PRICE] / bars[:-1, Col.PRICE] - 1.0
    share = np.abs(ret) * 5.0 * rng.uniform(0.5, 1.5, n)
    bars[:, Col.LIQ_LONG] = np.where(ret < 0, fut * share, 0.0)
    bars[:, Col.LIQ_SHORT] = np.where(ret > 0, fut * share, 0.0)
    return bars


def make_store(folder: Path, symbols: int, n: int) -> None:
    """Write the store once (a ``.done`` file marks a finished one, so an interrupted one is redone)."""
    done = folder / ".done"
    if done.exists():
        return
    from feeds.history.parquet_store import connect, write_symbol

    base = base_bars()
    started = time.perf_counter()
    con = connect()
    try:
        for k in range(symbols):
            write_symbol(folder, f"S{k:03d}", symbol_bars(base, k, n), STEP_MS, con)
    finally:
        con.close()
    done.write_text(f"{symbols} symbols x {n} bars, seed {SEED}\n")
    print(f"  generated {folder} in {time.perf_counter() - started:.0f} s", flush=True)


def make_csv(path: Path, symbols: int, n: int) -> None:
    """The same bars as one history CSV."""
    if path.exists():
        return
    from feeds.history.csvfile import write_history_csv

    base = base_bars()
    series = {f"S{k:03d}": symbol_bars(base, k, n) for k in range(symbols)}
    tmp = path.with_name(path.name + ".tmp")
    write_history_csv(tmp, series, STEP_MS)
    tmp.rename(path)


def run_once(path: Path, extra: list[str]) -> tuple[float, float, float]:
    """``perptop backtest PATH --json > /dev/null``: (wall seconds, peak RSS of the child in MiB, peak of
    the summed RSS of the child and every process under it in MiB).

    The third figure matters when the scoring runs on worker processes (``--jobs``): wait4 sees only the
    child itself. Summed RSS counts pages the workers share with their fork server once per process, so
    it is an upper bound. The tree is found every 0.5 s and its members' RSS read every 20 ms: walking
    all of /proc that often would take enough CPU to slow the measured run on two cores.
    """
    peak_tree = 0.0
    with open(os.devnull, "w") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen([str(PERPTOP), "backtest", str(path), "--json", *extra], stdout=sink)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            members, found = [proc.pid], 0.0
            while not stop.wait(0.02):
                if time.monotonic() - found > 0.5:
                    members, found = descendants(proc.pid), time.monotonic()
                peak_tree = max(peak_tree, sum(rss_mib(pid) for pid in members))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - started
        stop.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"perptop backtest {path} exited with {proc.returncode}")
    main = usage.ru_maxrss / 1024  # ru_maxrss is in KB on Linux
    return took, main, max(main, peak_tree)


def descendants(root: int) -> list[int]:
    """``root`` and every process under it, from the parent of each process in /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # the fields after the command (which may hold spaces): state, ppid, ...
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return sorted(tree)


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` now in MiB (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def measure(label: str, path: Path, runs: int, extra: list[str]) -> None:
    """Print min / median / max of ``runs`` runs."""
    times, rss, tree = zip(*(run_once(path, extra) for _ in range(runs)), strict=True)
    print(
        f"{label}: wall s min {min(times):.2f} median {statistics.median(times):.2f} max {max(times):.2f}; "
        f"peak RSS MB min {min(rss):.0f} median {statistics.median(rss):.0f} max {max(rss):.0f}; "
        f"with its workers (summed) min {min(tree):.0f} median {statistics.median(tree):.0f} "
        f"max {max(tree):.0f} ({runs} runs)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, default=None, help="folder the generated stores are kept in")
    parser.add_argument("--big", action="store_true", help="also 500 symbols x 1 year (minutes)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("month", "csv", "year", "big"), default=None)
    parser.add_argument("extra", nargs="*", help="more arguments for perptop backtest (after --)")
    args = parser.parse_args(argv)
    if not SOL.exists():
        sys.exit(f"no data at {SOL}: the benchmark needs ../shared/data")
    keep = args.keep or Path(tempfile.mkdtemp(prefix="bench-research-"))
    keep.mkdir(parents=True, exist_ok=True)
    cases = [
        ("month", "100 symbols x 30 days, Parquet folder (target <= 2 s, <= 300 MB)", 100, MONTH),
        ("csv", "100 symbols x 30 days, one CSV", 100, MONTH),
        ("year", "100 symbols x 1 year, Parquet folder (target <= 30 s, <= 1 GB)", 100, YEAR),
        ("big", "500 symbols x 1 year, Parquet folder (RSS flat in symbols)", 500, YEAR),
    ]
    print(f"self: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; stores in {keep}")
    for name, label, symbols, n in cases:
        if (args.only and name != args.only) or (name == "big" and not args.big and args.only != "big"):
            continue
        if name == "csv":
            path = keep / f"month-{symbols}.csv"
            make_csv(path, symbols, n)
        else:
            path = keep / f"{name}-{symbols}x{n}"
            make_store(path, symbols, n)
        measure(f"{label} [{symbols * n:,} rows]", path, args.runs, args.extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
