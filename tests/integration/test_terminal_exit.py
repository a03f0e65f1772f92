"""perptop exits when its terminal goes away (tmux session killed, as an SSH drop does), even under nohup;
SIGTERM leaves the terminal as `q` does (main screen, cursor shown, mouse tracking off) with status 0."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
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


def _start(session: str, shell_command: str) -> None:
    """A detached 120x30 session of the test's tmux server running ``shell_command`` in the repo."""
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "30", "-c", str(ROOT), shell_command)


@pytest.mark.parametrize("prefix", ["", "trap '' HUP; "], ids=["plain", "sighup-ignored-like-nohup"])
def test_app_exits_within_5s_of_its_terminal_closing(tmp_path: Path, prefix: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    session = f"perptop-exit-{os.getpid()}-{len(prefix)}"
    cmd = [sys.executable, "-m", "tui.cli", "--demo", "--config", str(config), "--watchlist", "BTC,ETH"]
    _start(session, prefix + "exec " + shlex.join(cmd))
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


def _pane_modes(session: str) -> dict[str, str]:
    """The terminal modes tmux keeps for the pane: what the program left on when it exited."""
    names = ["alternate_on", "cursor_flag", "mouse_any_flag", "mouse_standard_flag", "mouse_sgr_flag"]
    values = _tmux("display", "-p", "-t", session, " ".join(f"#{{{n}}}" for n in names)).split()
    return dict(zip(names, values, strict=True))


def test_sigterm_restores_the_terminal_and_exits_0_as_q_does(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    session = f"perptop-term-{os.getpid()}"
    cmd = [sys.executable, "-m", "tui.cli", "--demo", "--config", str(config), "--watchlist", "BTC,ETH"]
    # The shell stays after the app, as at a prompt: it says the app's status and keeps the pane open.
    _start(session, shlex.join(cmd) + '; echo "perptop exited $?"; exec sleep 600')
    try:
        deadline = time.monotonic() + 30
        while "SIMULATED" not in _tmux("capture-pane", "-p", "-t", session):
            assert time.monotonic() < deadline, "the app never drew its first frame"
            time.sleep(0.1)
        drawing = _pane_modes(session)
        assert (drawing["alternate_on"], drawing["cursor_flag"]) == ("1", "0")  # what must be undone
        shell = int(_tmux("display", "-p", "-t", session, "#{pane_pid}").strip())
        (app,) = (int(pid) for pid in Path(f"/proc/{shell}/task/{shell}/children").read_text().split())
        os.kill(app, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while "perptop exited" not in (pane := _tmux("capture-pane", "-p", "-t", session)):
            assert time.monotonic() < deadline, "the app did not exit on SIGTERM"
            time.sleep(0.1)
        modes = _pane_modes(session)
    finally:
        subprocess.run(
            ["tmux", "-L", SOCKET, "kill-session", "-t", session], capture_output=True, check=False
        )
    assert "perptop exited 0" in pane
    assert "SIMULATED" not in pane  # the shell's own screen again, not the app's last frame
    assert modes == {
        "alternate_on": "0",
        "cursor_flag": "1",
        "mouse_any_flag": "0",
        "mouse_standard_flag": "0",
        "mouse_sgr_flag": "0",
    }
