"""Soak the live app against the fake exchange with faults injected on a schedule, and print its figures.

perptop runs live (no ``--demo``) in a private tmux pane, every venue pointed at the loopback fake
exchange, recording into a history store of its own. Once the backfill is over (the status bar no
longer shows ``backfill n/m``), every soak minute injects one fault class on one venue for
``--fault-seconds`` and clears it (``bench/soak_faults.py``), while the script reads the app's CPU and
RSS from /proc, the venues' states from the status bar (every ``--sample`` seconds), and looks for
tracebacks. At the end it quits with ``q`` and compares the store's bars with what the feeds produced.

It is a script, not a test: it takes ``--minutes`` plus the backfill (491 s measured at 50 symbols).

Usage:
    python bench/bench_soak.py [--minutes 30] [--symbols 50] [--size 200x50] [--offset 0]
Exit status: 0 when every criterion passes, 1 when one fails, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bench_tmux
from bench_tmux import _cpu_seconds, _screen, _status_kb, _tmux
from soak_faults import FAULTS, VENUES, FaultClass, ThreadedFake, slot, unexercised

from feeds.messages import BAR_STEP_MS
from tui.config.loader import AppConfig
from tui.model.bars import capacity_for

ROOT = Path(__file__).resolve().parents[1]
bench_tmux.SOCKET = bench_tmux.SESSION = "perptop-soak"  # a tmux server of its own, not bench_tmux's
STATE = re.compile(r"\b(" + "|".join(VENUES) + r") (ok|stale|error|blocked|starting)\b")
# The app draws on stderr, so stderr cannot go to a file: this wrapper sends what would have been written
# there while the screen is up (logging, thread and unraisable errors, captured stderr) to a file instead.
WRAPPER = """
import logging, sys, threading, traceback
err, rc_file = open(sys.argv.pop(1), "a", buffering=1), sys.argv.pop(1)
handler = logging.StreamHandler(err)
handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
logging.getLogger().addHandler(handler)
threading.excepthook = lambda a: traceback.print_exception(a.exc_type, a.exc_value, a.exc_traceback, file=err)
sys.unraisablehook = lambda u: print("unraisable:", repr(u.exc_value), repr(u.object), file=err)
from textual.app import App
_print = App._print
def _tee(self, text, stderr=False):
    if stderr:
        err.write(text)
    _print(self, text, stderr)
App._print = _tee
from tui.cli import main
rc = main(sys.argv[1:])
open(rc_file, "w").write(str(rc))  # tmux 3.3 cannot say a dead pane's exit status
sys.exit(rc)
"""


@dataclass
class Recovery:
    """A fault's end on one venue, and how long after it the venue showed ``ok`` again."""

    minute: int
    fault: FaultClass
    venue: str
    ended: float  # monotonic: cleared, plus the pause its answers asked for
    after_s: float | None = None


@dataclass
class Minute:
    """One soak minute's figures."""

    fault: str
    cpu_pct: float
    rss_mb: float
    not_ok: str
    requests: int


def venue_states(screen: str) -> dict[str, str]:
    """Each venue's state word in the status bar (a venue cut off the line is left out)."""
    return {m.group(1): m.group(2) for m in STATE.finditer(screen)}


class Soak:
    """The app in its pane, the fake exchange, and what was seen so far."""

    def __init__(self, args: argparse.Namespace, fake: ThreadedFake, work: Path) -> None:
        self.args, self.fake, self.work = args, fake, work
        self.store = work / "history.sqlite3"
        self.errlog, self.pty, self.rc_file = work / "stderr.log", work / "pty.out", work / "exit-status"
        self.trace = (work / "states.log").open("a", buffering=1)  # every status-bar read, for a diagnosis
        self.poll_s = AppConfig().poll_interval
        self.tracebacks: list[str] = []
        self.recoveries: list[Recovery] = []
        self.pid = 0

    def launch(self) -> None:
        cols, rows = self.args.size.split("x")
        config = self.work / "config.toml"
        config.write_text(f"[store]\npath = {str(self.store)!r}\n")
        perptop = ["--config", str(config), "--watchlist", ",".join(self.fake.symbols)]
        perptop += self.fake.fx.base_url_args()
        cmd = [sys.executable, "-c", WRAPPER, str(self.errlog), str(self.rc_file), *perptop]
        env = "TERM=xterm-256color COLORTERM=truecolor "
        subprocess.run(["tmux", "-L", bench_tmux.SOCKET, "kill-server"], capture_output=True)
        # remain-on-exit keeps the pane after the app ends, so a crash's last screen can still be read.
        pane = [bench_tmux.SESSION, "-x", cols, "-y", rows, "-c", str(ROOT), env + "exec " + shlex.join(cmd)]
        _tmux(
            "new-session",
            "-d",
            "-s",
            *pane,
            ";",
            "set-option",
            "-t",
            bench_tmux.SESSION,
            "remain-on-exit",
            "on",
        )
        _tmux("pipe-pane", "-o", "-t", bench_tmux.SESSION, "cat >> " + shlex.quote(str(self.pty)))
        self.pid = int(_tmux("display", "-p", "-t", bench_tmux.SESSION, "#{pane_pid}").strip())
        print(
            f"app       : perptop {shlex.join(perptop[:4])} ... ({len(self.fake.symbols)} symbols, pid {self.pid})"
        )

    def look(self) -> tuple[dict[str, str], str]:
        """Capture the pane: note a traceback on it; the venues' states and the status line."""
        screen = _screen()
        line = next((x for x in reversed(screen.splitlines()) if STATE.search(x)), "(no status line)")
        self.trace.write(time.strftime("%H:%M:%S ") + line.strip() + "\n")
        if "Traceback" in screen and screen not in self.tracebacks:
            self.tracebacks.append(screen)
        return venue_states(line), line

    def wait_backfill(self) -> float | None:
        """Seconds until every venue has shown ``ok`` with no backfill progress for three poll intervals
        running (a venue whose budget the backfill used up can go stale just after it), or None."""
        t0, settled, needed = time.monotonic(), 0, 1 + int(3 * self.poll_s / 5.0)
        while time.monotonic() - t0 < self.args.backfill_timeout:
            time.sleep(5.0)
            states, line = self.look()
            done = len(states) == len(VENUES) and set(states.values()) == {"ok"} and "backfill " not in line
            settled = settled + 1 if done else 0
            if settled >= needed:
                return time.monotonic() - t0
        return None

    def minute(self, m: int) -> Minute:
        fault, venue = slot(m + self.args.offset)
        t0, cpu0 = time.monotonic(), _cpu_seconds(self.pid)
        self.fake.inject(fault, venue)
        active, not_ok = True, dict[str, str]()
        while (now := time.monotonic()) < t0 + 60.0:
            if active and now >= t0 + self.args.fault_seconds:
                self.fake.clear()
                if fault.stops(venue):  # stopped for its location: a user presses r to retry at once
                    _tmux("send-keys", "-t", bench_tmux.SESSION, "r")
                self.recoveries.append(Recovery(m, fault, venue, now + fault.pause_s))
                active = False
            states, _ = self.look()
            for v, s in states.items():
                if s != "ok":
                    not_ok.setdefault(v, s)
            for rec in self.recoveries:
                # A stream fault is over when the stream is subscribed again, not only the REST side.
                back = rec.after_s is None and now >= rec.ended and states.get(rec.venue) == "ok"
                if back and (not rec.fault.ws or self.fake.subscribers(rec.venue) > 0):
                    rec.after_s = now - rec.ended
            time.sleep(max(0.0, min(self.args.sample, t0 + 60.0 - time.monotonic())))
        cpu = 100 * (_cpu_seconds(self.pid) - cpu0) / (time.monotonic() - t0)
        rss = _status_kb(self.pid, "VmRSS") / 1024
        seen = " ".join(f"{v}:{s}" for v, s in sorted(not_ok.items())) or "-"
        return Minute(f"{fault.label} @ {venue}", cpu, rss, seen, self.fake.requests())

    def quit(self) -> tuple[int, float]:
        """Quit with ``q`` away from a bar boundary; (exit status, quit time in epoch s).

        The status is -1 when the app ended without returning one (a crash, a signal), -2 when it had not
        ended 30 s after ``q``.
        """
        left = BAR_STEP_MS / 1000 - time.time() % (BAR_STEP_MS / 1000)
        if left < 15:  # the last bar is the one open at q, not one that opens while the app stops
            time.sleep(left + 10)
        at = time.time()
        _tmux("send-keys", "-t", bench_tmux.SESSION, "q")
        for _ in range(60):
            time.sleep(0.5)
            if _tmux("display", "-p", "-t", bench_tmux.SESSION, "#{pane_dead}").strip() == "1":
                self.look()
                return (int(self.rc_file.read_text()) if self.rc_file.exists() else -1), at
        print("the app had not ended 30 s after q")
        return -2, at


def store_vs_produced(
    soak: Soak, start_s: float, ready_s: float, quit_s: float
) -> tuple[int, int, list[str]]:
    """(bars in the store, bars the feeds produced, explanation lines); see the README of the output."""
    import sqlite3

    step = BAR_STEP_MS
    n = capacity_for(AppConfig().signals, step, 24.0) - 1  # closed bars each series is backfilled with

    def bar(epoch_s: float) -> int:
        return int(epoch_s * 1000) // step * step

    lo, hi, last = bar(start_s) - n * step, bar(ready_s) - n * step, bar(quit_s)
    conn = sqlite3.connect(f"file:{soak.store}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT symbol, venue, time FROM bars").fetchall()
    finally:
        conn.close()
    held: dict[tuple[str, str], set[int]] = {}
    for symbol, venue, t in rows:
        held.setdefault((symbol, venue), set()).add(int(t))
    produced, missing, late_start = 0, [], 0
    for venue in VENUES:
        for symbol in soak.fake.fx.market.listed(venue):
            times = held.pop((symbol, venue), set())
            # The backfill window slides while the backfill runs: a series backfilled after a bar opened
            # starts one bar later. Its first bar is taken from the store when it lies in that range.
            first = min(times) if times and lo <= min(times) <= hi else lo
            late_start += first != lo
            grid = range(first, last + step, step)
            produced += len(grid)
            missing += [f"{venue} {symbol} {time.strftime('%m-%d %H:%M', time.gmtime(t / 1000))}"
                        for t in grid if t not in times]  # fmt: skip
    series = sum(len(soak.fake.fx.market.listed(v)) for v in VENUES)
    notes = [
        (
            f"produced = for each of the {series} listed "
            f"series, every {step // 60000}-min bar from its backfill's first ({n} closed bars before the bar "
            f"it was backfilled in) to the bar open at q (written at exit); {late_start} series started one or "
            "more bars later because the backfill reached them after a bar boundary"
        ),
        f"missing from the store: {len(missing)}" + (f", e.g. {'; '.join(missing[:6])}" if missing else ""),
        f"rows outside that grid (other series, or bars before/after it): {len(rows) - produced + len(missing)}",
    ]
    return len(rows), produced, notes


def report(
    soak: Soak, minutes: list[Minute], rss0: float, figures: tuple[int, int, list[str]], rc: int
) -> bool:
    args, two_polls = soak.args, 2 * soak.poll_s
    print(f"\n{'min':>3}  {'fault @ venue':<34} {'CPU %':>6} {'RSS MB':>7} {'req':>5}  venues not ok")
    for i, m in enumerate(minutes, 1):
        print(f"{i:>3}  {m.fault:<34} {m.cpu_pct:>6.2f} {m.rss_mb:>7.1f} {m.requests:>5}  {m.not_ok}")
    print("\nrecovery (from the fault's end: cleared, plus any Retry-After it asked for)")
    for r in soak.recoveries:
        took = "never (within the run)" if r.after_s is None else f"{r.after_s:5.1f} s"
        print(f"  min {r.minute + 1:>3} {r.fault.label:<26} {r.venue:<12} {took}")
    errlog = soak.errlog.read_text(errors="replace") if soak.errlog.exists() else ""
    pty = soak.pty.read_bytes().decode(errors="replace") if soak.pty.exists() else ""
    traced = bool(soak.tracebacks) or "Traceback" in errlog or "Traceback" in pty
    window = min(max(1, round(len(minutes) * 20 / 30)), len(minutes))
    limit = 5.0 * window / 20
    rss = [rss0, *(m.rss_mb for m in minutes)]
    growth = rss[-1] - rss[-1 - window]
    slow = [r for r in soak.recoveries if r.after_s is None or r.after_s > two_polls]
    stored, produced, notes = figures
    cpu_max = max((m.cpu_pct for m in minutes), default=float("nan"))
    checks = [
        (f"no traceback (pane, pty output, stderr file), exit status {rc}", not traced and rc == 0),
        (f"CPU every minute < 5 % (max {cpu_max:.2f} %)", cpu_max < 5 and len(minutes) == args.minutes),
        (
            f"RSS growth over the last {window} min < {limit:.2f} MB (5 MB per 20 min, scaled): {growth:+.2f} MB",
            growth < limit,
        ),
        (
            f"every venue ok within 2 poll intervals ({two_polls:.0f} s) of its fault's end: {len(slow)} late",
            not slow,
        ),
        (
            f"store bars == produced: {stored} vs {produced}, difference {stored - produced:+d}",
            stored == produced,
        ),
    ]
    print(f"\nstore: {soak.store}  (each status-bar read: {soak.work / 'states.log'})")
    for line in notes:
        print("  " + line)
    if errlog.strip():
        print(f"stderr file ({soak.errlog}), last lines:\n  " + "\n  ".join(errlog.strip().splitlines()[-8:]))
    print(f"\nsummary ({len(minutes)} soak minutes, {args.symbols} symbols, {args.size}):")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for _, ok in checks)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=30, help="soak minutes after the backfill (default 30)")
    ap.add_argument("--symbols", type=int, default=50, help="symbols the fake lists and the app watches")
    ap.add_argument("--size", default="200x50", help="terminal columns x rows (default 200x50)")
    ap.add_argument(
        "--fault-seconds", type=float, default=30.0, help="how long each fault lasts (default 30)"
    )
    ap.add_argument("--sample", type=float, default=2.0, help="seconds between screen reads (default 2)")
    ap.add_argument("--offset", type=int, default=0, help="start the rotation at this slot (a short trial)")
    ap.add_argument(
        "--backfill-timeout", type=float, default=1800.0, help="give up on the backfill after this"
    )
    args = ap.parse_args()
    if not shutil.which("tmux"):
        print("bench_soak: tmux is not installed", file=sys.stderr)
        return 2
    if unexercised():
        print(f"note: fault kinds the schedule does not use: {', '.join(unexercised())}")
    work = Path(tempfile.mkdtemp(prefix="perptop-soak-"))
    fake = ThreadedFake(args.symbols)
    soak = Soak(args, fake, work)
    try:
        start = time.time()
        soak.launch()
        print(f"schedule  : {len(FAULTS)} fault classes rotating over the venues, each on for "
              f"{args.fault_seconds:g} s of its minute; poll interval {soak.poll_s:g} s")  # fmt: skip
        took = soak.wait_backfill()
        if took is None:
            print(f"backfill not over after {args.backfill_timeout:g} s; the screen was:\n{_screen()}")
            return 2
        ready = time.time()
        print(f"warm-up   : {took:.0f} s: backfill over, every venue ok for {3 * soak.poll_s:g} s running")
        rss0 = _status_kb(soak.pid, "VmRSS") / 1024
        fake.requests()  # count the soak's requests only
        minutes = []
        for m in range(args.minutes):
            try:
                minutes.append(soak.minute(m))
            except FileNotFoundError:  # /proc/PID is gone: the app ended by itself
                print(f"the app ended during soak minute {m + 1}; its screen is kept: {soak.look()[1]}")
                break
            print(f"  minute {m + 1}: {minutes[-1].fault}, CPU {minutes[-1].cpu_pct:.2f} %", flush=True)
        rc, quit_at = soak.quit()
        ok = report(soak, minutes, rss0, store_vs_produced(soak, start, ready, quit_at), rc)
        return 0 if ok else 1
    finally:
        subprocess.run(["tmux", "-L", bench_tmux.SOCKET, "kill-server"], capture_output=True)
        fake.stop()


if __name__ == "__main__":
    sys.exit(main())
