"""A history store perptop cannot use is one line in every command: export, replay, store, events, record.

The bad stores are those a user meets: a 0-byte file, a copy cut short, random bytes, a text file, a store
of an older layout, another program's SQLite database, one locked by another process. Each command says
the same line (``history store PATH: ...``) with exit status 2 (1 for a busy store), writes nothing, and
``perptop record`` refuses at start instead of running on and dropping every row. ``perptop store
--migrate`` brings an older layout up to date, keeping every row.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from feeds.history.store import HistoryStore
from feeds.history.store_check import StoreError
from tests.support.stores import ADDED, STEP, T0, VALUES, good_store, older_store, run_cli, run_record_cli


def _zero(path: Path) -> str:
    path.write_bytes(b"")
    return "empty (0 bytes): nothing was ever recorded into it"


def _truncated(path: Path) -> str:
    whole = good_store(path).read_bytes()
    path.write_bytes(whole[: len(whole) // 3])  # a copy cut short
    return (
        f"damaged (truncated: {len(whole) // 3:,} of its {len(whole):,} bytes): "
        "restore a copy, or move it aside for perptop to start a new one"
    )


def _random(path: Path) -> str:
    path.write_bytes(bytes((i * 7919 + 13) % 251 for i in range(50_000)))  # not text, not SQLite
    return "not an SQLite database, so not a history store (its first bytes are not an SQLite header)"


def _text(path: Path) -> str:
    path.write_text("time,price\n2025-01-01T00:00:00Z,100\n" * 200)  # a CSV named as the store
    return "not an SQLite database, so not a history store (it is text, starting 'time,price')"


def _older(path: Path) -> str:
    older_store(path)
    return (
        f"an older layout (table bars lacks columns {', '.join(ADDED)}): "
        f"'perptop store --migrate --store {path}' updates it, keeping every row"
    )


BAD_STORES: dict[str, Callable[[Path], str]] = {
    "zero-length": _zero,
    "truncated": _truncated,
    "random bytes": _random,
    "text": _text,
    "older layout": _older,
}
COMMANDS = {
    "export": ["export", "--csv", "{out}"],
    "replay": ["replay", "--from-store"],
    "store": ["store"],
    "events": ["events", "--since", "30d"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("bad", list(BAD_STORES))
def test_a_bad_store_is_one_line_and_exit_2_in_every_command(
    bad: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.sqlite3"
    said = BAD_STORES[bad](path)
    before = path.read_bytes()
    out_csv = tmp_path / "out.csv"
    argv = [a.replace("{out}", str(out_csv)) for a in COMMANDS[command]]
    code, out, err = run_cli([*argv, "--store", str(path)], capsys, tmp_path)
    assert (code, out) == (2, "")
    assert err == f"perptop {command}: history store {path}: {said}\n"
    assert not out_csv.exists()  # no CSV, not even an empty one
    assert path.read_bytes() == before  # a reader never changes the file


def test_a_store_damaged_inside_is_one_line_when_a_read_meets_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The header is intact and the length right: only reading the bars finds the bad pages.
    path = good_store(tmp_path / "h.sqlite3")
    data = bytearray(path.read_bytes())
    data[8 * 4096 : 12 * 4096] = bytes(range(256)) * 64
    path.write_bytes(bytes(data))
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n")
    code, out, err = run_cli(["export", "--store", str(path), "--csv", str(target)], capsys, tmp_path)
    assert (code, out) == (2, "")
    assert err.startswith(f"perptop export: history store {path}: damaged (") and err.count("\n") == 1
    assert target.read_text() == "the previous export\n"


def test_record_refuses_an_older_layout_at_start_with_the_migration_that_mends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = older_store(tmp_path / "h.sqlite3")
    before = path.read_bytes()
    ran: list[bool] = []

    async def feeds_ran(*args: object, **kwargs: object) -> None:  # the recorder got past its start
        ran.append(True)

    monkeypatch.setattr("tui.cli.record.record_loop", feeds_ran)
    code, out, err = run_record_cli(["--demo", "--store", str(path)], tmp_path)
    assert (code, out, ran) == (2, "", [])
    assert err == (
        f"perptop record: history store {path}: an older layout (table bars lacks columns "
        f"{', '.join(ADDED)}): 'perptop store --migrate --store {path}' updates it, keeping every row\n"
    )
    assert path.read_bytes() == before  # not switched to WAL, no table added: untouched


def test_record_refuses_another_programs_database_and_leaves_it_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "notes.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    monkeypatch.setattr("tui.cli.record.record_loop", lambda *a, **k: None)
    code, _, err = run_record_cli(["--demo", "--store", str(path)], tmp_path)
    assert code == 2
    assert err == (
        f"perptop record: history store {path}: not a history store: "
        "an SQLite database of something else (tables: notes)\n"
    )
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("notes",)]  # no bars, meta, ... added to someone else's file


def test_record_on_a_read_only_store_says_read_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file system's read-only flag, as statvfs reports it for a read-only mount (root ignores chmod;
    # tests/integration/test_store_mounts.py does this on a real read-only mount).
    path = good_store(tmp_path / "h.sqlite3", bars=3)
    monkeypatch.setattr("feeds.history.store_check.read_only_fs", lambda p: True)
    monkeypatch.setattr("tui.cli.record.record_loop", lambda *a, **k: None)
    code, _, err = run_record_cli(["--demo", "--store", str(path)], tmp_path)
    assert code == 2
    assert err == (
        f"perptop record: history store {path}: read-only (on a read-only file system): "
        "perptop can read it, not write to it\n"
    )
    code, _, err = run_cli(["store", "--migrate", "--store", str(path)], capsys, tmp_path)
    assert code == 2 and err.startswith(f"perptop store: history store {path}: read-only (")


def test_a_store_locked_by_another_process_is_busy_exit_1(tmp_path: Path) -> None:
    # A rollback-journal database (not perptop's WAL) with an exclusive lock held: readers must wait.
    path = tmp_path / "h.sqlite3"
    good_store(path, bars=3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as caught:
            HistoryStore(path, None, readonly=True, busy_timeout_s=0.05)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert caught.value.kind == "busy" and caught.value.status == 1
    assert str(caught.value).startswith(f"history store {path}: busy: another process held a lock on it")


def test_migrate_adds_the_missing_columns_and_keeps_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = older_store(tmp_path / "h.sqlite3", bars=50)
    code, out, err = run_cli(["store", "--migrate", "--store", str(path)], capsys, tmp_path)
    assert (code, err) == (0, "")
    assert out == (
        f"history store {path}: added columns {', '.join(ADDED)} to bars; "
        "created table events; kept all 50 bars\n"
    )
    reader = HistoryStore(path, None, readonly=True)
    [history] = reader.load(["BTC"], ["binance"], 0)
    reader.close()
    bars = history.bars
    assert len(bars) == 50
    assert bars[:, 0].tolist() == [T0 + i * STEP for i in range(50)]
    assert bars[:, 1].tolist() == [100.0 + i for i in range(50)] and bars[:, 2].tolist() == [
        5.0 + i for i in range(50)
    ]
    assert bars[0, 3:8].tolist() == [0.0001, 8.0, 1.5, 10.0, 20.0]
    assert all(math.isnan(v) for v in bars[:, 8:].ravel())  # the added columns: unknown, never 0
    code, out, _ = run_cli(["store", "--migrate", "--store", str(path)], capsys, tmp_path)
    assert (code, out) == (0, f"history store {path}: already current, nothing changed\n")
    code, out, _ = run_cli(["store", "--store", str(path)], capsys, tmp_path)
    assert code == 0 and "50 bars, 0 liquidations" in out


def test_migrate_refuses_a_layout_it_cannot_mend_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE bars (symbol TEXT, venue TEXT, {', '.join(f'{c} REAL' for c in VALUES)})")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    code, out, err = run_cli(["store", "--migrate", "--store", str(path)], capsys, tmp_path)
    assert (code, out) == (2, "")
    assert err == (
        f"perptop store: history store {path}: a layout perptop cannot use (table bars lacks key column "
        "time; it lacks table liquidations): move it aside for perptop to start a new one\n"
    )
    assert path.read_bytes() == before


def test_a_store_from_before_events_were_kept_is_read_and_written_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The one older layout in the store's history (git log -p feeds/history/store.py, tui/history_store.py
    # before e4a500c): the same bars, liquidations and meta tables, no events table.
    path = older_store(tmp_path / "h.sqlite3", bars=0)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE bars")
    conn.execute(
        "CREATE TABLE bars (symbol TEXT NOT NULL, venue TEXT NOT NULL, time INTEGER NOT NULL, "
        f"{', '.join(f'{c} REAL' for c in VALUES)}, PRIMARY KEY (time, symbol, venue)) WITHOUT ROWID"
    )
    conn.execute("INSERT INTO bars (symbol, venue, time, price) VALUES ('BTC', 'okx', ?, 100.0)", (T0,))
    conn.commit()
    conn.close()
    code, out, err = run_cli(["events", "--store", str(path), "--since", "30d"], capsys, tmp_path)
    assert (code, out, err) == (0, "", "perptop events: none in that range\n")
    store = HistoryStore(path, None)  # a writer adds the events table, as it always did
    store.close()
    tables = {
        n for (n,) in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"bars", "liquidations", "meta", "events"} <= tables


def test_every_command_reads_a_store_whose_folder_it_may_not_write(tmp_path: Path) -> None:
    # What a read-only mount looks like to SQLite: no -shm file can be made beside the store.
    if os.geteuid() == 0:
        pytest.skip("root writes any folder; tests/integration/test_store_mounts.py uses a read-only mount")
    folder = tmp_path / "ro"
    folder.mkdir()
    path = good_store(folder / "h.sqlite3", bars=5)
    folder.chmod(0o555)
    try:
        reader = HistoryStore(path, None, readonly=True)
        assert reader.summary()["bars"] == 5
        reader.close()
    finally:
        folder.chmod(0o755)
