"""Benchmark of ``perptop download binance-vision``: one symbol, one year, from a loopback archive.

Builds a data.binance.vision look-alike for BTCUSDT, 2025-01-01 to 2025-12-31, in a temporary folder:
12 monthly 5m klines zips (105,120 bars, a random walk: synthetic, not market data), 12 monthly
fundingRate zips, 365 daily metrics zips (288 rows each) and 12 monthly spot 5m klines zips, each with
its ``.CHECKSUM``; serves it on 127.0.0.1 from a child process (``tests.support.vision_archive``), and
times the command end to end (fetch, verify, import, write the history CSV) into a fresh folder per run.
A last run repeats into a finished folder: the resume path, which asks for nothing.

Run: ``python bench/bench_download.py [--runs 3] [--jobs 4]``; prints min / median / max seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEP_MS = 300_000
SYM = "BTCUSDT"


def _zip(root: Path, rel: str, text: str) -> int:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(target.name[:-4] + ".csv", text)
    data = buf.getvalue()
    target.write_bytes(data)
    target.with_name(target.name + ".CHECKSUM").write_text(
        f"{hashlib.sha256(data).hexdigest()}  {target.name}\n"
    )
    return len(data)


def _ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() * 1000)


def build(root: Path) -> tuple[int, int]:
    """Write the year's archive under ``root``; (files, bytes)."""
    rng = np.random.default_rng(7)
    t0, t1 = _ms(date(2025, 1, 1)), _ms(date(2026, 1, 1))
    times = np.arange(t0, t1, STEP_MS)
    price = 90_000 * np.exp(np.cumsum(rng.normal(0, 0.001, len(times))))
    vol = rng.uniform(1e6, 5e7, len(times))
    files = size = 0
    for month in range(1, 13):
        lo, hi = _ms(date(2025, month, 1)), _ms(date(2025 + month // 12, month % 12 + 1, 1))
        sel = (times >= lo) & (times < hi)
        for market, scale in (("futures/um", 1.0), ("spot", 0.3)):
            lines = [
                f"{t},{p:.2f},{p * 1.001:.2f},{p * 0.999:.2f},{p:.2f},{v / p:.3f},{t + STEP_MS - 1},"
                f"{v * scale:.2f},100,0,0,0"
                for t, p, v in zip(times[sel], price[sel], vol[sel], strict=True)
            ]
            size += _zip(
                root, f"data/{market}/monthly/klines/{SYM}/5m/{SYM}-5m-2025-{month:02d}.zip", "\n".join(lines)
            )
            files += 1
        funding = [f"{t},8,{rng.normal(1e-4, 5e-5):.8f}" for t in range(lo, hi, 8 * 3_600_000)]
        header = "calc_time,funding_interval_hours,last_funding_rate\n"
        size += _zip(
            root,
            f"data/futures/um/monthly/fundingRate/{SYM}/{SYM}-fundingRate-2025-{month:02d}.zip",
            header + "\n".join(funding),
        )
        files += 1
    day = date(2025, 1, 1)
    header = "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
    header += "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
    while day.year == 2025:
        rows = [
            f"{datetime.fromtimestamp((_ms(day) + i * STEP_MS) / 1000, tz=timezone.utc):%Y-%m-%d %H:%M:%S},"
            f"{SYM},{80000 + i:.3f},{7e9 + i:.2f},1.1,1.2,{1.5 + i / 1000:.4f},0.9"
            for i in range(288)
        ]
        size += _zip(
            root, f"data/futures/um/daily/metrics/{SYM}/{SYM}-metrics-{day}.zip", header + "\n".join(rows)
        )
        files += 1
        day += timedelta(days=1)
    return files, size


def serve(folder: Path) -> None:
    """Child process: serve ``folder`` and print the URL, until stdin closes."""
    from tests.support.vision_archive import ArchiveServer

    with ArchiveServer(folder) as server:
        print(server.url, flush=True)
        sys.stdin.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        files, size = build(archive)
        print(f"archive: {files} files, {size / 1e6:.1f} MB (one symbol, 2025, 5m)")
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(archive)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert child.stdout is not None and child.stdin is not None
        url = child.stdout.readline().strip()
        command = [
            sys.executable, "-m", "tui.cli", "download", "binance-vision", "--symbols", "BTC", "--since",
            "2025-01-01", "--until", "2025-12-31", "--interval", "5m", "--base-url", url, "--jobs", str(args.jobs),
        ]  # fmt: skip
        times: list[float] = []
        try:
            for run in range(args.runs + 1):
                # a fresh folder per timed run; the last one goes again into the first run's folder
                out = Path(tmp) / f"out-{run if run < args.runs else 0}"
                start = time.perf_counter()
                done = subprocess.run(
                    [*command, "--out", str(out), "--history", str(Path(tmp) / "h.csv")],
                    cwd=ROOT, capture_output=True, text=True,
                )  # fmt: skip
                took = time.perf_counter() - start
                last = done.stderr.strip().splitlines()[-2:]
                if done.returncode:
                    print(f"run {run}: exit {done.returncode}: {done.stderr[-500:]}")
                    return 1
                label = f"run {run + 1}" if run < args.runs else "resume (all files already here)"
                print(f"{label}: {took:.2f} s  | {' | '.join(last)}")
                if run < args.runs:
                    times.append(took)
        finally:
            child.stdin.close()
            child.wait(10)
    print(
        f"download of one symbol-year ({files} files, {size / 1e6:.1f} MB), --jobs {args.jobs}: "
        f"min {min(times):.2f} s, median {statistics.median(times):.2f} s, max {max(times):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
