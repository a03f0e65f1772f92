"""``perptop backtest --jobs``: series scored on worker processes give the report one process gives."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import tui.cli.backtest_parallel as parallel
from feeds.history.parquet_store import write_store
from signals.params import SignalParams
from tests.support.stores import run_cli
from tests.support.walks import STEP
from tests.support.walks import walk_bars as _bars
from tui.cli.backtest_parallel import Scoring, scored_in_order
from tui.cli.backtest_report import run_backtest
from tui.config.loader import AppConfig

ROOT = Path(__file__).resolve().parents[2]


SERIES = {f"S{k}": _bars(k) for k in range(parallel.MIN_SERIES + 1)}


def _run(path: Path, jobs: int) -> dict[str, Any]:
    args = argparse.Namespace(
        file=path, horizons="1h,4h", symbols=None, json=True, plot=False, bootstrap=99, jobs=jobs
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_backtest(AppConfig(), args, out=out, err=err) == 0, err.getvalue()
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


def test_worker_processes_give_the_report_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_store(tmp_path / "store", SERIES, STEP)
    here: list[int] = []
    from signals.evaluate import evaluate

    def counted(*args: Any) -> Any:
        here.append(1)
        return evaluate(*args)

    monkeypatch.setattr(parallel, "evaluate", counted)
    alone = _run(tmp_path / "store", jobs=1)
    assert len(here) == len(SERIES)  # every series evaluated in this process
    here.clear()
    shared = _run(tmp_path / "store", jobs=2)
    assert here == []  # none here: the workers (which import their own, unpatched) did them all
    assert shared == alone
    assert list(shared["symbols"]) == list(SERIES)


class _KillsItsWorker(SignalParams):
    """Parameters whose unpickling ends the process: a worker that receives them dies, as one killed
    by the kernel for memory would."""

    def __reduce__(self) -> tuple[Any, tuple[int]]:
        return os._exit, (3,)


def test_a_worker_that_dies_loses_no_series() -> None:
    params = _KillsItsWorker()
    how = Scoring(params, STEP, {"1h": 1.0}, 0, 0)
    items = list(SERIES.items())
    got = list(scored_in_order(iter(items), how, jobs=2, count=len(items)))
    expected = list(scored_in_order(iter(items), how, jobs=1, count=len(items)))
    assert [g.key for g in got] == list(SERIES)
    assert [g.score.flags["weak_rally"].horizons["1h"].events for g in got] == [
        e.score.flags["weak_rally"].horizons["1h"].events for e in expected
    ]


def test_a_pool_that_cannot_start_a_worker_loses_no_series(monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker started just as another died found its pipes closed: EBADF from the fork server, raised
    # in submit as an OSError, not as a broken pool (a CI run failed on it once).
    class _FailsThirdSubmit(parallel.ProcessPoolExecutor):
        submitted = 0

        def submit(self, *args: Any, **kwargs: Any) -> Any:
            type(self).submitted += 1
            if type(self).submitted == 3:
                raise OSError(9, "Bad file descriptor")
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", _FailsThirdSubmit)
    how = Scoring(SignalParams(), STEP, {"1h": 1.0}, 0, 0)
    items = list(SERIES.items())
    got = list(scored_in_order(iter(items), how, jobs=2, count=len(items)))
    expected = list(scored_in_order(iter(items), how, jobs=1, count=len(items)))
    assert _FailsThirdSubmit.submitted == 3  # the workers were used, then the rest was scored here
    assert [g.key for g in got] == list(SERIES)
    assert [g.score.flags["weak_rally"].horizons["1h"].events for g in got] == [
        e.score.flags["weak_rally"].horizons["1h"].events for e in expected
    ]


def test_ctrl_c_while_the_pool_starts_is_still_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C in the first submit, while the pool's manager thread was being started (a CI run): the
    # pool's shutdown then cannot join that thread, and its RuntimeError had replaced the Ctrl-C.
    class _InterruptedStart(parallel.ProcessPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            self._executor_manager_thread = threading.Thread(target=lambda: None)  # created, not started
            raise KeyboardInterrupt

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", _InterruptedStart)
    how = Scoring(SignalParams(), STEP, {"1h": 1.0}, 0, 0)
    with pytest.raises(KeyboardInterrupt):
        list(scored_in_order(iter(SERIES.items()), how, jobs=2, count=len(SERIES)))


def test_a_series_that_cannot_be_read_is_an_error_not_the_end_of_the_series() -> None:
    def series() -> Any:
        yield from list(SERIES.items())[:3]
        raise OSError(5, "Input/output error", "store/S3.parquet")

    how = Scoring(SignalParams(), STEP, {"1h": 1.0}, 0, 0)
    with pytest.raises(OSError, match=r"S3\.parquet"):
        list(scored_in_order(series(), how, jobs=2, count=len(SERIES)))


def test_jobs_below_one_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_store(tmp_path / "store", SERIES, STEP)
    code, out, err = run_cli(["backtest", str(tmp_path / "store"), "--jobs", "0"], capsys, tmp_path)
    assert code == 2 and out == ""
    assert "--jobs" in err and "0 worker processes" in err and "Traceback" not in err


def test_a_worker_ignores_ctrl_c_before_its_own_set_up_runs() -> None:
    # a worker forked at the moment of Ctrl-C printed its traceback: the handler it got back from the
    # fork server was Python's until the pool's initializer ran. Asked in a fresh process, whose fork
    # server is started with the backtest's preload (a server already running keeps the one it had).
    code = (
        "import signal\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from tui.cli.backtest_parallel import worker_context\n"
        "with ProcessPoolExecutor(1, mp_context=worker_context()) as pool:\n"
        "    print(pool.submit(signal.getsignal, signal.SIGINT).result() is signal.SIG_IGN)\n"
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n"
    )
    got = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert got.stdout.split() == ["True", "True"], got.stderr  # the worker deaf to it, perptop not


def _backtest_on_workers(tmp_path: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """``perptop backtest --jobs 2`` on 40 long series, in a process group of its own (as a terminal's
    foreground job is), once its fork server and two workers are up; with its tree of processes."""
    write_store(tmp_path / "store", {f"S{k}": _bars(k, 20_000) for k in range(40)}, STEP)
    (tmp_path / "config.toml").write_text("")
    argv = [sys.executable, "-m", "tui.cli", "--config", str(tmp_path / "config.toml"), "backtest"]
    proc = subprocess.Popen(
        [*argv, str(tmp_path / "store"), "--json", "--jobs", "2"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while len(tree := _tree(proc.pid)) < 4 and time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(proc.stderr.read() if proc.stderr else "perptop ended before its workers started")
        time.sleep(0.05)
    if len(tree) < 4:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("the workers never started")
    return proc, tree


@pytest.mark.serial  # a backtest on worker processes, stopped with Ctrl-C as a terminal sends it
def test_ctrl_c_stops_the_workers_with_one_line(tmp_path: Path) -> None:
    proc, tree = _backtest_on_workers(tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err == "perptop backtest: interrupted\n"
    time.sleep(0.5)
    assert _alive(tree) == []


@pytest.mark.serial  # a backtest on worker processes whose parent is killed outright
def test_workers_end_when_perptop_is_killed(tmp_path: Path) -> None:
    # kill -9, or the kernel out of memory: no Ctrl-C handling runs, no sentinel reaches the workers,
    # which would otherwise wait on their queue for ever and keep the fork server alive with them
    proc, tree = _backtest_on_workers(tmp_path)
    try:
        proc.kill()
        proc.communicate()
        deadline = time.monotonic() + 10
        while _alive(tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(tree) == [], "processes outlived the killed backtest"
    finally:
        for pid in _alive(tree):
            os.kill(pid, signal.SIGKILL)


def _alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (not gone, not zombies)."""
    return [pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)]


def _tree(root: int) -> list[int]:
    """``root`` and the processes under it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(
                    Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    tree = {root}
    while more := {p for p, pp in parents.items() if pp in tree} - tree:
        tree |= more
    return sorted(tree)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False
