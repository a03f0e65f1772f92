"""A reader that leaves early (``perptop backtest FILE | head``) ends a command quietly: status 0, no traceback.

``backtest`` wrote its table into the closed pipe and died on the BrokenPipeError with a stack on
stderr. Every command now ends there as the ones that handled it themselves did (``snapshot``,
``events``, ``venues``): the reader had enough, which is not an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from feeds.history.csvfile import write_history_csv
from tests.support.history import sim_series
from tests.support.paths import ROOT

STEP = 300_000  # the simulated market's bar: 5 minutes
HANG_GUARD_S = 60  # only against a hang; nothing is timed


def test_backtest_into_a_pipe_closed_after_its_first_line_ends_with_status_0_and_no_traceback(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "three.csv"
    write_history_csv(csv, sim_series(["BTC", "ETH", "SOL"]), STEP)
    config = tmp_path / "config.toml"
    config.write_text("")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "backtest", str(csv), "--config", str(config)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # what `head -1` takes, then it exits
    proc.stdout.close()
    err = proc.stderr.read()
    code = proc.wait(timeout=HANG_GUARD_S)
    assert first.startswith(str(csv)) and "bars of 5m" in first
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert code == 0, err
