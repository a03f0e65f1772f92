"""The bell and OSC notifications reach the terminal the app runs in (tmux's raw capture of the pane), wrapped
for tmux's passthrough; with bell and osc off, none of those bytes is written."""

from __future__ import annotations

import os
import re
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
    pytest.mark.serial,  # a tmux server, and output awaited on the wall clock
]
SOCKET = f"perptop-alerts-{os.getpid()}"  # and the session's name: a server per test (see _run)
# Textual ends its own OSC sequences (the pointer shape, OSC 22) with BEL: a bell is a BEL outside them.
_OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def _bells(data: bytes) -> int:
    return _OSC.sub(b"", data.replace(b"\x1b\x1b", b"\x1b")).count(b"\x07")


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", socket, *args], check=True, capture_output=True, text=True).stdout


def _run(tmp_path: Path, sinks: str, done: object, seconds: float = 45.0) -> bytes:
    """The app on a fast simulated market with one rule on every flag; its raw output once ``done(raw)``."""
    config = tmp_path / "config.toml"
    config.write_text(f'[[alerts]]\nflags = ["*"]\ncooldown = "0s"\n{sinks}\n')
    raw = tmp_path / "raw.out"
    session = f"alerts-{len(sinks)}"
    # A server of its own: the previous test's, killed on the same socket, could still be exiting when
    # this one's new-session reached it (seen once in CI as new-session's exit status 1).
    socket = f"{SOCKET}-{session}"
    cmd = [sys.executable, "-m", "tui.cli", "--demo", "--speed", "600", "--config", str(config)]
    _tmux(
        socket,
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "160",
        "-y",
        "40",
        "-c",
        str(ROOT),
        "exec " + shlex.join(cmd),
    )
    try:
        _tmux(socket, "pipe-pane", "-o", "-t", session, "cat >> " + shlex.quote(str(raw)))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data = raw.read_bytes() if raw.exists() else b""
            if done(data):  # type: ignore[operator]
                return data
            time.sleep(0.2)
        return raw.read_bytes() if raw.exists() else b""
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)


def test_bell_and_osc_reach_the_terminal_through_tmux(tmp_path: Path) -> None:
    wrapped9 = b"\x1bPtmux;\x1b\x1b]9;perptop: "
    wrapped777 = b"\x1bPtmux;\x1b\x1b]777;notify;perptop: "
    data = _run(
        tmp_path, "bell = true\nosc = true", lambda d: wrapped9 in d and wrapped777 in d and _bells(d)
    )
    assert wrapped9 in data and wrapped777 in data, "no OSC notification reached the pane"
    assert _bells(data) >= 1


def test_nothing_is_sent_to_the_terminal_with_bell_and_osc_off(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    data = _run(tmp_path, f"log = {str(log)!r}", lambda d: log.exists() and log.read_text().strip() != "")
    assert log.exists() and log.read_text().strip(), "no alert fired in the time allowed"
    assert b"]9;" not in data and b"]777;" not in data and b"\x1bPtmux;" not in data
    assert _bells(data) == 0
