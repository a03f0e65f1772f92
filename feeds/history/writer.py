"""The history writer: a thread that takes batches of bars and liquidations off a queue and commits them.

The event loop only builds row tuples and puts them on the queue (never blocking); the thread owns its
own ``HistoryStore`` connection, writes everything that queued up meanwhile in one transaction, and
prunes retention hourly. A second process holding the write lock only delays the thread.

History (a backfill's weeks, a series at a time) is queued as its arrays, made into rows on the thread,
and waits a moment for more before it is written: SQLite's cost per row falls by two thirds from one
series per transaction to 25 (``bench/bench_store.py``), and a backfill can be fetched again, so holding
it for two seconds risks nothing a live bar would.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from feeds.history.bar_rows import BarRow, priced_bars
from feeds.history.store import (
    DEFAULT_BUSY_TIMEOUT_S,
    DEFAULT_RETENTION_DAYS,
    EventRow,
    HistoryStore,
    LiquidationRow,
    StoreBusy,
    check_step,
)
from feeds.history.store_check import StoreError
from feeds.messages import History
from signals.times import wall_ms

GATHER_ROWS = 50_000
"""History rows (25 series of a week of 5-minute bars) past which a gathered batch is written at once."""

_WRITES = ("bars", "merge", "history", "liq", "events", "meta")


def _size(kind: str, rows: Any) -> int:
    """Rows a queued write holds (a history's: its bars with a price)."""
    return priced_bars(rows) if kind == "history" else len(rows)


def _rows(items: list[tuple[str, Any]]) -> int:
    return sum(_size(k, rows) for k, rows in items)


START_ERRORS: tuple[type[BaseException], ...] = (StoreError, ValueError, sqlite3.Error, OSError)
"""What ``HistoryWriter.start`` raises for a store that cannot be used (``StoreError``: busy, damaged,
not a database, an older layout, read-only; ``ValueError``: another bar step): callers report it in one
line (and a recorder exits) rather than run on, dropping every row it cannot write."""


class HistoryWriter:
    """Writes to the history file from a thread of its own, in batches taken from a bounded queue.

    The ``put_*`` methods never block: when the queue is full (the disk stalled, or another process
    held the lock for long) the rows are dropped and counted in ``dropped``, because an event loop
    that waits on a disk freezes the screen. Everything queued at once is one transaction. Retention
    is pruned when the store opens and then every ``prune_every_s``.

    Args:
        path: the history file.
        retention_days: how long bars and liquidations are kept.
        step_ms: bar length of the source (recorded in a new store; a store of another step is refused).
        max_pending: queued batches before ``put_*`` drops.
        prune_every_s: seconds between prunes.
        busy_timeout_s: how long one write waits for another process's lock before retrying later.
        clock: epoch-ms clock (pruning age).
        gather_s: how long a batch of history alone waits for more (anything else ends the wait).
    """

    def __init__(
        self,
        path: Path,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        *,
        step_ms: int | None = None,
        max_pending: int = 1024,
        prune_every_s: float = 3600.0,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        clock: Any = wall_ms,
        gather_s: float = 2.0,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.step_ms = step_ms
        self.prune_every_s = prune_every_s
        self.busy_timeout_s = busy_timeout_s
        self.clock = clock
        self.gather_s = gather_s
        self.bars_written = 0
        self.liquidations_written = 0
        self.events_written = 0
        self.pruned = 0
        self.dropped = 0
        self.busy = False
        self.error = ""
        self.last_batch_s = 0.0
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(max_pending)
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="perptop-history", daemon=True)

    def start(self) -> None:
        """Open the store on the writer thread (pruning it) and start taking batches.

        Raises:
            StoreError: the store cannot be written (``StoreBusy``: another process kept it locked while
                it was being opened; an older layout, read-only, damaged, not SQLite: see store_check).
            ValueError: the store holds bars of another step.
        """
        self._thread.start()
        self._ready.wait()
        if self._failed is not None:
            self._thread.join()
            raise self._failed

    def put_bars(self, rows: list[BarRow], merge: bool = False) -> bool:
        """Queue bars (``merge``: history, which keeps stored values where it has none); False if dropped."""
        return self._put("merge" if merge else "bars", rows)

    def put_history(self, histories: Sequence[History]) -> bool:
        """Queue history to merge (it keeps stored values where it has none); False if dropped.

        The arrays are read on the writer thread: the caller must not write to them afterwards.
        """
        return self._put("history", list(histories))

    def put_liquidations(self, rows: list[LiquidationRow]) -> bool:
        """Queue liquidation events; False if dropped."""
        return self._put("liq", rows)

    def put_events(self, rows: list[EventRow]) -> bool:
        """Queue flag and threshold events; False if dropped."""
        return self._put("events", rows)

    def put_meta(self, key: str, value: str) -> bool:
        """Queue a setting of the store (``perptop``'s own notes, such as when the monitor last ran)."""
        return self._put("meta", [(key, value)])

    def _put(self, kind: str, rows: list[Any]) -> bool:
        if not rows:
            return True
        try:
            self._queue.put_nowait((kind, rows))
        except queue.Full:
            self.dropped += _size(kind, rows)
            return False
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed; False on timeout."""
        done = threading.Event()
        try:
            self._queue.put(("flush", done), timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def pack_soon(self) -> threading.Event:
        """Pack the closed days written so far into blocks after what is queued (as the hourly prune
        does); the event is set once that is done, failed, or could not be queued. After a backfill:
        each symbol read back then takes its blocks, not a scan of a week of everyone's rows."""
        done = threading.Event()
        if not self._thread.is_alive():
            done.set()
            return done
        try:
            self._queue.put_nowait(("pack", done))
        except queue.Full:
            done.set()
        return done

    def close(self, timeout: float = 30.0) -> bool:
        """Commit what is queued, stop the thread, close the file; False if that did not finish in time."""
        if not self._thread.is_alive():
            return True
        try:
            self._queue.put(("stop", None), timeout=timeout)
        except queue.Full:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ---- the thread ----------------------------------------------------------------------------

    def _open(self) -> HistoryStore:
        store = HistoryStore(
            self.path, self.retention_days, busy_timeout_s=self.busy_timeout_s, clock=self.clock
        )
        try:
            if self.step_ms is not None:
                check_step(store, self.step_ms)
        except BaseException:
            store.close()  # another bar step: refused, and the file closed
            raise
        return store

    def _run(self) -> None:
        try:
            store = self._open()
        except BaseException as exc:
            self._failed = exc
            self._ready.set()
            return
        self._ready.set()
        next_prune = time.monotonic() + self.prune_every_s
        try:
            while True:
                wait = max(0.0, next_prune - time.monotonic())
                try:
                    first = self._queue.get(timeout=wait)
                except queue.Empty:
                    first = None
                items = [] if first is None else self._gather([first, *self._drain()])
                writes = [(k, rows) for k, rows in items if k in _WRITES]
                stopping = any(k == "stop" for k, _ in items)
                self._commit(store, writes, attempts=3 if stopping else None)
                for k, done in items:
                    if k == "flush":
                        done.set()
                packs = [done for k, done in items if k == "pack"]
                if packs and not stopping:  # a quit does not wait for a pack: the next open packs
                    self._pack(store)
                for done in packs:
                    done.set()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + self.prune_every_s
                    self._prune(store)
                if stopping:
                    return
        finally:
            store.close()

    def _gather(self, items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """``items`` and what comes within ``gather_s`` while they are history only and under GATHER_ROWS."""
        deadline = time.monotonic() + self.gather_s
        while all(k in ("merge", "history") for k, _ in items) and _rows(items) < GATHER_ROWS:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                items.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
            items.extend(self._drain())
        return items

    def _drain(self) -> list[tuple[str, Any]]:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _commit(self, store: HistoryStore, writes: list[tuple[str, Any]], attempts: int | None) -> None:
        """Write one batch; while another process holds the lock, wait and retry (at most ``attempts``)."""
        tries = 0
        while writes:
            tries += 1
            t0 = time.perf_counter()
            try:
                store.write_batch(writes)
            except StoreBusy as exc:
                self.busy, self.error = True, str(exc)
                if attempts is not None and tries >= attempts:
                    self.dropped += _rows(writes)
                    return
                continue  # the busy timeout was the wait
            except (
                sqlite3.Error
            ) as exc:  # disk full, file removed: said in the status line, the batch is lost
                self.error = f"history store: {type(exc).__name__}: {exc}"
                self.dropped += _rows(writes)
                return
            self.last_batch_s = time.perf_counter() - t0
            self.busy, self.error = False, ""
            for kind, rows in writes:
                if kind == "liq":
                    self.liquidations_written += len(rows)
                elif kind == "events":
                    self.events_written += len(rows)
                elif kind != "meta":
                    self.bars_written += _size(kind, rows)
            return

    def _pack(self, store: HistoryStore) -> None:
        try:
            store.seal(0)
        except (StoreBusy, sqlite3.Error) as exc:
            self.error = f"history store pack: {exc}"

    def _prune(self, store: HistoryStore) -> None:
        try:
            self.pruned += store.prune()
        except (StoreBusy, sqlite3.Error) as exc:
            self.error = f"history store prune: {exc}"
