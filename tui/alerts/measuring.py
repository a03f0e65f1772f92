"""How an event service gets its flag records measured: inline (a replay) or on a worker thread (live).

A replay measures inline, so that what ``only_with_edge`` lets through depends on the bars replayed
so far and nothing else: a replay at any speed alerts exactly as the run it replays would have. A live
run measures on one worker thread (tens of milliseconds a symbol must not stall the feeds); the book
answers "not measured yet" until the first results are in.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from tui.alerts.records import RecordBook
from tui.model.hit_rates import HitRates

Job = Callable[[str], Callable[[], HitRates]]
"""symbol -> a callable that measures it (prepared on the caller's thread, run where the owner likes)."""

ManyJob = Callable[[Sequence[str]], Callable[[], list[HitRates]] | None]
"""symbols -> a callable that measures them together (one result each, in order), or None where they are
measured one by one (on the bars in memory: nothing is gained by reading them together)."""


def _measure(book: RecordBook, symbol: str, run: Callable[[], HitRates]) -> None:
    """Run one measurement into ``book``; a failure is noted on the symbol, never raised into a feed."""
    try:
        book.update(run())
    except Exception as exc:
        book.fail(symbol, f"not measured: {type(exc).__name__}: {exc}")


class InlineMeasure:
    """Measures due symbols at once, on the caller's thread."""

    def __init__(self, book: RecordBook, job: Job) -> None:
        self.book = book
        self.job = job

    def __call__(self, symbols: Sequence[str], t: int) -> None:
        """Measure ``symbols`` now."""
        for symbol in symbols:
            _measure(self.book, symbol, self.job(symbol))


def _measure_many(book: RecordBook, symbols: Sequence[str], run: Callable[[], list[HitRates]]) -> None:
    """``_measure`` of several symbols measured together; a failure is noted on each of them."""
    try:
        results = run()
    except Exception as exc:
        for symbol in symbols:
            book.fail(symbol, f"not measured: {type(exc).__name__}: {exc}")
        return
    for result in results:
        book.update(result)


class ThreadMeasure:
    """Measures due symbols on one worker thread; results reach the book when they are ready.

    Each symbol's job is prepared (its bars copied) on the caller's thread, the event loop's, and only
    ``AHEAD`` at a time when there is a running loop: the next ones are prepared as earlier ones finish.
    Preparing all at once held every symbol's week at the same time until the worker came to it (200
    symbols' cross-venue weeks: 58 MB of the demo's start-up peak).

    Args:
        book: where the results go.
        job: how to measure one symbol.
        many: how to measure several together (the history store: read a few symbols a pass), if at all.
    """

    AHEAD = 2

    def __init__(self, book: RecordBook, job: Job, many: ManyJob | None = None) -> None:
        self.book = book
        self.job = job
        self.many = many
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perptop-records")
        self._pending: deque[str] = deque()  # due symbols not yet prepared (touched on the loop only)
        self._in_flight = 0
        self._closed = False

    def __call__(self, symbols: Sequence[str], t: int) -> None:
        """Queue ``symbols`` (each copied on the caller's thread, scored on the worker)."""
        run = self.many(symbols) if self.many is not None and symbols else None
        if run is not None:
            self._pool.submit(_measure_many, self.book, list(symbols), run)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to come back to: every job prepared now
            for symbol in symbols:
                self._pool.submit(_measure, self.book, symbol, self.job(symbol))
            return
        self._pending.extend(s for s in symbols if s not in self._pending)
        self._prepare(loop)

    def _prepare(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop: prepare and queue due symbols while fewer than ``AHEAD`` are queued."""
        while self._pending and self._in_flight < self.AHEAD and not self._closed:
            symbol = self._pending.popleft()
            try:
                run = self.job(symbol)
            except Exception as exc:  # e.g. removed from the watchlist since it fell due
                self.book.fail(symbol, f"not measured: {type(exc).__name__}: {exc}")
                continue
            self._in_flight += 1
            future = self._pool.submit(_measure, self.book, symbol, run)
            future.add_done_callback(lambda _: self._finished(loop))

    def _finished(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the worker: one job is done; the loop prepares the next (nothing if it has stopped)."""

        def next_one() -> None:
            self._in_flight -= 1
            self._prepare(loop)

        with contextlib.suppress(RuntimeError):  # the loop closed: nothing is measured any more
            loop.call_soon_threadsafe(next_one)

    def close(self) -> None:
        """Drop what is queued and let the worker finish what it is doing."""
        self._closed = True
        self._pending.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)


PACK_WAIT_S = 120.0
"""Longest the records wait for the history writer to pack a backfill's days (a busy store, a slow disk)."""


class BackfillHold:
    """The ``measure_held`` of a live source: held while a venue backfills its week, then, when the
    monitor records, until the history writer has packed the days the backfill wrote.

    Records are measured on the stored history, a symbol at a time. Right after a backfill its week is
    rows not yet in blocks (the writer packs hourly), so each symbol was a scan of everyone's week: 50
    symbols took 3.4 s of CPU at the first bar close. Packed first, once, each reads its own blocks.

    Args:
        backfilling: whether some venue is still backfilling.
        pack: asks the history writer to pack what it holds; the event is set when that is done
            (None: nothing is recorded, nothing to wait for).
        monotonic: the clock of ``PACK_WAIT_S``.
    """

    def __init__(
        self,
        backfilling: Callable[[], bool],
        pack: Callable[[], threading.Event] | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backfilling = backfilling
        self.pack = pack
        self.monotonic = monotonic
        self._due = False  # a backfill was seen: pack once it ends (a start without one waits for nothing)
        self._packed: threading.Event | None = None
        self._asked_at = 0.0

    def __call__(self) -> bool:
        """Whether measuring must wait now."""
        if self.backfilling():
            self._due = self.pack is not None  # a symbol added later backfills too: packed after it
            return True
        if self._due and self.pack is not None:
            self._due = False
            self._packed, self._asked_at = self.pack(), self.monotonic()
        if self._packed is None or self._packed.is_set():
            return False
        return self.monotonic() - self._asked_at < PACK_WAIT_S
