"""After a backfill the history writer packs its days before the flag records read them.

The records read each symbol's stored week; a backfill's week is rows until the hourly pack, so each
symbol read was a scan of every symbol's rows (3.4 s of CPU for 50 symbols at the first bar close after a
backfill, on the fake exchange). The monitor now asks the writer to pack once the backfill ends and holds
the records until that is done (or PACK_WAIT_S passed).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np

from feeds.history.store_load import dirty_days
from feeds.history.writer import HistoryWriter
from feeds.messages import History
from signals.columns import COLUMNS, Col
from tui.alerts.measuring import PACK_WAIT_S, BackfillHold

DAY = 86_400_000
STEP = 300_000
D = 20_000 * DAY  # a UTC midnight
NOW = D + 3 * DAY + STEP  # D, D + 1 and D + 2 are closed


def _week(n_days: int) -> np.ndarray:
    n = n_days * DAY // STEP
    bars = np.full((n, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = D + STEP * np.arange(n)
    bars[:, Col.PRICE] = 100.0
    return bars


def test_pack_soon_packs_every_closed_day_a_backfill_wrote(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = HistoryWriter(path, step_ms=STEP, clock=lambda: NOW, gather_s=0.0)
    writer.start()
    try:
        writer.put_history([History("binance", "BTC", _week(3)), History("okx", "BTC", _week(3))])
        assert writer.flush(10)
        with sqlite3.connect(path) as conn:
            assert dirty_days(conn, 0, NOW) == [D // DAY, D // DAY + 1, D // DAY + 2]  # rows only
        done = writer.pack_soon()
        assert done.wait(10)
        with sqlite3.connect(path) as conn:
            assert dirty_days(conn, 0, NOW) == []
            assert conn.execute("SELECT count(*) FROM bar_blocks").fetchone()[0] == 6  # 3 days x 2 series
    finally:
        writer.close()


def test_pack_soon_of_a_writer_that_is_not_running_waits_for_nothing(tmp_path: Path) -> None:
    assert HistoryWriter(tmp_path / "h.sqlite3").pack_soon().is_set()


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_records_wait_for_the_backfill_then_for_one_pack() -> None:
    backfilling = [False]
    asked: list[threading.Event] = []

    def pack() -> threading.Event:
        asked.append(threading.Event())
        return asked[-1]

    hold = BackfillHold(lambda: backfilling[0], pack, _Clock())
    assert not hold()  # a start without a backfill: measured at once, nothing packed
    assert asked == []
    backfilling[0] = True
    assert hold() and hold()
    backfilling[0] = False
    assert hold()  # the backfill ended: a pack is asked for, and waited for
    assert len(asked) == 1 and hold() and len(asked) == 1
    asked[0].set()
    assert not hold() and len(asked) == 1
    backfilling[0] = True  # a symbol added later backfills: packed again after it
    assert hold()
    backfilling[0] = False
    assert hold() and len(asked) == 2


def test_a_pack_that_never_ends_holds_the_records_no_longer_than_pack_wait() -> None:
    backfilling = [True]
    clock = _Clock()
    hold = BackfillHold(lambda: backfilling[0], threading.Event, clock)
    assert hold()
    backfilling[0] = False
    assert hold()
    clock.now = PACK_WAIT_S - 1
    assert hold()
    clock.now = PACK_WAIT_S
    assert not hold()


def test_without_a_history_store_only_the_backfill_holds_the_records() -> None:
    backfilling = [True]
    hold = BackfillHold(lambda: backfilling[0], None, _Clock())
    assert hold()
    backfilling[0] = False
    assert not hold()
