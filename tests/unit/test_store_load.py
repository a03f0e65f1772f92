"""Reading the history store back: the packed closed days give exactly the bars the rows hold.

Rows are written by hand (NULLs, a gap, two venues, three UTC days) and the expected arrays are written
by hand too, then read once with the days packed and once as rows only.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from feeds.history.store import HistoryStore
from feeds.messages import History
from tests.support.stores import VALUES

NAN = math.nan
DAY = 86_400_000
STEP = 300_000
D = 20_000 * DAY  # a UTC midnight (2024-10-04)
NOW = D + DAY + STEP  # the day after D is the current day: D - 1 and D are closed
NAMES = VALUES  # the columns after time, written out by hand in tests/support/stores.py


def row(symbol: str, venue: str, t: int, **values: float) -> tuple[object, ...]:
    return (symbol, venue, t, *(values.get(n, NAN) for n in NAMES))


def bar(t: int, **values: float) -> list[float]:
    return [float(t), *(values.get(n, NAN) for n in NAMES)]


ROWS = [
    row("BTC", "binance", D - STEP, price=100.0, oi=7.0),  # the closed day before D
    row("BTC", "binance", D, price=101.0, funding=0.0001, funding_interval_h=8.0),
    row("BTC", "binance", D + 2 * STEP, price=102.5, liq_long_usd=0.0),  # a gap at D + STEP
    row("BTC", "okx", D + STEP, price=99.5, ls_ratio=1.25),
    row("ETH", "okx", D, price=3.4, spot_volume_usd=12.0),
    row("ETH", "binance", D + DAY, price=3.5),  # the current day: never packed
]


def store(tmp_path: Path, packed: bool) -> Path:
    path = tmp_path / "h.sqlite3"
    writer = HistoryStore(path, None, clock=lambda: NOW)
    writer.write_bars(ROWS)
    if packed:
        assert writer.seal(0) == 2  # D - 1 and D; the current day stays rows
    writer.close()
    return path


def read(path: Path, since: int, until: int | None = None) -> list[tuple[str, str, list[list[float]]]]:
    reader = HistoryStore(path, None, readonly=True)
    try:
        got: list[History] = reader.load(["BTC", "ETH"], ["binance", "okx"], since, until)
    finally:
        reader.close()
    return [(h.symbol, h.venue, h.bars.tolist()) for h in got]


def same(
    got: list[tuple[str, str, list[list[float]]]], want: list[tuple[str, str, list[list[float]]]]
) -> None:
    assert [(s, v) for s, v, _ in got] == [(s, v) for s, v, _ in want]
    for (_, _, g), (_, _, w) in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.array(g), np.array(w))  # NaN where NaN, every other value equal


def packed_series_days(path: Path) -> list[tuple[int, str, str, int]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT day, symbol, venue, n FROM bar_blocks ORDER BY day, symbol, venue"
        ).fetchall()


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "rows"])
def test_load_gives_the_rows_written_with_nulls_gaps_and_venues(tmp_path: Path, packed: bool) -> None:
    path = store(tmp_path, packed)
    if packed:  # the closed days are read from their blocks
        assert packed_series_days(path) == [
            (19_999, "BTC", "binance", 1),
            (20_000, "BTC", "binance", 2),
            (20_000, "BTC", "okx", 1),
            (20_000, "ETH", "okx", 1),
        ]
    btc_binance = [
        bar(D - STEP, price=100.0, oi=7.0),
        bar(D, price=101.0, funding=0.0001, funding_interval_h=8.0),
        bar(D + 2 * STEP, price=102.5, liq_long_usd=0.0),
    ]
    same(
        read(path, D - STEP),
        [
            ("BTC", "binance", btc_binance),
            ("BTC", "okx", [bar(D + STEP, price=99.5, ls_ratio=1.25)]),
            ("ETH", "binance", [bar(D + DAY, price=3.5)]),
            ("ETH", "okx", [bar(D, price=3.4, spot_volume_usd=12.0)]),
        ],
    )
    # A span starting and ending inside a packed day keeps only its bars; series with none are left out.
    same(
        read(path, D + STEP, D + 2 * STEP + 1),
        [("BTC", "binance", btc_binance[2:]), ("BTC", "okx", [bar(D + STEP, price=99.5, ls_ratio=1.25)])],
    )
    same(
        read(path, D - STEP, D + 1),
        [("BTC", "binance", btc_binance[:2]), ("ETH", "okx", [bar(D, price=3.4, spot_volume_usd=12.0)])],
    )
    assert read(path, D + 3 * STEP, D + DAY) == []


def test_writes_to_a_packed_day_are_read_back_and_the_day_packed_again(tmp_path: Path) -> None:
    path = store(tmp_path, packed=True)
    writer = HistoryStore(path, None, clock=lambda: NOW)
    writer.write_bars([row("BTC", "binance", D + STEP, price=101.75)])  # the gap filled late
    writer.write_bars([row("BTC", "okx", D + STEP, liq_short_usd=5.0)], merge=True)  # a merge keeps the price
    writer.write_bars([row("ETH", "okx", D, price=3.45)])  # replaced: its spot volume is unknown now
    writer.write_bars([row("ETH", "okx", D + 3 * STEP, price=3.5)])  # a series' new bar in a packed day
    want = [
        (
            "BTC",
            "binance",
            [
                bar(D, price=101.0, funding=0.0001, funding_interval_h=8.0),
                bar(D + STEP, price=101.75),
                bar(D + 2 * STEP, price=102.5, liq_long_usd=0.0),
            ],
        ),
        ("BTC", "okx", [bar(D + STEP, price=99.5, ls_ratio=1.25, liq_short_usd=5.0)]),
        ("ETH", "binance", [bar(D + DAY, price=3.5)]),
        ("ETH", "okx", [bar(D, price=3.45), bar(D + 3 * STEP, price=3.5)]),
    ]
    same(read(path, D), want)
    assert writer.seal(0) == 1  # only day D changed
    assert [k for k in packed_series_days(path) if k[0] == 20_000] == [
        (20_000, "BTC", "binance", 3),
        (20_000, "BTC", "okx", 1),
        (20_000, "ETH", "okx", 2),
    ]
    same(read(path, D), want)
    writer.close()
    # A writer with a retention prunes (the bars before D + STEP) and packs at its open, as the app's does.
    HistoryStore(path, retention_days=1.0, clock=lambda: NOW).close()
    assert packed_series_days(path) == [
        (20_000, "BTC", "binance", 2),
        (20_000, "BTC", "okx", 1),
        (20_000, "ETH", "okx", 1),
    ]
    same(
        read(path, 0),
        [
            (
                "BTC",
                "binance",
                [bar(D + STEP, price=101.75), bar(D + 2 * STEP, price=102.5, liq_long_usd=0.0)],
            ),
            ("BTC", "okx", [bar(D + STEP, price=99.5, ls_ratio=1.25, liq_short_usd=5.0)]),
            ("ETH", "binance", [bar(D + DAY, price=3.5)]),
            ("ETH", "okx", [bar(D + 3 * STEP, price=3.5)]),
        ],
    )


def test_blocks_whose_triggers_went_are_not_trusted(tmp_path: Path) -> None:
    # Changed behind perptop's back while a trigger was missing, a packed day no longer equals its rows.
    path = store(tmp_path, packed=True)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER bar_blocks_on_update")
        conn.execute("UPDATE bars SET price = 98.0 WHERE symbol = 'BTC' AND venue = 'okx'")
    [(_, _, bars)] = [x for x in read(path, D) if x[:2] == ("BTC", "okx")]
    assert bars[0][1] == 98.0
    HistoryStore(path, None, clock=lambda: NOW).close()  # a writer puts the trigger back...
    [(_, _, bars)] = [x for x in read(path, D) if x[:2] == ("BTC", "okx")]
    assert bars[0][1] == 98.0  # ...and drops the blocks it can no longer vouch for


OLD_NAMES = NAMES[:9]  # the bar columns after time before the added ones (premium ... funding_spread_8h)


def _old_layout_store(path: Path) -> None:
    """A store as the previous perptop left it, built by hand: a 9-value bars table and day D packed into
    blocks of that width (n x 10 floats), with the triggers that keep them."""
    from feeds.history.store_load import BLOCKS_SCHEMA

    conn = sqlite3.connect(path)
    conn.executescript(
        f"""
        CREATE TABLE bars (symbol TEXT NOT NULL, venue TEXT NOT NULL, time INTEGER NOT NULL,
            {", ".join(f"{c} REAL" for c in OLD_NAMES)}, PRIMARY KEY (time, symbol, venue)) WITHOUT ROWID;
        CREATE TABLE liquidations (venue TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('long', 'short')), usd REAL NOT NULL);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('step_ms', '{STEP}');
        """
    )
    for statement in BLOCKS_SCHEMA:
        conn.execute(statement)
    old = [
        (D, 101.0, 7.0, 0.0001, 8.0, 1.5, 0.0, 2.0, 3.0, 4.0),
        (D + STEP, 102.0, 7.5, 0.0002, 8.0, 1.6, 1.0, NAN, 3.5, 4.5),
    ]
    conn.executemany(
        f"INSERT INTO bars VALUES ({', '.join('?' * 12)})", [("BTC", "binance", *r) for r in old]
    )
    block = np.array(old, dtype="<f8")  # what the previous perptop packed: 2 bars x 10 columns
    conn.execute(
        "INSERT INTO bar_blocks (day, symbol, venue, n, data) VALUES (?, 'BTC', 'binance', 2, ?)",
        (D // DAY, block.tobytes()),
    )
    conn.commit()
    conn.close()


def test_a_store_of_the_old_width_migrates_and_its_packed_days_are_never_misread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.stores import run_cli

    path = tmp_path / "h.sqlite3"
    _old_layout_store(path)
    want = [
        bar(
            D,
            price=101.0,
            oi=7.0,
            funding=0.0001,
            funding_interval_h=8.0,
            ls_ratio=1.5,
            liq_long_usd=0.0,
            liq_short_usd=2.0,
            spot_volume_usd=3.0,
            futures_volume_usd=4.0,
        ),
        bar(
            D + STEP,
            price=102.0,
            oi=7.5,
            funding=0.0002,
            funding_interval_h=8.0,
            ls_ratio=1.6,
            liq_long_usd=1.0,
            spot_volume_usd=3.5,
            futures_volume_usd=4.5,
        ),
    ]  # the added columns unknown (NaN), never 0 and never the next bar's values
    code, out, err = run_cli(["store", "--migrate", "--store", str(path)], capsys, tmp_path)
    assert (code, err) == (0, "") and "kept all 2 bars" in out
    same(read(path, D), [("BTC", "binance", want)])
    # A block of the old width left in a migrated store (as another perptop might pack one) is not read...
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO bar_blocks (day, symbol, venue, n, data) VALUES (?, 'BTC', 'binance', 2, ?)",
            (D // DAY, np.full((2, 10), 9.0).tobytes()),
        )
    same(read(path, D), [("BTC", "binance", want)])
    # ...and a writer packs the day again at the new width, read back the same.
    writer = HistoryStore(path, None, clock=lambda: NOW)
    assert writer.seal(0) == 1
    writer.close()
    with sqlite3.connect(path) as conn:
        [(n, size)] = conn.execute("SELECT n, length(data) FROM bar_blocks").fetchall()
    assert (n, size) == (2, 2 * (1 + len(NAMES)) * 8)
    same(read(path, D), [("BTC", "binance", want)])
