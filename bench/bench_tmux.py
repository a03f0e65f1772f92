"""Run perptop in a detached tmux pane and print what a user's machine pays for it.

Figures: time to the first full frame, CPU % of one core averaged over the measuring window, terminal
output in bytes/s (everything the app writes to its pty, captured with ``tmux pipe-pane``), and RSS.
It is a script, not a test: a noisy machine changes the figures, so it prints them for a person.

Usage:
    python bench/bench_tmux.py [--symbols 50] [--seconds 60] [--size 200x60] [--paint S] [--] [extra perptop args]
    python bench/bench_tmux.py --fake-exchange [...]   live mode, every venue pointed at the loopback fake
                                                       exchange of tests/fake_exchange (started here)
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# 50 real perpetual symbols; the simulator accepts any name, but real ones make the screen honest to read.
SYMBOLS = [
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "BNB",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "SUI",
    "HYPE",
    "PEPE",
    "TRX",
    "DOT",
    "BCH",
    "LTC",
    "NEAR",
    "AAVE",
    "ENA",
    "WLD",
    "APT",
    "ARB",
    "OP",
    "INJ",
    "TIA",
    "SEI",
    "FIL",
    "ATOM",
    "ETC",
    "UNI",
    "LDO",
    "JUP",
    "PYTH",
    "ONDO",
    "TAO",
    "RENDER",
    "FET",
    "WIF",
    "BONK",
    "SHIB",
    "TON",
    "XLM",
    "HBAR",
    "ICP",
    "STX",
    "IMX",
    "GALA",
    "SAND",
    "CRV",
    "MKR",
]
SESSION = "perptop-bench"
# A tmux server of its own: never the user's sessions (BENCH_TMUX_SOCKET: one per concurrent run).
SOCKET = os.environ.get("BENCH_TMUX_SOCKET", "perptop-bench")
TICK = os.sysconf("SC_CLK_TCK")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], check=True, capture_output=True, text=True).stdout


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime of all threads


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _screen() -> str:
    return _tmux("capture-pane", "-p", "-t", SESSION)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--symbols",
        type=int,
        default=50,
        help=f"watchlist size: the first {len(SYMBOLS)} are real names, more are made up (SYM051, ...; "
        "the simulator accepts any name), up to perptop's limit of 200",
    )
    ap.add_argument("--seconds", type=float, default=60.0, help="measuring window")
    ap.add_argument(
        "--warmup", type=float, default=5.0, help="seconds after the first frame before measuring"
    )
    ap.add_argument("--size", default="200x60", help="terminal columns x rows")
    ap.add_argument(
        "--paint", type=float, default=None, help="paint_interval in seconds (default: perptop's)"
    )
    ap.add_argument(
        "--alerts",
        type=int,
        default=0,
        help="add this many [[alerts]] rules (flags and thresholds, a log sink) to the config",
    )
    ap.add_argument(
        "--fake-exchange",
        action="store_true",
        help="run live against the fake exchange on 127.0.0.1 (its CPU is not counted)",
    )
    ap.add_argument("extra", nargs="*", help="more perptop arguments (default: --demo)")
    args = ap.parse_args()
    fake = None
    if args.fake_exchange:
        fake, fake_args, fake_symbols = _start_fake_exchange(args.symbols)
        args.extra = [*fake_args, *args.extra]
    try:
        return _run(args, fake_symbols if fake else None)
    finally:
        if fake is not None:
            fake.terminate()
            fake.wait(5)


def _start_fake_exchange(n: int) -> tuple[subprocess.Popen[str], list[str], list[str]]:
    """Start ``python -m tests.fake_exchange`` with ``n`` symbols; its process, perptop flags and symbols."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_exchange", "--port", str(port), "--symbols", str(n)],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # "fake exchange: HTTP ... WS ..."
    words = shlex.split(proc.stdout.readline())  # perptop --watchlist A,B,... --base-url ...
    symbols = words[2].split(",")
    return proc, words[3:], symbols


def _rules(n: int, work: Path) -> str:
    """``n`` alert rules of the README's kinds, each logging to a file in ``work``."""
    kinds = [
        'flags = ["short_squeeze_risk", "long_squeeze_risk"]',
        'flags = ["cascade_risk"]\ncooldown = "1h"',
        'flags = ["bull_momentum", "bear_momentum"]\nmin_confidence = 0.9',
        'flags = ["weak_rally", "weak_selloff"]\nonly_with_edge = true',
        'flags = ["*"]\ncooldown = "2h"',
        "funding_8h_above = 0.04",
        "funding_8h_below = -0.02",
        "oi_change_above = 3",
        "liquidations_1h_above = 2000000",
        'flags = ["funding_extreme"]\ncooldown = "0s"',
    ]
    log = work / "alerts.jsonl"
    return "".join(f"\n[[alerts]]\n{kinds[i % len(kinds)]}\nlog = {str(log)!r}\n" for i in range(n))


@dataclass
class PaneRun:
    """What one program cost in its pane: first frame (s after launch), CPU % of one core over the
    window, pty output in bytes/s, RSS and its peak in MB, and the last screen."""

    first_frame: float
    figures_in: float  # when the figures themselves were on screen (after a loading frame, if any)
    cpu_pct: float
    bytes_per_s: float
    rss_mb: float
    peak_mb: float
    window_s: float
    screen: str


def measure_pane(
    shell_cmd: str,
    ready: Callable[[str], bool],
    size: str,
    warmup: float,
    seconds: float,
    figures: Callable[[str], bool] | None = None,
) -> PaneRun | None:
    """Start ``shell_cmd`` in a detached pane of ``size`` (it must ``exec`` the program, so that the pane's
    process is the program measured), wait for the first screen that ``ready`` accepts and ``warmup``
    seconds more, then measure ``seconds``. None (and the screen on stderr) when no such screen came
    within 30 s. ``figures``: the screen with the figures in, when it can come after the first frame
    (perptop's first frame marks its rows loading); the warm-up starts from it."""
    cols, rows = size.split("x")
    work = Path(tempfile.mkdtemp(prefix="perptop-bench-pty-"))
    out = work / "pty.out"
    subprocess.run(["tmux", "-L", SOCKET, "kill-session", "-t", SESSION], capture_output=True)
    t0 = time.monotonic()
    _tmux("new-session", "-d", "-s", SESSION, "-x", cols, "-y", rows, shell_cmd)
    _tmux("pipe-pane", "-o", "-t", SESSION, "cat >> " + shlex.quote(str(out)))
    pid = int(_tmux("display", "-p", "-t", SESSION, "#{pane_pid}").strip())
    first_frame = None
    deadline = t0 + 30
    while time.monotonic() < deadline:
        if ready(_screen()):
            first_frame = time.monotonic() - t0
            break
        time.sleep(0.02)
    figures_in = first_frame
    if first_frame is not None and figures is not None:
        figures_in = None
        while time.monotonic() < deadline:
            if figures(_screen()):
                figures_in = time.monotonic() - t0
                break
            time.sleep(0.02)
    if first_frame is None or figures_in is None:
        print("no full frame within 30 s; the screen was:\n" + _screen(), file=sys.stderr)
        _tmux("kill-session", "-t", SESSION)
        return None
    time.sleep(warmup)
    cpu0, bytes0, w0 = _cpu_seconds(pid), out.stat().st_size, time.monotonic()
    time.sleep(seconds)
    cpu1, bytes1, w1 = _cpu_seconds(pid), out.stat().st_size, time.monotonic()
    rss, hwm = _status_kb(pid, "VmRSS"), _status_kb(pid, "VmHWM")
    screen = _screen()
    _tmux("send-keys", "-t", SESSION, "q")
    time.sleep(1.0)
    subprocess.run(["tmux", "-L", SOCKET, "kill-session", "-t", SESSION], capture_output=True)
    wall = w1 - w0
    return PaneRun(
        first_frame,
        figures_in,
        100 * (cpu1 - cpu0) / wall,
        (bytes1 - bytes0) / wall,
        rss / 1024,
        hwm / 1024,
        wall,
        screen,
    )


def perptop_command(
    symbols: list[str], extra: list[str], config_text: str, work: Path
) -> tuple[list[str], str]:
    """perptop's argv and the shell command that runs it with a config of its own and a data folder of
    its own (live, the app records every bar, from an empty store as on a first start)."""
    config = work / "config.toml"
    config.write_text(config_text)
    cmd = [sys.executable, "-m", "tui.cli", *extra, "--config", str(config), "--watchlist", ",".join(symbols)]
    env_prefix = f"TERM=xterm-256color COLORTERM=truecolor XDG_DATA_HOME={shlex.quote(str(work))} "
    return cmd, env_prefix + "exec " + shlex.join(cmd)


def perptop_ready(symbols: list[str], live: bool) -> Callable[[str], bool]:
    """The first full frame: the banner and the watchlist's rows, each with its price or marked loading
    (the simulated week is built after the first frame)."""
    banner = "perptop · live" if live else "SIMULATED"
    return lambda screen: (
        banner in screen
        and any(s in screen for s in symbols[-3:] + symbols[:1])
        and ("," in screen or "loading…" in screen)
    )


def perptop_figures(screen: str) -> bool:
    """The figures are in: a price with its thousands separator, no row still loading."""
    return "," in screen and "loading…" not in screen


def compile_checkout() -> None:
    """Write the bytecode of perptop's packages, as an installed copy has it: a checkout run where
    PYTHONDONTWRITEBYTECODE is set (CI machines, containers) compiles about 45 modules at every start,
    0.1 s of the first frame that no user pays."""
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            *(str(root / p) for p in ("tui", "feeds", "signals", "themes")),
        ],
        check=True,
        capture_output=True,
    )


def watchlist(n: int) -> list[str]:
    """``n`` symbols: the real names first, then made-up ones (the simulator accepts any name)."""
    made_up = [f"SYM{i:03d}" for i in range(len(SYMBOLS) + 1, n + 1)]
    return (SYMBOLS + made_up)[:n]


def _run(args: argparse.Namespace, live_symbols: list[str] | None) -> int:
    if not shutil.which("tmux"):
        print("tmux is not installed", file=sys.stderr)
        return 2
    compile_checkout()
    symbols = live_symbols or watchlist(args.symbols)
    work = Path(tempfile.mkdtemp(prefix="perptop-bench-"))
    # Defaults (and no user state file leaking in), or the paint interval asked for.
    config_text = ("" if args.paint is None else f"paint_interval = {args.paint}\n") + _rules(
        args.alerts, work
    )
    cmd, shell_cmd = perptop_command(symbols, args.extra or ["--demo"], config_text, work)
    ready = perptop_ready(symbols, bool(live_symbols))
    run = measure_pane(shell_cmd, ready, args.size, args.warmup, args.seconds, perptop_figures)
    if run is None:
        return 1
    print(f"command        : {shlex.join(cmd[1:])}")
    paint = "default paint interval" if args.paint is None else f"paint_interval {args.paint:g} s"
    print(
        f"terminal       : {args.size}, {len(symbols)} symbols, {paint}, window {run.window_s:.1f} s after "
        f"{args.warmup:.0f} s warm-up"
    )
    print(f"first frame    : {run.first_frame:.2f} s after launch (figures in at {run.figures_in:.2f} s)")
    print(f"cpu            : {run.cpu_pct:.2f} % of one core")
    print(f"terminal output: {run.bytes_per_s:.0f} bytes/s")
    print(f"rss            : {run.rss_mb:.1f} MB (peak {run.peak_mb:.1f} MB)")
    if os.environ.get("BENCH_SHOW_SCREEN"):
        print(run.screen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
