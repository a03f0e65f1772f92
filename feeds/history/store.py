"""The local history store: bars and liquidation events in one SQLite file that outlives the process.

``HistoryStore`` is one connection to the file (stdlib ``sqlite3``), used by one thread at a time:
writes, retention pruning, ``load`` for a restart, ``summary`` for ``perptop store``
(``tui.model.resume`` fills the app's bar store from it). The writes of a running monitor go through
``feeds.history.writer.HistoryWriter``, which owns a store on a thread of its own.

Safety: WAL journal, ``synchronous=NORMAL`` (a committed transaction survives a killed process; only
a power cut may lose the last few), every write transaction ``BEGIN IMMEDIATE`` so a second writer
process waits up to ``busy_timeout`` for the single write lock and, past it, is told the store is
busy (``StoreBusy``) instead of writing anything half-way. Unknown values are stored as NULL and read
back as NaN.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from feeds.history import store_check
from feeds.history.bar_rows import BarRow, in_key_order
from feeds.history.store_load import create_blocks, dirty_days, has_blocks, load_histories, seal_day
from feeds.messages import History
from signals.columns import COLUMNS
from signals.times import DAY_MS, wall_ms

VALUE_COLUMNS: tuple[str, ...] = COLUMNS[1:]
"""The stored columns of a bar after its key, in signals.columns order."""
DEFAULT_RETENTION_DAYS = 30.0
DEFAULT_BUSY_TIMEOUT_S = 5.0

LiquidationRow = tuple[str, str, int, str, float]
"""(venue, symbol, time ms, side of the liquidated position, usd)."""
EventRow = tuple[int, str, str, str, str, int, str]
"""(bar time ms, symbol, venue, kind, flag or rule name, wall time ms, the event's JSON)."""

_VALUES_SQL = ", ".join(VALUE_COLUMNS)
_EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    time INTEGER NOT NULL, symbol TEXT NOT NULL, venue TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    wall_time INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (time, symbol, venue, kind, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_wall_time ON events (wall_time);
"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL, venue TEXT NOT NULL, time INTEGER NOT NULL,
    {", ".join(f"{c} REAL" for c in VALUE_COLUMNS)},
    PRIMARY KEY (time, symbol, venue)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS liquidations (
    venue TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('long', 'short')), usd REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS liquidations_by_time ON liquidations (time);
CREATE UNIQUE INDEX IF NOT EXISTS liquidations_once ON liquidations (time, venue, symbol, side, usd);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{_EVENTS_SCHEMA}
"""
_PLACEHOLDERS = ", ".join("?" * (3 + len(VALUE_COLUMNS)))
# An event is kept once per (bar, row, kind, flag or rule): the app and 'perptop record' may both see it,
# and the later judgment (which rules alerted) replaces the earlier.
_EVENTS_SQL = (
    "INSERT OR REPLACE INTO events (time, symbol, venue, kind, name, wall_time, doc) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_REPLACE_SQL = f"INSERT OR REPLACE INTO bars (symbol, venue, time, {_VALUES_SQL}) VALUES ({_PLACEHOLDERS})"
# History (a backfill) fills what it knows and keeps what the store has where it knows nothing: a
# restart's backfill carries no liquidations, and must not erase the ones recorded live before.
_MERGE_SQL = (
    f"INSERT INTO bars (symbol, venue, time, {_VALUES_SQL}) VALUES ({_PLACEHOLDERS}) "
    "ON CONFLICT (time, symbol, venue) DO UPDATE SET "
    + ", ".join(f"{c} = coalesce(excluded.{c}, {c})" for c in VALUE_COLUMNS)
)
# The app and 'perptop record' may follow the same stream into one store: an event is kept once.
_LIQ_SQL = "INSERT OR IGNORE INTO liquidations (venue, symbol, time, side, usd) VALUES (?, ?, ?, ?, ?)"


READ_ERRORS: tuple[type[BaseException], ...] = (store_check.StoreError, sqlite3.Error, OSError)
"""What reading a store can raise (``StoreError`` at open; an error met mid-read): said in one line."""


class StoreBusy(store_check.StoreError):
    """Another process held the store's write lock for longer than the busy timeout."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(path, store_check.BUSY, message)


class HistoryStore:
    """One connection to the history file.

    Args:
        path: the SQLite file (created with its folder unless ``readonly``).
        retention_days: bars and liquidations older than this are pruned (None: keep what is there,
            for readers such as ``perptop store``).
        readonly: open for reading only (never creates the file).
        busy_timeout_s: how long a write waits for another process's write lock.
        clock: epoch-ms clock (pruning age).

    Raises:
        StoreError: the file cannot be used (``feeds.history.store_check``: missing for a reader, empty,
            not SQLite, damaged, an older layout, read-only for a writer, ...), in one line.
        StoreBusy: another process kept the write lock past ``busy_timeout_s`` while the schema was made.
    """

    def __init__(
        self,
        path: Path,
        retention_days: float | None = DEFAULT_RETENTION_DAYS,
        *,
        readonly: bool = False,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        clock: Any = wall_ms,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.readonly = readonly
        self.busy_timeout_s = busy_timeout_s
        self.clock = clock
        # Every way the file can be unusable is one StoreError, found before anything is written to it.
        with store_check.as_store_error(self.path, writing=not readonly):
            store_check.check_file(self.path, writing=not readonly)
            if readonly:
                self.conn = store_check.open_for_reading(self.path, busy_timeout_s)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            try:
                problem = store_check.schema_error(
                    self.path, store_check.schema_report(self.conn), writing=not readonly
                )
                if problem is not None:
                    raise problem
                if not readonly:
                    self._set_up()
            except BaseException:
                self.conn.close()
                raise

    def _set_up(self) -> None:
        """A writer's opening: WAL, the schema of a new store, the retention and its pruning."""
        self._locked(self._prepare)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        if not _has_schema(self.conn):  # a read: opening a store that another process writes never waits
            self._write(create_schema)
        elif not _has_table(self.conn, "events"):  # a store made before events were kept
            self._write(lambda c: [c.execute(s) for s in _EVENTS_SCHEMA.split(";") if s.strip()])
        if not has_blocks(self.conn):
            # The packed days (store_load) are a cache of the rows, not part of the layout that
            # 'perptop store --migrate' brings stores to: any writer adds them, to a new store too.
            self._write(create_blocks)
        if self.retention_days is not None:
            self.set_meta("retention_days", f"{self.retention_days:g}")
            self.prune()

    def _prepare(self) -> None:
        c = self.conn
        if c.execute("PRAGMA page_count").fetchone()[0] == 0:
            # Only on a new file (on an existing one it would wait for the write lock, for nothing):
            # incremental vacuum lets a pruned store give its pages back to the file system.
            c.execute("PRAGMA auto_vacuum = INCREMENTAL")
        if c.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            c.execute("PRAGMA journal_mode = WAL")

    # ---- writing -----------------------------------------------------------------------------

    def _locked(self, fn: Any) -> Any:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreBusy(
                    self.path,
                    f"busy: another perptop process held its write lock for over "
                    f"{self.busy_timeout_s:g} s ({exc})",
                ) from exc
            raise

    def _write(self, fn: Any) -> Any:
        """Run ``fn(conn)`` in one write transaction: all of it is committed, or none of it."""

        def txn() -> Any:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                out = fn(self.conn)
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            return out

        return self._locked(txn)

    def write_bars(self, rows: Sequence[BarRow], merge: bool = False) -> int:
        """Write bars in one transaction; returns how many.

        Args:
            rows: (symbol, venue, time, *VALUE_COLUMNS); a stored bar with the same key is replaced.
            merge: keep the stored value of a column where the row has none (NaN), as history does.
        """
        if rows:
            self._write(lambda c: c.executemany(_MERGE_SQL if merge else _REPLACE_SQL, rows))
        return len(rows)

    def write_liquidations(self, rows: Sequence[LiquidationRow]) -> int:
        """Write liquidation events in one transaction; returns how many."""
        if rows:
            self._write(lambda c: c.executemany(_LIQ_SQL, rows))
        return len(rows)

    def write_batch(self, items: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Several writes in arrival order, in one transaction.

        Args:
            items: ``("bars", rows)`` replaced bars, ``("merge", rows)`` merged bars (as history),
                ``("history", [History])`` history merged (``bar_rows.keyed_history_rows``),
                ``("liq", rows)`` liquidation events, ``("events", rows)`` events (``EventRow``),
                ``("meta", [(key, value)])`` settings. Runs of bars are written in the table's key
                order (``bar_rows.in_key_order``), each key's writes in arrival order.
        """
        sql = {
            "bars": _REPLACE_SQL,
            "merge": _MERGE_SQL,
            "liq": _LIQ_SQL,
            "events": _EVENTS_SQL,
            "meta": "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        }

        def fn(c: sqlite3.Connection) -> None:
            for kind, rows in in_key_order(items):
                c.executemany(sql[kind], rows)

        if any(rows for _, rows in items):
            self._write(fn)

    def prune(self, now_ms: int | None = None) -> int:
        """Delete bars, liquidations and events older than the retention; returns how many rows went."""
        if self.retention_days is None or self.readonly:
            return 0
        cutoff = (self.clock() if now_ms is None else now_ms) - int(self.retention_days * DAY_MS)

        def fn(c: sqlite3.Connection) -> int:
            n = c.execute("DELETE FROM bars WHERE time < ?", (cutoff,)).rowcount
            n += c.execute("DELETE FROM events WHERE time < ?", (cutoff,)).rowcount
            return n + c.execute("DELETE FROM liquidations WHERE time < ?", (cutoff,)).rowcount

        gone = int(self._write(fn))
        if gone:
            self._locked(lambda: self.conn.execute("PRAGMA incremental_vacuum").fetchall())
        self.seal(cutoff)
        return gone

    def seal(self, since_ms: int, now_ms: int | None = None) -> int:
        """Pack the closed days from ``since_ms`` on whose rows changed since (``store_load``); returns how many.

        One transaction per day, so a second writer waits for one day at most.
        """
        if self.readonly or not has_blocks(self.conn):
            return 0
        now = self.clock() if now_ms is None else now_ms
        days = self._locked(lambda: dirty_days(self.conn, since_ms, now))
        for day in days:
            self._write(lambda c, d=day: seal_day(c, d))
        return len(days)

    def set_meta(self, key: str, value: str) -> None:
        """Record a setting of the store (retention, bar step) for its readers."""
        self._write(
            lambda c: c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        )

    # ---- reading -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """A recorded setting, or None."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def load(
        self, symbols: Sequence[str], venues: Sequence[str], since_ms: int, until_ms: int | None = None
    ) -> list[History]:
        """Stored bars of each symbol x venue from ``since_ms`` on (and before ``until_ms``), oldest first.

        Series with no stored bar are left out; the order is that of ``symbols`` then ``venues``.
        """
        # Closed days come from their packed blocks, the rest from one range scan of the rows
        # (``store_load``): ~0.2 s for a 50-symbol week, still too long for an event loop, so its
        # callers there run it in a thread (see ``tui.model.stored.read_for``).
        return load_histories(self.conn, symbols, venues, since_ms, until_ms)

    def series_keys(self) -> list[tuple[str, str]]:
        """Every stored (symbol, venue), sorted."""
        return [
            (str(s), str(v))
            for s, v in self.conn.execute("SELECT DISTINCT symbol, venue FROM bars ORDER BY symbol, venue")
        ]

    def liquidations(self, since_ms: int = 0) -> list[LiquidationRow]:
        """Stored liquidation events from ``since_ms`` on, oldest first."""
        return [
            (str(v), str(s), int(t), str(side), float(usd))
            for v, s, t, side, usd in self.conn.execute(
                "SELECT venue, symbol, time, side, usd FROM liquidations WHERE time >= ? ORDER BY time",
                (since_ms,),
            )
        ]

    def events(
        self,
        since_ms: int = 0,
        symbols: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        *,
        by_wall_time: bool = False,
        limit: int | None = None,
    ) -> list[EventRow]:
        """Stored events from ``since_ms`` on (bar time, or the time they were seen), oldest first.

        Args:
            since_ms: the earliest time kept.
            symbols: only these symbols (None: all).
            kinds: only these kinds (None: all).
            by_wall_time: ``since_ms`` is the time an event was seen, not its bar time.
            limit: at most the latest this many.
        """
        if not _has_table(self.conn, "events"):
            return []
        column = "wall_time" if by_wall_time else "time"
        where: list[str] = [f"{column} >= ?"]
        args: list[object] = [since_ms]
        for name, values in (("symbol", symbols), ("kind", kinds)):
            if values is not None:
                where.append(f"{name} IN ({', '.join('?' * len(values))})")
                args.extend(values)
        sql = (
            f"SELECT time, symbol, venue, kind, name, wall_time, doc FROM events WHERE {' AND '.join(where)}"
        )
        sql += " ORDER BY time DESC, symbol, venue, kind, name"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = [
            (int(t), str(s), str(v), str(k), str(n), int(w), str(d))
            for t, s, v, k, n, w, d in self.conn.execute(sql, args)
        ]
        return rows[::-1]

    def size(self) -> int:
        """Bytes on disk: the database plus its WAL and shared-memory files."""
        return file_size(self.path)

    def summary(self) -> dict[str, Any]:
        """What ``perptop store`` prints: path, size, rows, symbols, venues, time range, retention."""
        c = self.conn
        bars = int(c.execute("SELECT count(*) FROM bars").fetchone()[0])
        liqs = int(c.execute("SELECT count(*) FROM liquidations").fetchone()[0])
        first, last = c.execute("SELECT min(time), max(time) FROM bars").fetchone()
        keys = self.series_keys()
        retention = self.meta("retention_days")
        step = self.meta("step_ms")
        return {
            "path": str(self.path),
            "bytes": self.size(),
            "bars": bars,
            "liquidations": liqs,
            "symbols": sorted({s for s, _ in keys}),
            "venues": sorted({v for _, v in keys}),
            "first_ms": None if first is None else int(first),
            "last_ms": None if last is None else int(last),
            "retention_days": float(retention) if retention is not None else None,
            "step_ms": int(step) if step is not None else None,
        }

    def close(self) -> None:
        """Close the connection (a writer folds the WAL back into the file first, when it can)."""
        if not self.readonly:
            # Another process reading or writing makes it fail: that one's own close will checkpoint.
            with contextlib.suppress(sqlite3.OperationalError):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


def _has_schema(conn: sqlite3.Connection) -> bool:
    return _has_table(conn, "meta")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def create_schema(conn: sqlite3.Connection) -> None:
    """Create every table and index the store lacks (inside the caller's transaction)."""
    # Statement by statement: executescript() would commit the transaction that serialises two
    # processes creating the same new file.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def file_size(path: Path) -> int:
    """Bytes on disk of the store at ``path`` with its WAL files (0 if absent)."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def check_step(store: HistoryStore, step_ms: int) -> None:
    """Record the bar step in a new store, or refuse a source whose bars are another length.

    Raises:
        ValueError: the store already holds bars of another step.
    """
    known = store.meta("step_ms")
    if known is None:
        store.set_meta("step_ms", str(step_ms))
    elif int(known) != step_ms:
        raise ValueError(
            f"{store.path} holds {int(known) // 1000} s bars; this source makes {step_ms // 1000} s bars"
        )
