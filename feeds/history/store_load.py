"""Reading bars back from the history store fast: what ``HistoryStore.load`` does for a restart.

A 50-symbol week is 403,200 bars, 4.8 million values. The stdlib ``sqlite3`` module turns each value
into a Python object (about 0.1 us each): reading them row by row cannot take less than ~0.5 s on a
2-core machine, whatever is done with them after. So closed days are also kept packed:

- ``bar_blocks`` holds, per (day, symbol, venue), that series' bars of the UTC day as one float64 blob
  (n x len(COLUMNS), little-endian, NULL as NaN: exactly what the row path reads). One blob is one
  Python object instead of 2,880.
- Triggers on ``bars`` delete the block of every series-day a write, merge, replace or prune touches,
  in the same transaction: a block that exists is always equal to its rows. A day whose blocks' bar
  counts add up to its rows' count is then whole in blocks; any other day (today, a day rewritten late)
  is read as rows. A store without the table or its triggers (made by an older perptop, or a reader
  that may not write) is read as rows: nothing needs migrating.
- ``seal_day`` (run by ``HistoryStore.prune``: at a writer's open and hourly) packs a closed day again.
- A block is only read when its blob is ``n x len(COLUMNS)`` floats wide (``_WIDE_ENOUGH``): one packed
  before the bar columns grew (10 then, 18 now), or by a perptop of another layout sharing the file, is
  taken as absent, so its day is read as rows and packed again at the current width, never misread.

The row path makes as few Python objects as it can: one range scan of the time-major key, the series
as one ``symbol U+001F venue`` string, chunks turned into float64 blocks by one ``np.array`` each,
with the cyclic collector paused (row tuples hold no cycles; it would walk them again and again).
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
from collections.abc import Iterator, Sequence

import numpy as np

from feeds.messages import History
from signals.columns import COLUMNS
from signals.times import DAY_MS

_VALUES_SQL = ", ".join(COLUMNS[1:])
_SEP = "\x1f"  # the unit separator: in no symbol or venue name, so "symbol SEP venue" names one series
_CHUNK = 65_536  # rows per fetch: bounds the Python objects alive at once (~25 MB) without slowing the read
_DTYPE = np.dtype("<f8")
_NO_END = 2**62
_WIDE_ENOUGH = f"length(data) = n * {_DTYPE.itemsize * len(COLUMNS)}"
"""SQL: the block holds this layout's columns (see the module's docstring)."""

_DROP_BLOCK = (
    "DELETE FROM bar_blocks WHERE day = {row}.time / " + str(DAY_MS) + " "
    "AND symbol = {row}.symbol AND venue = {row}.venue;"
)
TRIGGERS: tuple[str, ...] = ("bar_blocks_on_insert", "bar_blocks_on_update", "bar_blocks_on_delete")
BLOCKS_SCHEMA: tuple[str, ...] = (
    (
        "CREATE TABLE IF NOT EXISTS bar_blocks (day INTEGER NOT NULL, symbol TEXT NOT NULL, "
        "venue TEXT NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (day, symbol, venue)) "
        "WITHOUT ROWID"
    ),
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[0]} AFTER INSERT ON bars BEGIN {_DROP_BLOCK.format(row='NEW')} END",
    (
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[1]} AFTER UPDATE ON bars BEGIN "
        f"{_DROP_BLOCK.format(row='OLD')} {_DROP_BLOCK.format(row='NEW')} END"
    ),
    f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[2]} AFTER DELETE ON bars BEGIN {_DROP_BLOCK.format(row='OLD')} END",
)
"""The packed days and the triggers that keep them equal to their rows (run one statement at a time)."""


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (as it was before, after)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Numbering(dict[str, int]):
    """Series keys numbered in order of first sight (for a day packed whatever its series)."""

    def __missing__(self, key: str) -> int:
        self[key] = len(self)
        return self[key]


def create_blocks(conn: sqlite3.Connection) -> None:
    """Create the packed-day table and its triggers where they lack (inside the caller's transaction).

    Blocks kept while a trigger was missing may no longer equal their rows: they are dropped.
    """
    conn.execute(BLOCKS_SCHEMA[0])
    if not has_blocks(conn):
        conn.execute("DELETE FROM bar_blocks")
    for statement in BLOCKS_SCHEMA[1:]:
        conn.execute(statement)


def drop_narrow_blocks(conn: sqlite3.Connection) -> int:
    """Delete the blocks not of this layout's width (after a migration widened ``bars``); returns how many."""
    if not has_blocks(conn):
        return 0
    return int(conn.execute(f"DELETE FROM bar_blocks WHERE NOT ({_WIDE_ENOUGH})").rowcount)


def has_blocks(conn: sqlite3.Connection) -> bool:
    """Whether the store keeps packed days, with every trigger that keeps them right."""
    names = {
        str(n) for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    }
    return "bar_blocks" in names and all(t in names for t in TRIGGERS)


def _read_rows(
    conn: sqlite3.Connection, where: str, args: Sequence[object], number: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Series numbers and float64 bars (time first) of the rows ``where`` selects, in time order."""
    sql = f"SELECT symbol || char(31) || venue, time, {_VALUES_SQL} FROM bars WHERE {where} ORDER BY time"
    series_parts: list[np.ndarray] = [np.empty(0, np.int64)]
    value_parts: list[np.ndarray] = [np.empty((0, len(COLUMNS)))]
    with gc_paused():
        cursor = conn.execute(sql, tuple(args))
        while chunk := cursor.fetchmany(_CHUNK):
            keys = [r[0] for r in chunk]
            series_parts.append(np.fromiter(map(number.__getitem__, keys), np.int64, len(chunk)))
            value_parts.append(np.array([r[1:] for r in chunk], dtype=np.float64))
            del chunk, keys
    return np.concatenate(series_parts), np.concatenate(value_parts)


def _filter(symbols: Sequence[str], venues: Sequence[str]) -> str:
    return f"symbol IN ({', '.join('?' * len(symbols))}) AND venue IN ({', '.join('?' * len(venues))})"


def _whole_days(conn: sqlite3.Connection, first: int, last: int) -> set[int]:
    """The days in [first, last] whose every row is in a block."""
    sums = conn.execute(
        f"SELECT day, sum(n) FROM bar_blocks WHERE day >= ? AND day <= ? AND {_WIDE_ENOUGH} GROUP BY day",
        (first, last),
    ).fetchall()
    whole = set()
    for day, n in sums:
        rows = conn.execute(
            "SELECT count(*) FROM bars WHERE time >= ? AND time < ?", (day * DAY_MS, (day + 1) * DAY_MS)
        ).fetchone()[0]
        if rows == n:
            whole.add(int(day))
    return whole


def load_histories(
    conn: sqlite3.Connection,
    symbols: Sequence[str],
    venues: Sequence[str],
    since_ms: int,
    until_ms: int | None = None,
) -> list[History]:
    """Stored bars of each symbol x venue in [``since_ms``, ``until_ms``), oldest first.

    Series with no stored bar are left out; the order is that of ``symbols`` then ``venues``; NULL is
    read back as NaN. Whole days come from their blocks, the rest from the rows, in one snapshot.
    """
    symbols, venues = list(dict.fromkeys(symbols)), list(dict.fromkeys(venues))
    if not symbols or not venues:
        return []
    since, until = int(since_ms), int(until_ms) if until_ms is not None else _NO_END
    keys = [(s, v) for s in symbols for v in venues]
    number = {f"{s}{_SEP}{v}": i for i, (s, v) in enumerate(keys)}
    names = (*symbols, *venues)
    # Pieces of (series numbers, bars), each in time order, the pieces ordered by their start time.
    pieces: list[tuple[int, np.ndarray, np.ndarray]] = []
    own_txn = not conn.in_transaction
    if own_txn:
        conn.execute("BEGIN")  # blocks and rows from one snapshot: a write between them cannot tear a day
    try:
        whole: set[int] = set()
        if since < until and has_blocks(conn):
            last = conn.execute("SELECT max(time) FROM bars").fetchone()[0]
            if last is not None:
                whole = _whole_days(conn, since // DAY_MS, (min(until, int(last) + 1) - 1) // DAY_MS)
        for day, key, n, data in (
            conn.execute(
                f"SELECT day, symbol || char(31) || venue, n, data FROM bar_blocks WHERE day IN "
                f"({', '.join(str(d) for d in sorted(whole))}) AND {_WIDE_ENOUGH} AND {_filter(symbols, venues)}",
                names,
            )
            if whole
            else ()
        ):
            bars = np.frombuffer(data, _DTYPE).reshape(int(n), len(COLUMNS))
            pieces.append((int(day) * DAY_MS, np.full(int(n), number[key], np.int64), bars))
        # The rows of the days not whole in blocks: the spans between whole days.
        start = since
        for day in [*sorted(whole), None]:
            end = until if day is None else max(since, min(until, day * DAY_MS))
            if start < end:
                series, bars = _read_rows(
                    conn,
                    f"time >= ? AND time < ? AND {_filter(symbols, venues)}",
                    (start, end, *names),
                    number,
                )
                pieces.append((start, series, bars))
            if day is not None:
                start = max(start, (day + 1) * DAY_MS)
    finally:
        if own_txn:
            conn.execute("COMMIT")
    pieces.sort(key=lambda p: p[0])
    if not pieces:
        return []
    series = np.concatenate([p[1] for p in pieces])
    values = np.concatenate([p[2] for p in pieces])
    keep = (values[:, 0] >= since) & (values[:, 0] < until)  # a whole day's block reaches past the span
    if not keep.all():
        series, values = series[keep], values[keep]
    # Stable: every piece is oldest first and the pieces are in time order, so each series stays so.
    order = np.argsort(series, kind="stable")
    values = values[order]
    ends = np.searchsorted(series[order], np.arange(len(keys) + 1), side="left")
    return [
        History(v, s, values[ends[i] : ends[i + 1]]) for i, (s, v) in enumerate(keys) if ends[i + 1] > ends[i]
    ]


def seal_day(conn: sqlite3.Connection, day: int) -> int:
    """Pack UTC day ``day`` (days since the epoch) into blocks, inside the caller's write transaction.

    Returns how many series were packed (0 when the day already was, whole).
    """
    start, end = day * DAY_MS, (day + 1) * DAY_MS
    rows = conn.execute("SELECT count(*) FROM bars WHERE time >= ? AND time < ?", (start, end)).fetchone()[0]
    packed = conn.execute(
        f"SELECT coalesce(sum(n), 0) FROM bar_blocks WHERE day = ? AND {_WIDE_ENOUGH}", (day,)
    ).fetchone()[0]
    if rows == packed:
        return 0
    conn.execute("DELETE FROM bar_blocks WHERE day = ?", (day,))
    number = _Numbering()
    series, values = _read_rows(conn, "time >= ? AND time < ?", (start, end), number)
    order = np.argsort(series, kind="stable")
    series, values = series[order], np.ascontiguousarray(values[order], dtype=_DTYPE)
    ends = np.searchsorted(series, np.arange(len(number) + 1), side="left")
    blocks = []
    for key, i in number.items():
        symbol, venue = key.split(_SEP, 1)
        block = values[ends[i] : ends[i + 1]]
        blocks.append((day, symbol, venue, len(block), block.tobytes()))
    conn.executemany("INSERT INTO bar_blocks (day, symbol, venue, n, data) VALUES (?, ?, ?, ?, ?)", blocks)
    return len(blocks)


def dirty_days(conn: sqlite3.Connection, since_ms: int, before_ms: int) -> list[int]:
    """The closed days from ``since_ms``'s day to before ``before_ms``'s day with rows not in a block."""
    first = conn.execute("SELECT min(time) FROM bars WHERE time >= ?", (since_ms,)).fetchone()[0]
    if first is None:
        return []
    days = range(max(int(first), 0) // DAY_MS, before_ms // DAY_MS)
    whole = _whole_days(conn, days.start, days.stop - 1) if len(days) else set()
    return [
        d
        for d in days
        if d not in whole
        and conn.execute(
            "SELECT 1 FROM bars WHERE time >= ? AND time < ? LIMIT 1", (d * DAY_MS, (d + 1) * DAY_MS)
        ).fetchone()
        is not None
    ]
