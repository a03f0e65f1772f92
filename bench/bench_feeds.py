"""What the live feeds cost with no screen: ``perptop watch`` against the fake exchange, in CPU % of a core.

``perptop watch`` runs what the live monitor runs for its data (every venue's request plan, the
liquidation streams, the bars, the flags and the alert events) and draws nothing. Its CPU after the
backfill is the least the live monitor can cost on the same request plan (``perptop venues`` prints
it): whatever the screen costs comes on top. Issue 15 asks the live monitor for at most 0.8 % of a
core; this says how much of that the data side leaves.

It starts the fake exchange of ``tests/fake_exchange`` on 127.0.0.1 (its own CPU is not counted),
then ``perptop watch`` pointed at it with a config and data folder of its own, prints the watch's CPU
for every ``--step`` seconds (the backfill's bursts show, then the steady rounds), and after
``--warmup`` seconds the CPU over the ``--seconds`` that follow, with the RSS. It is a script, not a
test: it prints figures for a person. Last, the request plan's requests a minute (``perptop venues``)
and the CPU of one bare request to the same fake exchange (httpx, keep-alive, the JSON decoded): what
the plan's requests cost before perptop reads a field of them.

Usage:
    python bench/bench_feeds.py [--symbols 50] [--warmup 900] [--seconds 300] [--step 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_tmux import _cpu_seconds, _start_fake_exchange, _status_kb

BARE_REQUESTS = 600  # requests timed for one bare request's CPU


def plan_per_minute(n_symbols: int, poll_s: float = 10.0) -> float:
    """Requests a minute of every venue's fitted request plan for ``n_symbols`` (as ``perptop venues``)."""
    from feeds.net.plan import fit_plan
    from feeds.venues import VENUE_NAMES, make_adapter

    total = 0.0
    for name in VENUE_NAMES:
        adapter = make_adapter(name)
        for item in fit_plan(adapter.plan(poll_s), adapter.budgets, n_symbols):
            total += item.calls(n_symbols) * 60.0 / item.interval_s
    return total


def bare_request_ms(base_url: str, symbol: str) -> float:
    """CPU ms of one GET of Binance's open interest of ``symbol`` (a per-symbol call of the plan) from
    the fake exchange through an ``httpx.AsyncClient`` with keep-alive, its JSON decoded, nothing else."""
    import httpx

    async def run() -> float:
        async with httpx.AsyncClient() as client:
            url = f"{base_url}/fapi/v1/openInterest"
            await client.get(url, params={"symbol": f"{symbol}USDT"})  # the connection, outside the timing
            t0 = time.process_time()
            for _ in range(BARE_REQUESTS):
                (await client.get(url, params={"symbol": f"{symbol}USDT"})).json()
            return 1000 * (time.process_time() - t0) / BARE_REQUESTS

    return asyncio.run(run())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--symbols", type=int, default=50, help="symbols the fake exchange lists and perptop watches"
    )
    ap.add_argument("--warmup", type=float, default=900.0, help="seconds before the window (the backfill)")
    ap.add_argument("--seconds", type=float, default=300.0, help="measuring window")
    ap.add_argument("--step", type=float, default=60.0, help="seconds between the timeline's lines")
    args = ap.parse_args()
    fake, fake_args, symbols = _start_fake_exchange(args.symbols)
    work = Path(tempfile.mkdtemp(prefix="perptop-feeds-"))
    config = work / "config.toml"
    config.write_text("")
    cmd = [sys.executable, "-m", "tui.cli", *fake_args, "--config", str(config)]
    cmd += ["--watchlist", ",".join(symbols), "watch"]
    env = {**os.environ, "XDG_DATA_HOME": str(work), "XDG_STATE_HOME": str(work)}
    watch = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.monotonic()
        last_cpu, last_t = 0.0, t0
        window: tuple[float, float] | None = None
        end = t0 + args.warmup + args.seconds
        while time.monotonic() < end:
            time.sleep(min(args.step, max(end - time.monotonic(), 0.0)))
            if watch.poll() is not None:
                assert watch.stderr is not None
                print(f"perptop watch stopped: {watch.stderr.read().strip()}", file=sys.stderr)
                return 1
            now, cpu = time.monotonic(), _cpu_seconds(watch.pid)
            print(
                f"{now - t0:6.0f} s: {100 * (cpu - last_cpu) / (now - last_t):5.2f} % of a core", flush=True
            )
            last_cpu, last_t = cpu, now
            if window is None and now - t0 >= args.warmup:
                window = (cpu, now)
        assert window is not None
        cpu, now = _cpu_seconds(watch.pid), time.monotonic()
        rss, hwm = _status_kb(watch.pid, "VmRSS"), _status_kb(watch.pid, "VmHWM")
        watch.terminate()  # before the bare requests: they time the fake exchange's answers alone
        watch.wait(10)
        binance = next(a.split("=", 1)[1] for a in fake_args if a.startswith("binance=http"))
        bare_ms = bare_request_ms(binance, symbols[0])
    finally:
        watch.terminate()
        watch.wait(10)
        fake.terminate()
        fake.wait(5)
    print(
        f"perptop watch, {len(symbols)} symbols on every venue of the fake exchange: "
        f"{100 * (cpu - window[0]) / (now - window[1]):.2f} % of a core over {now - window[1]:.0f} s after "
        f"{window[1] - t0:.0f} s; rss {rss / 1024:.1f} MB (peak {hwm / 1024:.1f})"
    )
    per_min = plan_per_minute(len(symbols))
    print(
        f"the request plan: {per_min:.0f} requests a minute; a bare httpx request of it (keep-alive, JSON "
        f"decoded) {bare_ms:.2f} ms of CPU: {per_min * bare_ms / 600:.2f} % of a core for the requests alone"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
