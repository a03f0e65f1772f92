"""The headless commands stop cleanly on SIGHUP as on SIGTERM and Ctrl-C: a final write, a last line, exit 0.

SIGHUP is what a recorder or a watch started from a terminal gets when that terminal closes (an SSH
drop). It killed ``perptop record`` with status 129 before its final write, and ``perptop watch --replay``
with no summary line on SIGTERM or SIGHUP. When the terminal itself has gone, the recorder's last lines
have nowhere to go: they are dropped, and the bars are still written and the status is still 0.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from feeds.history.csvfile import write_history_csv
from feeds.history.store import HistoryStore
from tests.support.history import sim_series
from tests.support.paths import ROOT

STEP = 300_000  # the simulated market's bar: 5 minutes
HANG_GUARD_S = 60  # only against a hang; nothing is timed


def _popen(tmp_path: Path, argv: list[str]) -> subprocess.Popen[str]:
    config = tmp_path / "config.toml"
    config.write_text("")
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *argv, "--config", str(config)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")},
    )


def _catches(pid: int, sig: int) -> bool:
    """True once the process handles ``sig`` itself (its event loop installed the handler)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    return False


def test_record_on_sighup_writes_the_current_bar_says_so_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    argv = ["record", "--demo", "--watchlist", "BTC,ETH", "--speed", "600", "--status-every", "1"]
    proc = _popen(tmp_path, [*argv, "--store", str(path)])
    assert proc.stdout is not None
    status = ""
    while "bars written" not in status:  # the loop runs, its signal handlers are in place
        status = proc.stdout.readline()
        assert status, proc.communicate(timeout=HANG_GUARD_S)[1] or "the recorder died"
    proc.send_signal(signal.SIGHUP)
    out, err = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, err
    (stopped,) = [line for line in out.splitlines() if line.startswith("perptop record: stopped;")]
    assert re.search(r"; [\d,]+ bars and [\d,]+ events? written \(liquidations in bars\), 0 alerts", stopped)
    reader = HistoryStore(path, None, readonly=True)
    try:
        info = reader.summary()
        # 2 symbols x the 4 series of the simulated market (3 venues and their total) x the week it brings
        assert info["symbols"] == ["BTC", "ETH"] and info["bars"] > 2 * 4 * 2016
        newest = reader.load(["BTC"], ["simA"], info["last_ms"])[0].bars
    finally:
        reader.close()
    assert len(newest) == 1 and not np.isnan(newest[0, 1])  # the last bar, values and all


@pytest.mark.parametrize(
    ("sig", "speed"),
    [(signal.SIGHUP, ["--speed", "1"]), (signal.SIGTERM, ["--speed", "1"]), (signal.SIGTERM, [])],
    ids=["sighup", "sigterm", "sigterm-default-speed"],
)
def test_watch_replay_on_a_signal_prints_its_summary_and_exits_0(
    tmp_path: Path, sig: int, speed: list[str]
) -> None:
    csv = tmp_path / "btc.csv"
    write_history_csv(csv, sim_series(["BTC"]), STEP)
    # --speed 1 (a bar every 5 minutes of wall time) or the default (a bar a second, as perptop replay),
    # so the replay is still running when the signal comes (the default once read the top-level
    # --speed's None as "max" and had played the whole file)
    proc = _popen(tmp_path, ["watch", "--replay", str(csv), *speed])
    deadline = time.monotonic() + HANG_GUARD_S
    while not _catches(proc.pid, sig) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1]
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, err
    assert err.startswith("perptop watch: ") and " events, 0 alerts delivered, 0 held back" in err
    assert err.count("\n") == 1


def test_watch_of_the_simulated_market_runs_until_stopped(tmp_path: Path) -> None:
    # No --speed: once refused as "--speed max" (the top-level option's unset value read as max), so a
    # plain ``perptop watch`` of any market exited at once with a usage error.
    proc = _popen(tmp_path, ["watch", "--demo", "--watchlist", "BTC,ETH"])
    deadline = time.monotonic() + HANG_GUARD_S
    while not _catches(proc.pid, signal.SIGTERM) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, err
    first, last = err.splitlines()[0], err.splitlines()[-1]
    assert first.startswith("perptop watch: 2 symbols from the simulated market, 0 alert rules")
    assert last.startswith("perptop watch: ") and " alerts delivered" in last


# What an interactive shell does when its terminal hangs up: pass SIGHUP on to its job, and (here) note
# the job's exit status in a file, since the shell's own terminal is gone.
_SHELL = """
import signal, subprocess, sys
with open(sys.argv[2], "w") as err:
    job = subprocess.Popen(sys.argv[3:], stderr=err)
    signal.signal(signal.SIGHUP, lambda *_: job.send_signal(signal.SIGHUP))
    code = job.wait()
with open(sys.argv[1], "w") as f:
    f.write(str(code))
"""


@pytest.mark.serial  # a tmux server of its own
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")
def test_record_whose_terminal_hangs_up_keeps_its_bars_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    status, err = tmp_path / "status", tmp_path / "stderr"
    config = tmp_path / "config.toml"
    config.write_text("")
    record = [sys.executable, "-m", "tui.cli", "record", "--demo", "--watchlist", "BTC,ETH", "--speed", "600"]
    record += ["--status-every", "1", "--store", str(path), "--config", str(config)]
    shell = [sys.executable, "-c", _SHELL, str(status), str(err), *record]
    tmux = ["tmux", "-L", f"perptop-signals-{os.getpid()}"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "rec", "-c", str(ROOT), shlex.join(shell)], check=True)
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        pane = ""
        while "bars written" not in pane:  # the status lines reach the terminal: the loop runs
            assert time.monotonic() < deadline, f"no status line: {pane!r}"
            time.sleep(0.1)
            pane = subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", "rec"], capture_output=True, text=True
            ).stdout
        # The terminal goes away (as when an SSH connection drops): the shell gets SIGHUP, and its job too.
        subprocess.run([*tmux, "kill-session", "-t", "rec"], check=True)
        while not (status.exists() and status.read_text()):
            assert time.monotonic() < deadline + HANG_GUARD_S, "the recorder did not stop"
            time.sleep(0.1)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)
    assert status.read_text() == "0"
    assert err.read_text() == ""  # no traceback from the lines the gone terminal could not take
    reader = HistoryStore(path, None, readonly=True)
    try:
        assert reader.summary()["bars"] > 2 * 4 * 2016
    finally:
        reader.close()
