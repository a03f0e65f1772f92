"""perptop exits when its terminal goes away (tmux session killed, as an SSH drop does), even under nohup."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import ROOT

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
    pytest.mark.serial,  # a tmux server, and an exit timed on the wall clock
]


# A tmux server of this test run's own: the tests never touch the user's sessions or another run's.
SOCKET = f"perptop-tests-{os.getpid()}"


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], check=True, capture_output=True, text=True).stdout


def _gone_within(pid: int, seconds: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return time.monotonic() - t0
        # A zombie (exited, not yet reaped by tmux) counts as gone.
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


@pytest.mark.parametrize("prefix", ["", "trap '' HUP; "], ids=["plain", "sighup-ignored-like-nohup"])
def test_app_exits_within_5s_of_its_terminal_closing(tmp_path: Path, prefix: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    session = f"perptop-exit-{os.getpid()}-{len(prefix)}"
    cmd = [sys.executable, "-m", "tui.cli", "--demo", "--config", str(config), "--watchlist", "BTC,ETH"]
    _tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "120",
        "-y",
        "30",
        "-c",
        str(ROOT),
        prefix + "exec " + shlex.join(cmd),
    )
    try:
        pid = int(_tmux("display", "-p", "-t", session, "#{pane_pid}").strip())
        deadline = time.monotonic() + 30
        while "SIMULATED" not in _tmux("capture-pane", "-p", "-t", session):
            assert time.monotonic() < deadline, "the app never drew its first frame"
            time.sleep(0.1)
    except BaseException:
        subprocess.run(
            ["tmux", "-L", SOCKET, "kill-session", "-t", session], capture_output=True, check=False
        )
        raise
    _tmux("kill-session", "-t", session)
    took = _gone_within(pid, 5.0)
    if took is None:
        os.kill(pid, 9)
    assert took is not None, "still running 5 s after its terminal closed"
