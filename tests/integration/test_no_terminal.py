"""Without a terminal, the monitor says so and exits 2 instead of spinning; headless commands don't need one.

Textual reads keys from standard input and draws on standard error. With standard input from /dev/null
its input thread read end-of-file in a loop at ~100 % of a core, forever (``perptop --demo </dev/null``,
``setsid nohup perptop ... </dev/null >out 2>&1``). Each run here would hang until its timeout on that
code; the timeout is only a guard, nothing is timed. ``perptop serve``'s apps, which run under
textual-serve's web driver with pipes, are tests/integration/test_serve.py's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from feeds.history.csvfile import write_history_csv
from tests.fake_exchange.server import WS_VENUES
from tests.support.history import sim_series
from tests.support.paths import ROOT

HANG_GUARD_S = 60
HINT = "(for headless use: 'perptop record' to keep history, 'perptop watch' for alerts)"
NO_INPUT = "standard input is not a terminal; the monitor needs one to read keys from " + HINT
NO_SCREEN = "standard error is not a terminal; the monitor needs one to draw on " + HINT


def _env(tmp_path: Path) -> dict[str, str]:
    """A home of the test's own: a run that did start would write no state or history of the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "XDG_"))}
    return {**env, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}


def _perptop(
    tmp_path: Path, argv: list[str], stdin: int | IO[bytes], stderr: int | IO[bytes] = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    config.write_text("[store]\nrecord = false\n")
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv, "--config", str(config)],
        cwd=ROOT,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=_env(tmp_path),
        timeout=HANG_GUARD_S,
    )


def _unreachable_venues() -> list[str]:
    """Every venue pointed at a closed port on this machine: nothing leaves it, whatever runs."""
    args: list[str] = []
    for venue in ("binance", "bybit", "okx", "hyperliquid"):
        args += ["--base-url", f"{venue}=http://127.0.0.1:9"]
        if venue in WS_VENUES:
            args += ["--base-url", f"{venue}=ws://127.0.0.1:9"]
    return args


@pytest.mark.parametrize(
    "argv", [["--demo"], ["--watchlist", "BTC", *_unreachable_venues()]], ids=["demo", "live"]
)
def test_the_monitor_with_stdin_from_dev_null_says_why_and_exits_2(tmp_path: Path, argv: list[str]) -> None:
    done = _perptop(tmp_path, argv, subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"perptop: {NO_INPUT}\n"


def test_replay_with_stdin_from_dev_null_says_why_and_exits_2(tmp_path: Path) -> None:
    csv = tmp_path / "btc.csv"
    write_history_csv(csv, sim_series(["BTC"]), 300_000)
    done = _perptop(tmp_path, ["replay", str(csv)], subprocess.DEVNULL)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"perptop replay: {NO_INPUT}\n"


def test_the_monitor_drawing_into_a_file_says_why_there_and_exits_2(tmp_path: Path) -> None:
    # `perptop --demo 2>log` from a terminal: keys could be read, but the screen would go into the file.
    main, side = os.openpty()
    log = tmp_path / "log"
    try:
        with log.open("wb") as err:
            done = _perptop(tmp_path, ["--demo"], side, stderr=err)
    finally:
        os.close(main)
        os.close(side)
    assert done.returncode == 2
    assert log.read_text() == f"perptop: {NO_SCREEN}\n"
