"""Replay: the UI driven by history (Pilot), its keys and pace, and its flags against the backtest's."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from textual.widgets import Static

from feeds.history.replay import REPLAY_VENUE, ReplaySource
from feeds.messages import ALL
from signals.columns import COLUMNS, Col
from signals.evaluate import LatestCache, evaluate
from signals.flags import FLAG_NAMES
from signals.params import SignalParams
from tests.support.history import real_binance_btc, replay_store, sim_series
from tui.config.loader import AppConfig
from tui.model.store_flags import evaluate_store
from tui.replay_app import replay_app

STEP = 300_000  # 5-minute bars
START_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC
SIZE = (160, 40)
# A 12 h lookback instead of 7 days: the simulated history then leaves ~1,800 bars to replay.
SHORT = SignalParams(lookback_h=12.0, liq_quantile=0.9)


def hourly_series(n: int) -> dict[str, np.ndarray]:
    """``n`` hourly bars of one symbol from 2026-01-01 00:00 UTC (price only)."""
    bars = np.full((n, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = START_MS + 3_600_000 * np.arange(n)
    bars[:, Col.PRICE] = 100.0 + np.arange(n) * 0.1
    return {"BTC": bars}


def batch_on(table: object, k: int) -> set[str]:
    return {n for n in FLAG_NAMES if table.fired[n][k]}  # type: ignore[attr-defined]


def assert_replay_equals_batch(
    series: dict[str, np.ndarray],
    step: int,
    params: SignalParams,
    venues: tuple[str, ...] = (REPLAY_VENUE, ALL),
) -> dict[str, int]:
    """Step a replay bar by bar; at each bar k the flags of every replayed series (the venue row and the
    cross-venue row the watchlist shows) equal ``signals.evaluate(bars)`` at k. Returns how often each fired."""
    source = ReplaySource(series, step, params, live=False)
    store = replay_store(source, params)
    tables = {s: evaluate(b, params, step) for s, b in series.items()}
    cache = LatestCache()
    seen = dict.fromkeys(FLAG_NAMES, 0)
    steps = 0
    while True:
        k = source.position
        results = evaluate_store(store, params, cache, venues=list(venues), reasons=False)
        for s in series:
            expected = batch_on(tables[s], k)
            for name in expected:
                seen[name] += 1
            for venue in venues:
                shown = {f.name for f in results[(s, venue)].flags}
                assert shown == expected, (
                    f"{s} {venue} bar {k}: replay {sorted(shown)} != batch {sorted(expected)}"
                )
        steps += 1
        if not source.step_bar():
            break
    assert steps > 100
    return seen


def test_replay_flags_equal_the_backtest_flags_at_every_bar() -> None:
    seen = assert_replay_equals_batch(sim_series(["BTC", "ETH"]), STEP, SHORT)
    # Each flag fired somewhere in the replayed range, so the comparison covered every rule.
    assert all(seen[name] > 0 for name in FLAG_NAMES), seen


def test_replay_of_real_binance_candles_and_funding_equals_the_backtest(tmp_path: Path) -> None:
    seen = assert_replay_equals_batch(
        {"BTC": real_binance_btc(tmp_path)}, 3_600_000, SignalParams(), venues=(REPLAY_VENUE,)
    )
    assert seen["funding_flip"] > 0, seen


def test_a_week_of_five_minute_bars_replays_its_last_day_and_still_equals_the_backtest() -> None:
    # A store a week deep: the default 7-day lookback would leave one bar to play. A day is played, and the
    # flags still equal the batch ones at each bar (cascade_risk, whose lookback is not full, is off in both).
    series = sim_series(["BTC"])
    source = ReplaySource(series, 300_000, SignalParams(), live=False)
    assert source.total < 7 * 288 + 24 and source.total - source.preload == 288  # a day of 5-minute bars
    assert_replay_equals_batch(series, 300_000, SignalParams())


def test_cross_venue_row_of_a_history_without_open_interest_keeps_its_funding_flags(tmp_path: Path) -> None:
    assert_replay_equals_batch({"BTC": real_binance_btc(tmp_path)}, 3_600_000, SignalParams(), venues=(ALL,))


def test_file_without_symbol_column_replays_as_the_file_stem(tmp_path: Path) -> None:
    from feeds.history.csvfile import write_history_csv
    from tui.cli.replay import add_parser, load_source

    path = tmp_path / "btc-hourly.csv"
    write_history_csv(path, {"": hourly_series(200)["BTC"]}, 3_600_000)
    import argparse

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["replay", str(path)])
    source = load_source(AppConfig(), args)
    assert source.symbols == ["btc-hourly"] and source.venues == [REPLAY_VENUE]
    assert source.speed == 1000.0  # one bar a second would be 3600x: clamped to the 1000x maximum


def test_speed_sets_the_pace_and_pause_stops_it() -> None:
    source = ReplaySource(sim_series(["BTC"]), STEP, SHORT, speed=600.0, live=False)
    store = replay_store(source, SHORT)
    start = source.position
    # 600x on 5-minute bars: one bar every 0.5 s of wall time.
    assert source.advance(1.0) == 2
    assert source.advance(0.25) == 0
    assert source.advance(0.25) == 1
    assert source.position == start + 3 and store.current_time == source.current_ms
    source.toggle_pause()
    assert source.advance(10.0) == 0 and source.position == start + 3
    source.toggle_pause()
    source.set_speed(5000.0)
    assert source.speed == 1000.0  # clamped
    assert source.advance(0.3) == 1  # 1000x: a 5-minute bar every 0.3 s


def banner(app: object) -> str:
    return str(app.query_one("#banner", Static).render())  # type: ignore[attr-defined]


async def until(pilot: object, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    end = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < end, "timed out"
        await pilot.pause(0.05)  # type: ignore[attr-defined]


async def test_header_says_replay_and_the_time_space_pauses_dot_steps_one_bar() -> None:
    source = ReplaySource(hourly_series(300), 3_600_000, SignalParams(), speed=100.0, live=False)
    app = replay_app(AppConfig(), source, clock=lambda: START_MS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # Default windows on hourly bars need 169 bars (7 days + 1 h): the first bar shown opens on day 8.
        assert "REPLAY" in banner(app) and "2026-01-08 00:00 UTC" in banner(app)
        assert "bar 169/300" in banner(app)
        await pilot.press("full_stop")
        assert "2026-01-08 01:00 UTC" in banner(app) and "PAUSED" in banner(app)
        assert app.store.current_time == START_MS + 169 * 3_600_000
        await pilot.press("full_stop")
        assert app.store.current_time == START_MS + 170 * 3_600_000 and "bar 171/300" in banner(app)
        await pilot.press("space")
        assert source.paused is False and "playing" in banner(app)
        await pilot.press("space")
        assert source.paused is True and "PAUSED" in banner(app)
        await pilot.press("plus")
        assert source.speed == 200.0 and "200x" in banner(app)


async def test_flags_on_screen_are_the_batch_flags_of_the_replayed_bar() -> None:
    series = sim_series(["BTC", "ETH"])
    tables = {s: evaluate(b, SHORT, STEP) for s, b in series.items()}
    source = ReplaySource(series, STEP, SHORT, live=False)
    app = replay_app(AppConfig(signals=SHORT), source, clock=lambda: START_MS)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown_any = 0
        for _ in range(40):
            await pilot.press("full_stop")
            k = source.position
            for s in series:
                shown = {f.name for f in app.rows[(s, ALL)].flags}
                assert shown == batch_on(tables[s], k)
                shown_any += len(shown)
        assert shown_any > 0


async def test_the_replay_loop_plays_in_real_time_and_space_stops_it() -> None:
    series = sim_series(["BTC"])
    source = ReplaySource(series, STEP, SHORT, speed=1000.0)  # a 5-minute bar every 0.3 s
    config = AppConfig(signals=SHORT, paint_interval=0.1)
    app = replay_app(config, source, clock=lambda: START_MS)
    async with app.run_test(size=SIZE) as pilot:
        start = source.position
        await until(pilot, lambda: source.position >= start + 2)
        await pilot.press("space")
        stopped = source.position
        await asyncio.sleep(0.7)
        await pilot.pause()
        assert source.position == stopped
        assert app.store.current_time == source.current_ms
        await until(pilot, lambda: f"bar {stopped + 1:,}/" in banner(app))


def test_from_store_replays_every_stored_venue(tmp_path: Path) -> None:
    import argparse

    from feeds.history.bar_rows import history_rows
    from feeds.history.store import HistoryStore
    from feeds.messages import History
    from tui.cli.replay import add_parser, load_source

    path = tmp_path / "history.sqlite3"
    bars = hourly_series(30)["BTC"]
    writer = HistoryStore(path, None)
    writer.set_meta("step_ms", "3600000")
    writer.write_bars(history_rows([History("binance", "BTC", bars), History("okx", "BTC", bars[5:])]))
    writer.close()
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    source = load_source(AppConfig(), parser.parse_args(["replay", "--from-store", "--store", str(path)]))
    assert source.symbols == ["BTC"] and source.venues == ["binance", "okx"]
    assert source.step_ms == 3_600_000 and source.total == 30
