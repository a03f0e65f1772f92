"""``perptop store --migrate``: a store of an older layout brought up to the one perptop writes, every row kept.

Only mechanical changes are made: the tables the store lacks are created, and the value columns ``bars``
lacks are added as nullable REAL (unknown in the rows already there, as any value no venue reported);
packed days of the old width (a cache, ``store_load``) are dropped, to be packed again by a writer.
A writer (the monitor, ``record``) never migrates by itself: it refuses an older layout in one line that
names this command, so a store shared with an older perptop is not changed under it unasked.
Anything else (a key column gone, another primary key, a required column perptop does not write) is
refused with the line ``feeds.history.store_check`` says. It is one write transaction, checked before it
commits: the file is changed in full, or not at all. A read-only store is refused before it is opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from feeds.history.store import DEFAULT_BUSY_TIMEOUT_S, create_schema
from feeds.history.store_check import (
    DAMAGED,
    StoreError,
    as_store_error,
    check_file,
    listed,
    schema_error,
    schema_report,
)
from feeds.history.store_load import drop_narrow_blocks


def migrate(path: Path, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> list[str]:
    """Bring the store at ``path`` to the current layout; returns what was changed (empty: nothing to do).

    Raises:
        StoreError: missing, empty, not SQLite, damaged, read-only, busy, or a layout no migration mends.
    """
    path = Path(path)
    with as_store_error(path, writing=True):
        check_file(path, writing=False)  # there is a store, and it is SQLite...
        check_file(path, writing=True)  # ...that can be written
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            conn.execute("BEGIN IMMEDIATE")  # the layout is read under the write lock it is changed under
            try:
                done = _migrate(conn, path)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()
    return done


def _migrate(conn: sqlite3.Connection, path: Path) -> list[str]:
    report = schema_report(conn)
    if not report.tables or report.foreign or report.blocking:
        problem = schema_error(path, report, writing=False)
        assert problem is not None  # an empty, foreign or unmendable store is always a problem
        raise problem
    kept = tuple(t for t in report.tables if t != "bar_blocks")  # the packed days: a cache, rebuilt
    rows = _counts(conn, kept)
    done = []
    for column in report.missing_columns:
        conn.execute(f"ALTER TABLE bars ADD COLUMN {column} REAL")
    if report.missing_columns:
        done.append(f"added {listed('column', report.missing_columns)} to bars")
        # The packed days hold the old width: never read (store_load checks the width) but dead weight;
        # the writer's next prune packs them again at the new width.
        drop_narrow_blocks(conn)
    create_schema(conn)  # every table and index it lacks (events, in a store made before events were kept)
    created = tuple(t for t in _tables(conn) if t not in report.tables)
    if created:
        done.append(f"created {listed('table', created)}")
    after = _counts(conn, kept)
    if after != rows:  # never expected: a migration that lost a row is not committed
        raise StoreError(
            path, DAMAGED, f"the migration changed row counts {rows} to {after}; nothing was changed"
        )
    if done and "bars" in rows:
        done.append(f"kept all {rows['bars']:,} bars")
    return done


def _tables(conn: sqlite3.Connection) -> tuple[str, ...]:
    return tuple(str(n) for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


def _counts(conn: sqlite3.Connection, tables: tuple[str, ...]) -> dict[str, int]:
    return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}
