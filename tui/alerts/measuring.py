"""How an event service gets its flag records measured: inline (a replay) or on a worker thread (live).

A replay measures inline, so that what ``only_with_edge`` lets through depends on the bars replayed
so far and nothing else: a replay at any speed alerts exactly as the run it replays would have. A live
run measures on one worker thread (tens of milliseconds a symbol must not stall the feeds); the book
answers "not measured yet" until the first results are in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from tui.alerts.records import RecordBook
from tui.model.hit_rates import HitRates

Job = Callable[[str], Callable[[], HitRates]]
"""symbol -> a callable that measures it (prepared on the caller's thread, run where the owner likes)."""


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


class ThreadMeasure:
    """Measures due symbols on one worker thread; results reach the book when they are ready."""

    def __init__(self, book: RecordBook, job: Job) -> None:
        self.book = book
        self.job = job
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perptop-records")

    def __call__(self, symbols: Sequence[str], t: int) -> None:
        """Queue ``symbols`` (each copied now, on the caller's thread, scored on the worker)."""
        for symbol in symbols:
            self._pool.submit(_measure, self.book, symbol, self.job(symbol))

    def close(self) -> None:
        """Drop what is queued and let the worker finish what it is doing."""
        self._pool.shutdown(wait=False, cancel_futures=True)
