"""perptop's memory through its start: RSS and its peak every half second, for the demo in a tmux pane.

Where the start-up peak comes from (the simulated week, the first evaluation, the records measured at
start, the first trim) shows in the timeline, which ``bench_tmux.py``'s single end-of-run figure hides.
A script for a person, not a test. Runs the checkout it is in, in a tmux server of its own
(``BENCH_TMUX_SOCKET``, as ``bench_tmux.py``).

Usage:
    python bench/bench_start_rss.py [--symbols 50] [--seconds 12] [--size 200x50]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tmux import SESSION, SOCKET, _status_kb, _tmux, compile_checkout, perptop_command, watchlist

SAMPLE_S = 0.1
PRINT_EVERY = 5  # samples: a line every half second


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=50, help="watchlist size (bench_tmux's names)")
    parser.add_argument("--seconds", type=float, default=12.0, help="how long to follow it")
    parser.add_argument("--size", default="200x50", help="terminal columns x rows")
    args = parser.parse_args()
    compile_checkout()
    work = Path(tempfile.mkdtemp(prefix="perptop-bench-rss-"))
    _, shell = perptop_command(watchlist(args.symbols), ["--demo"], "", work)
    cols, rows = args.size.split("x")
    subprocess.run(["tmux", "-L", SOCKET, "kill-session", "-t", SESSION], capture_output=True)
    t0 = time.monotonic()
    _tmux("new-session", "-d", "-s", SESSION, "-x", cols, "-y", rows, shell)
    pid = int(_tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip())
    print(f"perptop --demo, {args.symbols} symbols, {args.size}, a sample every {SAMPLE_S:g} s")
    print("   s    RSS MB   peak MB")
    samples: list[tuple[float, float, float]] = []
    try:
        while (now := time.monotonic() - t0) < args.seconds:
            rss, hwm = _status_kb(pid, "VmRSS") / 1024, _status_kb(pid, "VmHWM") / 1024
            samples.append((now, rss, hwm))
            if len(samples) % PRINT_EVERY == 0:
                print(f"{now:5.1f}  {rss:8.1f}  {hwm:8.1f}")
            time.sleep(SAMPLE_S)
    finally:
        _tmux("send-keys", "-t", SESSION, "q")
        time.sleep(1.0)
        subprocess.run(["tmux", "-L", SOCKET, "kill-session", "-t", SESSION], capture_output=True)
    peak = max(samples, key=lambda s: s[1])
    print(f"peak {samples[-1][2]:.1f} MB (highest sample {peak[1]:.1f} MB at {peak[0]:.1f} s); "
          f"at the end {samples[-1][1]:.1f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
