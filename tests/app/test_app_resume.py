"""The live app and the history store: its bars reach the file, and a restart resumes from it before any poll."""

from __future__ import annotations

import math
import socket
import time
from pathlib import Path

import numpy as np

from feeds.history.bar_rows import history_rows
from feeds.history.store import HistoryStore
from feeds.history.writer import HistoryWriter
from feeds.live.source import LiveSource
from feeds.messages import ALL
from signals.columns import COLUMNS, Col
from tests.fake_exchange import FakeExchange
from tests.support.live import options, until
from tui.app import PerptopApp
from tui.config.loader import AppConfig

STEP = 300_000
WEEK_BARS = 7 * 288


def _unreachable() -> dict[str, dict[str, str]]:
    """Bybit pointed at a loopback port nobody listens on: no poll ever returns data."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return {"bybit": {"base_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"}}


def _app(tmp_path: Path, source: LiveSource, writer: HistoryWriter) -> PerptopApp:
    watch = tuple(source.symbols)
    config = AppConfig(
        watchlist=watch,
        config_watchlist=watch,
        state_path=tmp_path / "state.json",
        poll_interval=source.poll_s,
        paint_interval=0.25,
    )
    return PerptopApp(config, mode="live", source=source, history=writer)


def _writer(path: Path) -> HistoryWriter:
    writer = HistoryWriter(path, step_ms=STEP)
    writer.start()
    return writer


def _weak_rally_week(
    path: Path, symbols: tuple[str, ...] = ("BTC",), bars_n: int = WEEK_BARS, missing_last: int = 0
) -> None:
    """A week of BTC bars on bybit up to the last closed bar; on that bar price +2.5 % and OI -3 % over 4 h.

    By SIGNALS.md (W = 4h, p = q = 1 %) that bar has weak_rally on and no other directional flag: funding
    0.01 %/8h is under funding_hi and funding_extreme, L/S 1.5 is between ls_short and ls_long, OI falls.
    """
    from feeds.messages import History

    now = int(time.time() * 1000)
    last = now - now % STEP - STEP * (1 + missing_last)
    bars = np.full((bars_n, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = last - STEP * np.arange(bars_n)[::-1]
    (
        bars[:, Col.PRICE],
        bars[:, Col.OI],
        bars[:, Col.FUNDING],
        bars[:, Col.FUNDING_INTERVAL_H],
        bars[:, Col.LS_RATIO],
    ) = (100.0, 1000.0, 0.0001, 8.0, 1.5)
    bars[-1, Col.PRICE], bars[-1, Col.OI] = 102.5, 970.0
    store = HistoryStore(path)
    store.write_bars(history_rows([History("bybit", symbol, bars) for symbol in symbols]))
    store.set_meta("step_ms", str(STEP))
    store.close()


async def test_a_restart_resumes_rows_and_flags_from_the_store_before_any_poll_returns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    _weak_rally_week(path)
    src = LiveSource(["BTC"], ["bybit"], 0.5, _unreachable(), timeout_s=1.0, backfill=False)
    app = _app(tmp_path, src, _writer(path))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(lambda: app.resumed_bars > 0, timeout=10, what="history resumed")
        assert app.resumed_bars == WEEK_BARS
        await until(lambda: ("BTC", ALL) in app.rows, timeout=5, what="BTC row")
        row = app.rows[("BTC", ALL)]
        assert row.price == 102.5
        assert math.isclose(row.oi_change, 970.0 / 1000.0 - 1)
        assert [f.code for f in row.flags] == ["WR"]
        # nothing came from the venue: every figure on screen is the stored week's
        assert all(s.state != "ok" for s in src.health(src.clock()).venues)
        await pilot.press("q")
    assert app.close_history()


async def test_a_live_session_writes_its_bars_and_the_next_session_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    async with FakeExchange(["BTC"]) as fx:
        src = LiveSource(["BTC"], ["bybit"], 0.5, options(fx), timeout_s=1.0, backfill=False, ws_ping_s=0.5)
        app = _app(tmp_path, src, _writer(path))
        async with app.run_test(size=(160, 40)) as pilot:
            await until(
                lambda: ("BTC", ALL) in app.rows and not math.isnan(app.rows[("BTC", ALL)].price),
                timeout=10,
                what="BTC row priced",
            )
            seen = app.rows[("BTC", ALL)].price
            await pilot.press("q")
        assert app.close_history()  # the current bar is written at exit
    reader = HistoryStore(path, None, readonly=True)
    [stored] = reader.load(["BTC"], ["bybit"], 0)
    reader.close()
    assert stored.bars[-1, Col.PRICE] == seen

    # The venue is gone now; the restarted monitor still shows what the last session saw.
    src = LiveSource(["BTC"], ["bybit"], 0.5, _unreachable(), timeout_s=1.0, backfill=False)
    again = _app(tmp_path, src, _writer(path))
    async with again.run_test(size=(160, 40)) as pilot:
        await until(lambda: ("BTC", ALL) in again.rows, timeout=10, what="BTC row resumed")
        assert again.rows[("BTC", ALL)].price == seen
        await pilot.press("q")
    assert again.close_history()


async def test_a_symbol_added_with_a_resumes_its_stored_bars(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    _weak_rally_week(path, ("BTC", "ETH"))
    src = LiveSource(["BTC"], ["bybit"], 0.5, _unreachable(), timeout_s=1.0, backfill=False)
    app = _app(tmp_path, src, _writer(path))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(lambda: app.resumed_bars == WEEK_BARS, timeout=10, what="BTC resumed")
        assert ("ETH", ALL) not in app.rows
        await pilot.press("a", *"eth", "enter")
        await until(lambda: app.resumed_bars == 2 * WEEK_BARS, timeout=10, what="ETH resumed")
        await until(
            lambda: ("ETH", ALL) in app.rows and app.rows[("ETH", ALL)].price == 102.5,
            timeout=5,
            what="ETH row from the store",
        )
        assert [f.code for f in app.rows[("ETH", ALL)].flags] == ["WR"]
        await pilot.press("q")
    assert app.close_history()


async def test_after_a_restart_the_backfill_asks_only_for_the_bars_the_store_lacks(tmp_path: Path) -> None:
    from signals.params import SignalParams
    from tui.model.bars import capacity_for

    path = tmp_path / "history.sqlite3"
    held = capacity_for(SignalParams(), STEP, 24.0)  # the whole backfill window...
    _weak_rally_week(path, bars_n=held, missing_last=12)  # ...but for its last hour (12 closed bars)
    now = int(time.time() * 1000)
    first_missing = now - now % STEP - 12 * STEP
    async with FakeExchange(["BTC"]) as fx:
        src = LiveSource(["BTC"], ["bybit"], 0.5, options(fx), timeout_s=1.0, backfill=True, ws_ping_s=0.5)
        app = _app(tmp_path, src, _writer(path))
        async with app.run_test(size=(160, 40)) as pilot:
            await until(
                lambda: "bybit" in src.feeds and "BTC" in src.feeds["bybit"].backfill_done,
                timeout=20,
                what="bybit backfill done",
            )
            klines = [
                r.params
                for r in fx.log
                if r.path == "/v5/market/kline" and r.params.get("category") == "linear"
            ]
            # a full week would be three pages of 1000 five-minute bars from a week back
            assert len(klines) == 1 and int(klines[0]["start"]) == first_missing
            await pilot.press("q")
        assert app.close_history()
