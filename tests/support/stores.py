"""History stores the tests build (current and older layouts), and ``perptop`` run in this process."""

from __future__ import annotations

import io
import sqlite3
import time
from pathlib import Path

import pytest

from feeds.history.store import HistoryStore
from tui.cli import main

STEP = 300_000
_NOW = int(time.time() * 1000)
T0 = _NOW - _NOW % STEP - 2 * 86_400_000  # two days back: inside the default 30-day retention
VALUES = (
    "price",
    "oi",
    "funding",
    "funding_interval_h",
    "ls_ratio",
    "liq_long_usd",
    "liq_short_usd",
    "spot_volume_usd",
    "futures_volume_usd",
    "premium",
    "spot_price",
    "taker_buy_usd",
    "taker_sell_usd",
    "spot_taker_buy_usd",
    "spot_taker_sell_usd",
    "ls_top_position",
    "funding_spread_8h",
)  # the bar columns of SIGNALS.md after time (with its "Added columns")
OLD_VALUES = VALUES[:7]  # an older bars table: neither the two volume columns nor the added ones there yet
ADDED = VALUES[7:]  # what a migration of that table adds, in order


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, str, str]:
    config = tmp_path / "config.toml"
    config.write_text("")
    code = main([argv[0], "--config", str(config), *argv[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def run_record_cli(argv: list[str], tmp_path: Path) -> tuple[int, str, str]:
    """``perptop record ARGV`` in this process (its output streams given: they are bound at import)."""
    from tui.cli import build_config, build_parser
    from tui.cli.record import run_record

    config = tmp_path / "config.toml"
    config.write_text("")
    args = build_parser().parse_args(["record", "--config", str(config), *argv])
    out, err = io.StringIO(), io.StringIO()
    code = run_record(build_config(args), args, out, err)
    return code, out.getvalue(), err.getvalue()


def good_store(path: Path, bars: int = 2000) -> Path:
    """A store of ``bars`` 5-minute BTC bars on binance, closed (its WAL folded into the file)."""
    store = HistoryStore(path, None)
    store.set_meta("step_ms", str(STEP))
    store.write_bars(
        [("BTC", "binance", T0 + i * STEP, 100.0 + i, *([1.0] * (len(VALUES) - 1))) for i in range(bars)]
    )
    store.close()
    return path


def older_store(path: Path, bars: int = 50) -> Path:
    """A store whose bars table predates the volume columns (the rest as perptop writes it)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        f"""
        CREATE TABLE bars (
            symbol TEXT NOT NULL, venue TEXT NOT NULL, time INTEGER NOT NULL,
            {", ".join(f"{c} REAL" for c in OLD_VALUES)},
            PRIMARY KEY (time, symbol, venue)
        ) WITHOUT ROWID;
        CREATE TABLE liquidations (
            venue TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('long', 'short')), usd REAL NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('step_ms', '{STEP}');
        """
    )
    conn.executemany(
        f"INSERT INTO bars VALUES ({', '.join('?' * (3 + len(OLD_VALUES)))})",
        [
            ("BTC", "binance", T0 + i * STEP, 100.0 + i, 5.0 + i, 0.0001, 8.0, 1.5, 10.0, 20.0)
            for i in range(bars)
        ],
    )
    conn.commit()
    conn.close()
    return path
