"""The history store: round trip, merge, retention, the writer thread, two writer processes, kill -9."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from feeds.history.bar_rows import keyed_history_rows
from feeds.history.store import HistoryStore, StoreBusy
from feeds.history.writer import HistoryWriter
from feeds.messages import History
from tests.support.paths import ROOT
from tui.model.bars import BarStore
from tui.model.stored import read_for, restore

REPO = ROOT
NAN = math.nan
DAY = 86_400_000
_NOW = int(time.time() * 1000)
T0 = _NOW - _NOW % 300_000 - DAY  # recent: a store opened with the default retention keeps it


def row(symbol: str, venue: str, t: int, price: float, **kw: float) -> tuple[object, ...]:
    cols = {
        "oi": NAN,
        "funding": NAN,
        "funding_interval_h": 8.0,
        "ls_ratio": NAN,
        "liq_long_usd": NAN,
        "liq_short_usd": NAN,
        "spot_volume_usd": NAN,
        "futures_volume_usd": NAN,
        "premium": NAN,
        "spot_price": NAN,
        "taker_buy_usd": NAN,
        "taker_sell_usd": NAN,
        "spot_taker_buy_usd": NAN,
        "spot_taker_sell_usd": NAN,
        "ls_top_position": NAN,
        "funding_spread_8h": NAN,
    }
    cols.update(kw)
    return (symbol, venue, t, price, *cols.values())


def test_bars_round_trip_with_unknown_values(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", clock=lambda: T0)
    store.write_bars(
        [
            row("BTC", "binance", T0 + 300_000, 101.5, oi=7.25, liq_long_usd=0.0),
            row("BTC", "binance", T0, 100.0, oi=7.0, funding=-0.0001),
            row("BTC", "okx", T0, 99.0),
            row("ETH", "binance", T0, 3.5),
        ]
    )
    [h] = store.load(["BTC"], ["binance"], T0)
    assert (h.symbol, h.venue) == ("BTC", "binance")
    assert h.bars[:, 0].tolist() == [T0, T0 + 300_000]  # oldest first whatever the write order
    assert h.bars[0, 1:4].tolist() == [100.0, 7.0, -0.0001]
    assert h.bars[1, 6] == 0.0  # a zero stays a zero...
    assert np.isnan(h.bars[1, 7]) and np.isnan(h.bars[0, 5])  # ...and unknown stays unknown, never 0
    got = store.load(["ETH", "BTC"], ["okx", "binance"], T0, until_ms=T0 + 1)
    assert [(x.symbol, x.venue, len(x.bars)) for x in got] == [
        ("ETH", "binance", 1),
        ("BTC", "okx", 1),
        ("BTC", "binance", 1),
    ]


def test_a_liquidation_written_by_two_processes_is_kept_once(tmp_path: Path) -> None:
    # The app and 'perptop record' following the same stream write the same event.
    event = ("bybit", "BTC", T0 + 17, "short", 12_500.0)
    other = ("bybit", "BTC", T0 + 17, "long", 12_500.0)
    first = HistoryStore(tmp_path / "h.sqlite3", clock=lambda: T0)
    first.write_liquidations([event])
    second = HistoryStore(tmp_path / "h.sqlite3", clock=lambda: T0)
    second.write_liquidations([event, other])
    assert sorted(first.liquidations()) == sorted([event, other])
    first.close()
    second.close()


def test_a_later_write_replaces_the_bar_and_history_merges(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", clock=lambda: T0)
    store.write_bars([row("BTC", "bybit", T0, 100.0, oi=5.0, liq_long_usd=2e6)])
    store.write_bars([row("BTC", "bybit", T0, 100.5, oi=5.5)])  # the bar's final state
    [h] = store.load(["BTC"], ["bybit"], 0)
    assert h.bars[0, 1:3].tolist() == [100.5, 5.5] and np.isnan(h.bars[0, 6])
    store.write_bars([row("BTC", "bybit", T0, 100.5, liq_long_usd=3e6)])
    store.write_bars([row("BTC", "bybit", T0, 101.0, oi=6.0)], merge=True)  # a backfill without liquidations
    [h] = store.load(["BTC"], ["bybit"], 0)
    assert h.bars[0, 1:3].tolist() == [101.0, 6.0] and h.bars[0, 6] == 3e6
    assert store.summary()["bars"] == 1


def test_retention_prunes_old_bars_and_liquidations_on_open(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    now = T0 + 40 * DAY
    store = HistoryStore(path, retention_days=None)
    store.write_bars([row("BTC", "binance", now - 31 * DAY, 1.0), row("BTC", "binance", now - 29 * DAY, 2.0)])
    store.write_liquidations(
        [("binance", "BTC", now - 31 * DAY, "long", 5.0), ("binance", "BTC", now - DAY, "short", 6.0)]
    )
    store.close()
    store = HistoryStore(path, retention_days=30, clock=lambda: now)
    [h] = store.load(["BTC"], ["binance"], 0)
    assert h.bars[:, 1].tolist() == [2.0]
    assert store.liquidations() == [("binance", "BTC", now - DAY, "short", 6.0)]
    assert store.summary()["retention_days"] == 30


def test_writer_prunes_hourly_not_only_on_open(tmp_path: Path) -> None:
    now = [T0]
    writer = HistoryWriter(tmp_path / "h.sqlite3", retention_days=1, prune_every_s=0.2, clock=lambda: now[0])
    writer.start()
    writer.put_bars([row("BTC", "binance", T0, 1.0)])
    assert writer.flush(5)
    now[0] = T0 + 2 * DAY  # a day later than the retention, while the writer runs
    deadline = time.monotonic() + 5
    while writer.pruned == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer.close()
    assert writer.pruned == 1
    assert HistoryStore(tmp_path / "h.sqlite3", None).load(["BTC"], ["binance"], 0) == []


def test_writer_commits_queued_batches_and_drops_when_full_without_blocking(tmp_path: Path) -> None:
    writer = HistoryWriter(tmp_path / "h.sqlite3", step_ms=300_000, clock=lambda: T0)
    writer.start()
    for k in range(50):
        assert writer.put_bars([row(s, "okx", T0 + k * 300_000, 1.0 + k) for s in ("BTC", "ETH")])
    assert writer.close()
    assert writer.bars_written == 100 and writer.dropped == 0
    full = HistoryWriter(
        tmp_path / "h.sqlite3", max_pending=2, clock=lambda: T0
    )  # never started: nothing drains
    assert full.put_bars([row("BTC", "okx", T0, 1.0)]) and full.put_bars([row("BTC", "okx", T0, 1.0)])
    assert not full.put_bars([row("BTC", "okx", T0, 1.0)] * 3)
    assert full.dropped == 3


def test_a_store_of_another_bar_step_is_refused(tmp_path: Path) -> None:
    HistoryWriter(tmp_path / "h.sqlite3", step_ms=300_000).start()
    with pytest.raises(ValueError, match="300 s bars"):
        HistoryWriter(tmp_path / "h.sqlite3", step_ms=60_000).start()


def test_a_second_writer_past_its_busy_timeout_is_told_the_store_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of its write
    other = HistoryStore(path, None, busy_timeout_s=0.2)
    with pytest.raises(StoreBusy, match="another perptop process held its write lock"):
        other.write_bars([row("BTC", "binance", T0, 1.0)])
    holder.execute("ROLLBACK")
    other.write_bars([row("BTC", "binance", T0, 1.0)])  # once the lock is free it writes
    assert other.summary()["bars"] == 1


def test_restore_fills_the_app_store_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    now = int(time.time() * 1000)
    bar = now - now % 300_000 - 300_000
    store = HistoryStore(path)
    store.write_bars(
        [
            row("BTC", "binance", bar - 300_000, 100.0, oi=10.0),
            row("BTC", "binance", bar, 101.0, oi=11.0),
            row("BTC", "okx", bar - 10 * DAY, 50.0),
            row("SOL", "binance", bar, 150.0),
        ]
    )
    store.close()
    app_store = BarStore(["BTC", "ETH"], ["binance", "okx"], capacity=100)
    assert len(read_for(app_store, path)) == 1  # okx's bar is older than the store holds, SOL not watched
    assert restore(app_store, read_for(app_store, path)) == 2
    series = app_store.series("BTC", "binance")
    assert series[-2:, 1].tolist() == [100.0, 101.0] and series[-1, 0] == bar
    assert app_store.series("BTC")[-1, 1] == 101.0  # the cross-venue row is rebuilt too
    empty = BarStore(["BTC"], ["binance"], 10)
    assert restore(empty, read_for(empty, tmp_path / "absent.sqlite3")) == 0


_WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from feeds.history.store import HistoryStore
    path, ident, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = HistoryStore(path, None, busy_timeout_s=30)
    for k in range(batches):
        # Every column of a bar carries the writer and batch: a torn row would mix them.
        v = ident * 1e6 + k
        store.write_bars([(f"S{{s}}", venue, {t0} + (k % 50) * 300_000, *[v] * 17)
                          for s in range(50) for venue in ("binance", "bybit", "okx", "hyperliquid")])
        print(k, flush=True)
""")


def _writer(path: Path, ident: int, batches: int) -> subprocess.Popen[str]:
    code = _WRITER.format(repo=str(REPO), t0=T0)
    return subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(ident), str(batches)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _consistent(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn.execute("SELECT * FROM bars").fetchall()
    conn.close()
    for r in rows:
        assert len(set(r[3:])) == 1, f"a bar mixes two writes: {r}"
    return rows


def test_two_writer_processes_leave_a_consistent_store(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    procs = [_writer(path, ident, 60) for ident in (1, 2)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert out.split()[-1] == "59"
    rows = _consistent(path)
    assert len(rows) == 50 * 200  # 50 bar times x 200 series, each written by both, the later write kept
    # Each bar holds the last write of one of the two: batch 10..59 of writer 1 or 2 (k % 50 repeats).
    assert {int(r[3]) // 1_000_000 for r in rows} <= {1, 2}


def test_a_writer_killed_mid_write_keeps_every_committed_batch(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    proc = _writer(path, 3, 100_000)
    assert proc.stdout is not None
    committed = -1
    while committed < 30:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "writer died"
        committed = int(line)
    proc.kill()  # SIGKILL: no handler, no flush, no close
    proc.wait(timeout=10)
    rows = _consistent(path)
    latest = {int(r[3]) % 1_000_000 for r in rows}
    # Every batch reported committed is there in full: batches 0..committed wrote times k % 50.
    assert set(range(committed + 1)) <= latest | set(range(committed + 1 - 50))
    times = {r[2] for r in rows}
    assert len(rows) == 200 * len(times)  # whole batches only, never part of one
    reopened = HistoryStore(path)
    assert reopened.summary()["bars"] == len(rows)
    reopened.write_bars([row("BTC", "binance", T0, 1.0)])  # and it takes writes again


def test_a_batch_written_in_key_order_keeps_each_keys_writes_in_arrival_order(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", clock=lambda: T0)
    later = T0 + 300_000
    store.write_batch(
        [
            ("bars", [row("ETH", "okx", later, 3.0), row("BTC", "okx", later, 100.0, oi=5.0)]),
            (
                "bars",
                [row("BTC", "okx", T0, 99.0, liq_long_usd=7.0), row("BTC", "okx", later, 101.0, oi=6.0)],
            ),
            # a backfill's merge after them: it fills what it knows, keeps the recorded liquidations
            ("merge", [row("BTC", "okx", T0, 98.5, oi=4.0), row("BTC", "okx", later, NAN, funding=0.0001)]),
            ("merge", [row("BTC", "okx", later, 102.0), row("SOL", "okx", T0, 5.0, oi=1.0)]),
            (
                "bars",
                [row("ETH", "okx", later, 3.5), row("SOL", "okx", T0, 6.0)],
            ),  # replaced after the merges
        ]
    )
    btc, eth, sol = store.load(["BTC", "ETH", "SOL"], ["okx"], 0)
    # columns: time, price, oi, funding, funding_interval_h, ls_ratio, liq_long_usd
    np.testing.assert_array_equal(btc.bars[:, 1:4], [[98.5, 4.0, NAN], [102.0, 6.0, 0.0001]])
    assert btc.bars[0, 6] == 7.0
    assert eth.bars[:, 1].tolist() == [3.5]
    assert sol.bars[0, 1] == 6.0 and math.isnan(sol.bars[0, 2])  # the replace erased the merged OI


def test_the_writer_gathers_history_but_writes_a_live_bar_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = HistoryWriter(path, step_ms=300_000, clock=lambda: T0, gather_s=60.0)
    writer.start()
    calls: list[list[str]] = []
    store_write = HistoryStore.write_batch

    def counted(self: HistoryStore, items: list[tuple[str, list[object]]]) -> None:
        calls.append([k for k, _ in items])
        store_write(self, items)

    HistoryStore.write_batch = counted  # type: ignore[method-assign]
    try:
        for s in ("BTC", "ETH", "SOL"):  # a backfill: a week a series at a time
            assert writer.put_history(
                [
                    History(
                        "okx",
                        s,
                        np.array(
                            [row(s, "okx", T0 + k * 300_000, 1.0 + k)[2:] for k in range(3)], dtype=float
                        ),
                    )
                ]
            )
        time.sleep(0.5)
        assert calls == []  # still gathering (60 s), nothing written yet
        writer.put_bars([row("BTC", "okx", T0 + 3 * 300_000, 9.0)])  # the live bar that just closed
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert calls == [["history", "history", "history", "bars"]]  # the three series and the bar, at once
    finally:
        HistoryStore.write_batch = store_write  # type: ignore[method-assign]
        assert writer.close()
    assert writer.bars_written == 10
    loaded = HistoryStore(path, None).load(["BTC"], ["okx"], 0)
    assert loaded[0].bars[:, 1].tolist() == [1.0, 2.0, 3.0, 9.0]


def test_history_in_one_batch_is_written_in_key_order_and_the_later_of_two_weeks_wins(tmp_path: Path) -> None:
    def week(symbol: str, venue: str, prices: list[float]) -> History:
        rows = [row(symbol, venue, T0 + k * 300_000, p, oi=10.0 + k)[2:] for k, p in enumerate(prices)]
        return History(venue, symbol, np.array(rows, dtype=float))

    first = week("BTC", "okx", [100.0, NAN, 102.0])  # the middle bar has no price: not written
    again = week("BTC", "okx", [200.0, 201.0, NAN])  # fetched again later in the same batch
    histories = [first, week("ETH", "binance", [3.0, 3.1, 3.2]), again]
    assert [r[:4] for r in keyed_history_rows(histories)] == [
        ("BTC", "okx", T0, 100.0),
        ("BTC", "okx", T0, 200.0),
        ("ETH", "binance", T0, 3.0),
        ("BTC", "okx", T0 + 300_000, 201.0),
        ("ETH", "binance", T0 + 300_000, 3.1),
        ("BTC", "okx", T0 + 600_000, 102.0),
        ("ETH", "binance", T0 + 600_000, 3.2),
    ]
    store = HistoryStore(tmp_path / "h.sqlite3", clock=lambda: T0)
    store.write_batch([("history", histories[:2]), ("history", histories[2:])])
    btc, eth = store.load(["BTC", "ETH"], ["okx", "binance"], 0)
    assert btc.bars[:, 1].tolist() == [200.0, 201.0, 102.0]  # the bar without a price kept the first week's
    assert btc.bars[:, 2].tolist() == [10.0, 11.0, 12.0]
    assert eth.bars[:, 1].tolist() == [3.0, 3.1, 3.2]
