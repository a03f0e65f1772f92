"""What is wrong with a history store file, said in one line: ``StoreError`` and the checks every command shares.

A store file can be missing, empty (0 bytes), not an SQLite file at all (text, random bytes), damaged
(truncated, or pages that do not read back), of an older layout (``SchemaReport`` says what differs and
whether ``perptop store --migrate`` can mend it), another program's SQLite database, on a read-only file
system, or locked by another process. ``HistoryStore`` raises ``StoreError`` when it opens such a file,
and ``as_store_error`` turns an SQLite or OS error met while reading into one, so ``perptop export``,
``replay --from-store``, ``store``, ``events``, ``record`` and the monitor all say the same line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from signals.columns import COLUMNS

MISSING, EMPTY, NOT_SQLITE, DAMAGED = "missing", "empty", "not-sqlite", "damaged"
SCHEMA, FOREIGN, READ_ONLY, BUSY, UNREADABLE = "schema", "foreign", "read-only", "busy", "unreadable"

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
KEY_COLUMNS = ("time", "symbol", "venue")
BAR_COLUMNS: tuple[str, ...] = ("symbol", "venue", "time", *COLUMNS[1:])
# The columns perptop writes and reads in each table; ``events`` is optional (stores made before events
# were kept lack it: readers find none, a writer adds it).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "bars": BAR_COLUMNS,
    "liquidations": ("venue", "symbol", "time", "side", "usd"),
    "meta": ("key", "value"),
    "events": ("time", "symbol", "venue", "kind", "name", "wall_time", "doc"),
}
OPTIONAL_TABLES = frozenset({"events"})


class StoreError(Exception):
    """A history store perptop cannot use; ``str()`` is the one line that says why: ``history store PATH: ...``.

    Attributes:
        path: the store file.
        kind: one of the kind names of this module (``MISSING``, ``DAMAGED``, ``SCHEMA``, ...).
        problem: the line without the file's name.
    """

    def __init__(self, path: Path, kind: str, problem: str) -> None:
        super().__init__(f"history store {path}: {problem}")
        self.path = Path(path)
        self.kind = kind
        self.problem = problem

    @property
    def status(self) -> int:
        """Exit status: 1 for a store busy with another process (it may work later), 2 for a bad file."""
        return 1 if self.kind == BUSY else 2


def read_only_fs(path: Path) -> bool:
    """Whether ``path`` (or, if absent, its nearest existing folder) is on a read-only file system."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows): writing will say so itself
        return False


def read_only(path: Path, why: str) -> StoreError:
    """The error for a store that can be read but not written (``why``: the file system, a permission)."""
    return StoreError(path, READ_ONLY, f"read-only ({why}): perptop can read it, not write to it")


def missing(path: Path) -> StoreError:
    """The error for a store file that does not exist (a reader never creates one)."""
    return StoreError(
        path,
        MISSING,
        "no such file (the monitor or 'perptop record' creates it; --store names another file)",
    )


def _damaged(path: Path, detail: str) -> StoreError:
    return StoreError(
        path,
        DAMAGED,
        f"damaged ({detail}): restore a copy, or move it aside for perptop to start a new one",
    )


def _what_it_holds(head: bytes) -> str:
    text = head[:40]
    if text and all(32 <= b < 127 or b in (9, 10, 13) for b in text):
        return f"it is text, starting {text.decode('ascii').splitlines()[0][:24]!r}"
    return "its first bytes are not an SQLite header"


def check_file(path: Path, *, writing: bool) -> None:
    """Look at the file before SQLite opens it: missing, a folder, 0 bytes, not SQLite, truncated, read-only.

    A writer may open a missing or 0-byte file (it becomes a new store); a reader may not.

    Raises:
        StoreError: with the one line that says what is wrong.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        if not writing:
            raise missing(path) from None
        if read_only_fs(path):
            raise read_only(path, "on a read-only file system") from None
        return
    except OSError as exc:
        raise StoreError(path, UNREADABLE, f"cannot be read ({exc.strerror})") from exc
    if path.is_dir():
        raise StoreError(path, UNREADABLE, "a folder, not a store file")
    if writing and read_only_fs(path):
        raise read_only(path, "on a read-only file system")
    if writing and not os.access(path, os.W_OK):
        raise read_only(path, "no permission to write it")
    if st.st_size == 0:
        if writing:
            return
        raise StoreError(path, EMPTY, "empty (0 bytes): nothing was ever recorded into it")
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_BYTES)
    except OSError as exc:
        raise StoreError(path, UNREADABLE, f"cannot be read ({exc.strerror})") from exc
    if not head.startswith(SQLITE_MAGIC):
        raise StoreError(
            path,
            NOT_SQLITE,
            f"not an SQLite database, so not a history store ({_what_it_holds(head)})",
        )
    if len(head) < HEADER_BYTES:
        raise _damaged(path, f"truncated: {st.st_size} bytes, less than an SQLite header")
    expected = _header_size(head)
    wal = Path(f"{path}-wal")
    # A WAL left by a killed writer may hold pages beyond the file's end until it is checkpointed.
    if expected and st.st_size < expected and not (wal.exists() and wal.stat().st_size > 0):
        raise _damaged(path, f"truncated: {st.st_size:,} of its {expected:,} bytes")


def _header_size(head: bytes) -> int:
    """Bytes the database header says the file holds (0 when the header's count is not current)."""
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    # The page count is only valid when "version-valid-for" equals the change counter (SQLite >= 3.7).
    return page_size * pages if head[24:28] == head[92:96] else 0


@dataclass(frozen=True)
class SchemaReport:
    """How a store's tables differ from the layout perptop writes.

    Attributes:
        tables: the tables the file holds.
        missing_tables: required tables it lacks (a migration creates them).
        missing_columns: value columns ``bars`` lacks (a migration adds them, unknown in the kept rows).
        blocking: differences no migration can mend (a key column gone, another primary key, ...).
    """

    tables: tuple[str, ...]
    missing_tables: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    blocking: tuple[str, ...] = ()

    @property
    def current(self) -> bool:
        """The layout perptop writes (an absent ``events`` table aside)."""
        return not (self.missing_tables or self.missing_columns or self.blocking)

    @property
    def foreign(self) -> bool:
        """Another program's database: tables, none of them perptop's."""
        return bool(self.tables) and not set(self.tables) & set(TABLE_COLUMNS)

    def text(self) -> str:
        """What differs, in words: ``table bars lacks columns spot_volume_usd, futures_volume_usd``."""
        parts = list(self.blocking)
        if self.missing_columns:
            parts.append(f"table bars lacks {listed('column', self.missing_columns)}")
        if self.missing_tables:
            parts.append(f"it lacks {listed('table', self.missing_tables)}")
        return "; ".join(parts)


def listed(noun: str, names: tuple[str, ...]) -> str:
    return f"{noun}{'s' if len(names) > 1 else ''} {', '.join(names)}"


def schema_report(conn: sqlite3.Connection) -> SchemaReport:
    """Compare the tables of an open store with the layout perptop writes (reads only the schema)."""
    tables = tuple(str(n) for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    missing_tables = tuple(t for t in TABLE_COLUMNS if t not in tables and t not in OPTIONAL_TABLES)
    missing_columns: tuple[str, ...] = ()
    blocking: list[str] = []
    for table in (t for t in TABLE_COLUMNS if t in tables):
        # table_info rows: (cid, name, type, notnull, default, pk position)
        info = {str(r[1]): r for r in conn.execute(f"PRAGMA table_info({table})")}
        lacking = tuple(c for c in TABLE_COLUMNS[table] if c not in info)
        required = [n for n, r in info.items() if n not in TABLE_COLUMNS[table] and r[3] and r[4] is None]
        if required:
            blocking.append(
                f"table {table} requires {listed('column', tuple(required))} perptop does not write"
            )
        if table == "bars":
            keys = {n for n, r in info.items() if r[5]}
            if any(c in lacking for c in KEY_COLUMNS):
                blocking.append(
                    f"table bars lacks {listed('key column', tuple(c for c in KEY_COLUMNS if c in lacking))}"
                )
            elif keys != set(KEY_COLUMNS):
                blocking.append(
                    f"table bars is keyed by ({', '.join(sorted(keys)) or 'nothing'}), not (time, symbol, venue)"
                )
            missing_columns = tuple(c for c in lacking if c not in KEY_COLUMNS)
        elif lacking:
            blocking.append(f"table {table} lacks {listed('column', lacking)}")
    return SchemaReport(tables, missing_tables, missing_columns, tuple(blocking))


def schema_error(path: Path, report: SchemaReport, *, writing: bool) -> StoreError | None:
    """The error for a store whose tables perptop cannot use as they are, or None.

    A database with no tables is a new store to a writer and an empty one to a reader.
    """
    if not report.tables:
        if writing:
            return None
        return StoreError(path, EMPTY, "empty: an SQLite database with no tables yet")
    if report.foreign:
        return StoreError(
            path,
            FOREIGN,
            "not a history store: an SQLite database of something else "
            f"(tables: {', '.join(report.tables[:6])})",
        )
    if report.current:
        return None
    if report.blocking:
        return StoreError(
            path,
            SCHEMA,
            f"a layout perptop cannot use ({report.text()}): move it aside for perptop to start a new one",
        )
    return StoreError(
        path,
        SCHEMA,
        f"an older layout ({report.text()}): "
        f"'perptop store --migrate --store {shlex.quote(str(path))}' updates it, keeping every row",
    )


def open_for_reading(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """A read-only connection to ``path`` whose schema has been read (so a bad file has already failed).

    A store in WAL mode needs its ``-shm`` file, which a reader cannot create on a read-only mount (or in a
    folder it may not write): there it is opened ``immutable``, which is right because nothing can write
    to it there (a WAL left uncommitted beside it is not read). In a folder it merely may not write, a
    store with such a WAL is not opened ``immutable``: its last commits would be silently missing.
    """
    uri = path.resolve().as_uri()
    conn = _connect(f"{uri}?mode=ro", busy_timeout_s)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        if "unable to open" not in str(exc) or not (
            read_only_fs(path) or (not os.access(path.parent, os.W_OK) and not _pending_wal(path))
        ):
            raise
        conn = _connect(f"{uri}?mode=ro&immutable=1", busy_timeout_s)
    return conn


def _pending_wal(path: Path) -> bool:
    """Whether a WAL beside ``path`` holds commits not yet in it (``immutable`` would not read them)."""
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def _connect(uri: str, busy_timeout_s: float) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    return conn


def describe(exc: BaseException, path: Path, *, writing: bool = False) -> StoreError:
    """The one-line ``StoreError`` for an SQLite or OS error met while opening, reading or writing ``path``."""
    if isinstance(exc, StoreError):
        return exc
    text = str(exc)
    low = text.lower()
    name = str(getattr(exc, "sqlite_errorname", ""))
    code = getattr(exc, "errno", None)
    if "not a database" in low or name == "SQLITE_NOTADB":
        return StoreError(path, NOT_SQLITE, f"not an SQLite database, so not a history store ({text})")
    if "malformed" in low or name.startswith("SQLITE_CORRUPT"):
        return _damaged(path, text)
    if "locked" in low or "busy" in low:
        return StoreError(path, BUSY, f"busy: another process held a lock on it for too long ({text})")
    if code == errno.EROFS or "readonly" in low or "read-only" in low:
        why = "on a read-only file system" if read_only_fs(path) else "no permission to write it"
        return read_only(path, why)
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in low or name == "SQLITE_FULL":
        return StoreError(path, UNREADABLE, "cannot be written: the disk is full")
    if "no such table" in low or "no such column" in low or "has no column" in low:
        return StoreError(path, SCHEMA, f"a layout perptop cannot use ({text})")
    if "unable to open" in low and writing and read_only_fs(path):
        return read_only(path, "on a read-only file system")
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {text}"
    return StoreError(path, UNREADABLE, f"cannot be {'written' if writing else 'read'} ({reason})")


@contextlib.contextmanager
def as_store_error(path: Path, *, writing: bool = False) -> Iterator[None]:
    """Run the block; an SQLite or OS error inside it is raised again as the one-line ``StoreError``.

    Only store work belongs in the block: any OSError in it is taken to be about the store.
    """
    try:
        yield
    except StoreError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise describe(exc, path, writing=writing) from exc
