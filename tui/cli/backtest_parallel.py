"""Score a history's series on several cores, the results handed back in the history's order.

``perptop backtest`` scores each series on its own (``score_series``) and pools them in order. The
scoring is Python-bound numpy work on small arrays, so threads gain little (measured: 2.01 -> 1.90 s for
100 symbols x 30 days on two cores); worker processes run it side by side while this process reads the
next series from DuckDB and pools the results. The pool is added to in the history's order whatever
worker finishes first, so the sums, and the report, are the same bytes as one process gives.

The workers come from a fork server (spawn where there is none) started once per run, never forked
from this process: by the time series are read, DuckDB's threads are running here, and a fork copies
whatever locks they hold. The server imports the scoring modules once, so each worker starts warm.
Workers ignore Ctrl-C: the terminal sends it to the whole process group, and only this process may
answer it (one line, no worker's traceback); leaving the pool cancels what has not started. Workers
also end on their own when this process is gone without a word (killed, or interrupted while a worker
was being started, so the pool never knew it): a worker waits on a queue it holds both ends of, and
it keeps the fork server alive, so neither would ever end otherwise.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from signals.columns import Col
from signals.evaluate import evaluate
from signals.params import SignalParams
from signals.regimes import RegimeScores, score_splits
from signals.score_prep import prepare
from signals.scoring import DIRECTIONAL, SeriesScore, fill_gaps, missing_columns, score_table

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

MIN_SERIES = 8
"""Fewer series than this are scored in this process: starting the fork server and its imports costs
about 0.3 s of a core, more than a few series' scoring saves."""

IN_FLIGHT = 2
"""Series sent ahead per worker: enough that a worker never waits for the reader, few enough that the
series held in pipes stay a handful whatever the history holds."""


@dataclass
class Scored:
    """One series scored: what the pools add and what the run's summary counts."""

    key: str
    first: float  # time of the first and last bar read (ms)
    last: float
    rows: int  # bars read
    added: int  # empty bars put back into holes
    score: SeriesScore
    split: RegimeScores


@dataclass(frozen=True)
class Scoring:
    """What every series is scored with (sent to each worker with its series)."""

    params: SignalParams
    step: float
    horizons: dict[str, float]
    bootstrap: int
    seed: int


def score_series(key: str, bars: np.ndarray, how: Scoring) -> Scored:
    """Score one series: the whole-series score (with the bootstrap when asked) and the regime splits."""
    first, last, rows = float(bars[0, Col.TIME]), float(bars[-1, Col.TIME]), len(bars)
    # Windows count bars, so a hole in the file is put back as empty bars rather than closed up.
    grid, added = fill_gaps(bars, how.step)
    del bars
    # evaluated once for the whole-series score and the splits (as signals.regimes.score_series_split
    # does), the whole one with the bootstrap when asked for
    table = evaluate(grid, how.params, how.step)
    price, absent = grid[:, Col.PRICE], missing_columns(grid)
    # forward returns, edges and events made once for the whole score and every split's cell
    prep = prepare(table, price, how.step, how.horizons, DIRECTIONAL)
    score = score_table(
        table,
        price,
        absent,
        how.step,
        how.horizons,
        bootstrap=how.bootstrap,
        seed=how.seed,
        key=key,
        prepared=prep,
    )
    split = score_splits(table, price, grid[:, Col.TIME], absent, how.step, how.horizons, prep)
    return Scored(key, first, last, rows, added, score, split)


def usable_cores() -> int:
    """The processors this process may run on (its affinity where the system says, else all)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def scored_in_order(
    series: Iterable[tuple[str, np.ndarray]], how: Scoring, jobs: int, count: int
) -> Iterator[Scored]:
    """Each series of ``series`` scored, in order: on ``jobs`` worker processes when ``jobs`` > 1 and
    there are at least ``MIN_SERIES`` of them (``count``), else here, one at a time.

    Either way at most a few series are held at once: the next is read only when a result is taken.
    """
    if jobs <= 1 or count < MIN_SERIES:
        for key, bars in series:
            yield score_series(key, bars, how)
            del bars  # not held while the next series is read
        return
    yield from _on_workers(series, how, jobs)


def worker_context() -> BaseContext:
    """How workers are started: from a fork server (spawned where there is none) that has imported
    this module, and, first, ``backtest_forkserver`` so that they ignore Ctrl-C from their start."""
    import multiprocessing

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([f"{__package__}.backtest_forkserver", __name__])
    return context


def _on_workers(series: Iterable[tuple[str, np.ndarray]], how: Scoring, jobs: int) -> Iterator[Scored]:
    from concurrent.futures.process import BrokenProcessPool

    context = worker_context()
    # each future with its series, so that a pool that breaks (a worker killed, say by the kernel when
    # memory runs out) loses nothing: what it had not answered is scored here
    pending: deque[tuple[Future[Scored], str, np.ndarray]] = deque()
    items = iter(series)
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker)
    unsent: tuple[str, np.ndarray] | None = None
    try:
        for key, bars in items:
            unsent = (key, bars)
            try:
                future = pool.submit(score_series, key, bars, how)
            except OSError as exc:
                # A worker started as another died can find the pipes it was to be handed closed
                # already: the fork server's EBADF comes out of submit, not as a broken pool. Only
                # here: an OSError reading the series is the caller's to report, not to score past.
                raise BrokenProcessPool(f"a worker could not be started: {exc}") from exc
            pending.append((future, key, bars))
            unsent = None
            del bars
            if len(pending) >= jobs * IN_FLIGHT:
                yield pending[0][0].result()
                pending.popleft()
        while pending:
            yield pending[0][0].result()
            pending.popleft()
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        for _, key, bars in pending:
            yield score_series(key, bars, how)
        pending.clear()
        if unsent is not None:
            yield score_series(*unsent, how)
            unsent = None
        for key, bars in items:
            yield score_series(key, bars, how)
    finally:
        # on an error or Ctrl-C the series not yet started are dropped rather than scored for nothing
        # RuntimeError: Ctrl-C came inside submit, while the pool's manager thread was being started;
        # it cannot be joined yet, and the error would replace the KeyboardInterrupt (a traceback and
        # exit 1 where Ctrl-C says one line). shutdown has flagged the thread to stop before joining it,
        # and the workers end with this process (``_start_worker``).
        with contextlib.suppress(RuntimeError):
            pool.shutdown(wait=True, cancel_futures=True)


def _start_worker() -> None:
    """A worker's set-up: Ctrl-C left to the parent, and an end when the parent ends."""
    import multiprocessing
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True).start()


def _end_with(sentinel: int) -> None:
    """Ends this process when ``sentinel`` (the parent's end of a pipe, held until it exits) closes."""
    from multiprocessing.connection import wait

    wait([sentinel])
    os._exit(1)
