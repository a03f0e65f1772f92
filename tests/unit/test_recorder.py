"""perptop record, store, export: closed bars reach the file, record runs headless, export round-trips."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from feeds.history.store import HistoryStore
from feeds.history.writer import HistoryWriter
from feeds.live.feed import VenueFeed
from feeds.messages import BarUpdate, History
from feeds.net.http_api import VenueApi
from feeds.records import Liquidation, Parsed
from feeds.sim import SimulatedMarket
from feeds.sim.source import DemoSource
from feeds.venues import make_adapter
from signals.columns import COLUMNS
from tests.support.paths import ROOT
from tui.cli import main
from tui.model.bars import BarStore
from tui.model.recording import HistoryRecorder

REPO = ROOT
STEP = 300_000
_NOW = int(time.time() * 1000)
T0 = _NOW - _NOW % STEP - 3 * STEP


def _recording(path: Path, symbols: list[str], venues: list[str]) -> tuple[BarStore, HistoryRecorder]:
    writer = HistoryWriter(path, step_ms=STEP)
    writer.start()
    store = BarStore(symbols, venues, 50, STEP)
    recorder = HistoryRecorder(writer, lambda: store.symbols)
    recorder.attach(store)
    return store, recorder


def _stored(path: Path, symbol: str, venue: str) -> np.ndarray:
    reader = HistoryStore(path, None, readonly=True)
    try:
        found = reader.load([symbol], [venue], 0)
    finally:
        reader.close()
    return found[0].bars if found else np.empty((0, len(COLUMNS)))


def test_a_bar_is_written_with_its_final_state_when_the_next_opens(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store, recorder = _recording(path, ["BTC"], ["binance", "okx"])
    writer = recorder.writer
    store.apply([BarUpdate("binance", "BTC", T0, 100.0, oi=10.0)])
    store.apply([BarUpdate("binance", "BTC", T0 + 60_000, 101.0, oi=10.5)])  # same bar, later
    assert writer.flush(5) and writer.bars_written == 0  # the bar is still open
    store.apply([BarUpdate("binance", "BTC", T0 + STEP, 102.0, oi=11.0)])  # the next bar opens
    # late liquidations of the closed bar arrive with the previous bar's total
    store.apply([BarUpdate("binance", "BTC", T0, 101.0, oi=10.5, liq_long_usd=5e5)])
    assert writer.flush(5)
    bars = _stored(path, "BTC", "binance")
    assert bars[:, 0].tolist() == [T0] and bars[0, 1:3].tolist() == [101.0, 10.5] and bars[0, 6] == 5e5
    assert len(_stored(path, "BTC", "okx")) == 0  # a venue without a price has no bar to write
    recorder.write_current(store)
    writer.close()
    assert _stored(path, "BTC", "binance")[:, 0].tolist() == [T0, T0 + STEP]


def test_demo_bars_in_the_file_equal_the_bars_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    market = SimulatedMarket(["BTC", "ETH"], seed=3, start_ms=T0, history_bars=20)
    store, recorder = _recording(path, ["BTC", "ETH"], list(market.venues))
    writer = recorder.writer
    source = DemoSource(market, live=False, clock=lambda: T0)
    source.attach(store)  # the simulated history is merged in
    source.step(3 * STEP / 1000 + 30)  # three bars close
    writer.close()
    for symbol in ("BTC", "ETH"):
        for venue in market.venues:
            held = store.series(symbol, venue)
            held = held[~np.isnan(held[:, 1])][:-1]  # closed bars (the current one was not written)
            stored = _stored(path, symbol, venue)
            assert len(stored) == len(held) == 23
            np.testing.assert_array_equal(stored, held)


def test_history_merges_and_keeps_recorded_liquidations(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store, recorder = _recording(path, ["BTC"], ["bybit"])
    writer = recorder.writer
    store.apply([BarUpdate("bybit", "BTC", T0, 100.0, liq_short_usd=7e5)])
    store.apply([BarUpdate("bybit", "BTC", T0 + STEP, 100.0)])
    bars = np.full((1, len(COLUMNS)), np.nan)
    bars[0, :3] = [T0, 99.5, 12.0]  # the backfill: price and OI, no liquidations
    store.load_history([History("bybit", "BTC", bars)], merge=True)
    writer.close()
    got = _stored(path, "BTC", "bybit")[0]
    assert got[1:3].tolist() == [99.5, 12.0] and got[7] == 7e5


def test_live_liquidation_events_are_written_and_still_reach_the_feed(tmp_path: Path) -> None:
    def parse(raw: object, listings: object) -> Parsed[Liquidation]:
        return Parsed(
            [
                Liquidation("okx", "BTC-USDT-SWAP", "BTC", T0 + 5, "long", 100.0, 2.0, 200.0),
                Liquidation("okx", "DOGE-USDT-SWAP", "DOGE", T0 + 6, "short", 0.1, 10.0, 1.0),
            ]
        )

    writer = HistoryWriter(tmp_path / "h.sqlite3")
    writer.start()
    adapter = make_adapter("okx")
    adapter.ws_parse = parse  # type: ignore[method-assign]
    api = VenueApi("okx", httpx.AsyncClient(), {"rest": "http://okx.test"}, adapter.budgets)
    feed = VenueFeed(
        adapter,
        api,
        ["BTC"],
        step_ms=STEP,
        poll_s=10.0,
        publish=lambda u: None,
        publish_history=lambda h: None,
        history_bars_n=0,
        ws_url="",
        clock=lambda: T0 + 10,
    )
    feed.on_liquidations = HistoryRecorder(writer, lambda: ["BTC"]).liquidations
    seen: list[list[Liquidation]] = []
    real = feed.assembler.add_liquidations

    def add(events: list[Liquidation], wanted: set[str], now_ms: int) -> int:
        seen.append(list(events))
        return real(events, wanted, now_ms)

    feed.assembler.add_liquidations = add  # type: ignore[method-assign]
    feed.absorb_stream({})
    assert [len(events) for events in seen] == [2]  # the feed sees what the parser made
    writer.close()
    assert HistoryStore(tmp_path / "h.sqlite3", None).liquidations() == [
        ("okx", "BTC", T0 + 5, "long", 200.0)
    ]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, str, str]:
    """``perptop ARGV`` through the real command line, with an empty config of its own."""
    config = tmp_path / "config.toml"
    config.write_text("")
    code = main([*argv, "--config", str(config)])
    out, err = capsys.readouterr()
    return code, out, err


def _two_venue_store(path: Path) -> None:
    """Two venues, one bar, figures chosen to work out by hand."""
    nan = math.nan
    # premium, spot price, taker buy / sell, spot taker buy / sell, top traders' ratio, funding spread
    added_binance = (0.001, 99.9, 300.0, 100.0, 50.0, 70.0, 1.5, nan)
    added_okx = (-0.002, 101.5, 200.0, nan, nan, nan, 0.5, nan)
    store = HistoryStore(path)
    store.write_bars(
        [
            ("BTC", "binance", T0, 100.0, 10.0, 0.0001, 8.0, 2.0, 1000.0, nan, 5e6, 2e7, *added_binance),
            ("BTC", "okx", T0, 102.0, 5.0, 0.0002, 4.0, nan, 500.0, 300.0, nan, 1e7, *added_okx),
            ("ETH", "binance", T0, 3000.0, 1.0, nan, 8.0, nan, nan, nan, nan, nan) + (nan,) * 8,
            ("BTC", "binance", T0 + STEP, 100.0, 10.0, 0.0001, 8.0, 2.0, 0.0, nan, 5e6, 2e7) + (nan,) * 8,
            ("BTC", "okx", T0 + STEP, 102.0, 5.0, 0.0002, 4.0, nan, 0.0, 0.0, nan, 1e7) + (nan,) * 8,
        ]
    )
    store.set_meta("step_ms", str(STEP))
    store.close()


def test_export_writes_the_cross_venue_series_as_worked_out_by_hand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from feeds.history.csvfile import read_history_csv

    path, csv = tmp_path / "h.sqlite3", tmp_path / "out.csv"
    _two_venue_store(path)
    code, out, err = _run(
        ["export", "--store", str(path), "--csv", str(csv), "--symbols", "BTC,SOL"], capsys, tmp_path
    )
    assert code == 0, err
    assert "not in the store: SOL" in err and "wrote 2 bars of 1 symbol (cross-venue)" in out
    got = read_history_csv(csv)
    [bars] = got.series.values()
    t, price, oi, funding, interval, ls, liq_long, liq_short, spot, fut, *added = bars[0].tolist()
    assert t == T0 and price == pytest.approx(101.0)  # mean of the venues' prices
    assert oi == pytest.approx((10 * 100 + 5 * 102) / 101)  # USD OI summed, in coins at the mean price
    # funding per 8 h (okx 0.0002 per 4 h = 0.0004), weighted by USD OI 1000 : 510
    assert funding == pytest.approx((0.0001 * 1000 + 0.0004 * 510) / 1510) and interval == 8.0
    assert ls == pytest.approx(2.0)  # only binance has a long/short ratio
    assert (liq_long, liq_short, spot, fut) == (1500.0, 300.0, 5e6, 3e7)
    premium, spot_price, buy, sell, spot_buy, spot_sell, ls_top, funding_spread = added
    assert premium == pytest.approx((0.001 * 1000 - 0.002 * 510) / 1510)  # weighted by USD OI, as funding
    assert ls_top == pytest.approx((1.5 * 1000 + 0.5 * 510) / 1510)
    assert spot_price == 99.9  # the first venue's (binance), not a mean of two venues' spot pairs
    # summed over the venues that have them
    assert (buy, sell, spot_buy, spot_sell) == (500.0, 100.0, 50.0, 70.0)
    assert funding_spread == pytest.approx(0.0004 - 0.0001)  # okx 0.0002 per 4 h is 0.0004 per 8 h


def test_export_of_one_venue_round_trips_its_bars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from feeds.history.csvfile import read_history_csv

    path, csv = tmp_path / "h.sqlite3", tmp_path / "okx.csv"
    _two_venue_store(path)
    code, _, err = _run(
        ["export", "--store", str(path), "--csv", str(csv), "--venue", "okx"], capsys, tmp_path
    )
    assert code == 0, err
    got = read_history_csv(csv)
    np.testing.assert_array_equal(got.series["BTC"], _stored(path, "BTC", "okx"))
    code, _, err = _run(
        ["export", "--store", str(path), "--csv", str(csv), "--since", "2100-01-01"], capsys, tmp_path
    )
    assert code == 1 and "no bars to write" in err


def test_store_command_prints_what_the_file_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "h.sqlite3"
    code, out, _ = _run(["store", "--store", str(path)], capsys, tmp_path)
    assert code == 0 and "not created yet" in out and not path.exists()
    _two_venue_store(path)
    code, out, _ = _run(["store", "--store", str(path)], capsys, tmp_path)
    assert code == 0
    assert str(path) in out and "5 bars, 0 liquidations" in out and "symbols (2): BTC, ETH" in out
    assert "retention: 30 days" in out and "5-minute bars" in out and "size on disk" in out


def test_status_line_cuts_a_venue_error_at_a_word_and_counts_in_the_singular(tmp_path: Path) -> None:
    from feeds.messages import VenueStatus
    from tui.cli.record import status_line

    path = tmp_path / "h.sqlite3"
    writer = HistoryWriter(path, step_ms=STEP)  # not started: only its counters are read
    writer.bars_written, writer.liquidations_written = 10, 4
    blocked = "HTTP 451 Service unavailable from a restricted location according to 'b. Eligibility'"
    health = [VenueStatus("binance", "blocked", blocked), VenueStatus("okx", "ok")]
    line = status_line(T0, 1, writer, health, path, 3)
    # 60 characters: the words that fit in 59 end at "location" (55), then the ellipsis; before, the
    # cut was at 60 characters, inside "according" ("... location acco").
    assert " | binance blocked (HTTP 451 Service unavailable from a restricted location…), okx ok | " in line
    assert " | 1 symbol | " in line and " | liquidations 4 | " in line
    assert "\n" not in line


def test_status_line_of_a_source_without_liquidation_events_does_not_claim_zero(tmp_path: Path) -> None:
    from feeds.messages import VenueStatus
    from tui.cli.record import status_line

    path = tmp_path / "h.sqlite3"
    writer = HistoryWriter(path, step_ms=STEP)
    line = status_line(T0, 2, writer, [VenueStatus("simA", "ok")], path, 0, liquidation_events=False)
    assert " | liquidations in bars | " in line and "liquidations 0" not in line
    assert " | 2 symbols | " in line


_RECORD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from tui.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_record_demo_writes_bars_prints_status_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    (tmp_path / "config.toml").write_text("")
    argv = [
        "record",
        "--demo",
        "--watchlist",
        "BTC,ETH",
        "--speed",
        "600",
        "--status-every",
        "1",
        "--store",
        str(path),
        "--config",
        str(tmp_path / "config.toml"),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-c", _RECORD.format(repo=str(REPO)), *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": ""},
    )
    assert proc.stdout is not None
    lines = []
    while len([x for x in lines if "bars written" in x]) < 3:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "recorder died"
        lines.append(line)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    status = [x for x in lines if "bars written" in x][-1]
    # the simulated market has no liquidation events (its liquidations are bar totals): no "liquidations 0"
    assert "2 symbols" in status and "simA ok" in status and "liquidations in bars" in status
    assert "stopped;" in out and "written (liquidations in bars)" in out and "0 liquidations" not in out
    reader = HistoryStore(path, None, readonly=True)
    info = reader.summary()
    assert info["symbols"] == ["BTC", "ETH"] and info["step_ms"] == STEP
    # the week of simulated history plus what ran at 600x (a bar every ~0.5 s), current bar included
    assert info["bars"] > 2 * 4 * 2016
    last = reader.load(["BTC"], ["simA"], info["last_ms"])[0].bars
    assert not np.isnan(last[0, 1])


def test_record_keeps_events_in_the_store_and_delivers_alerts(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    log = tmp_path / "alerts.jsonl"
    (tmp_path / "config.toml").write_text(f'[[alerts]]\nflags = ["*"]\ncooldown = "0s"\nlog = {str(log)!r}\n')
    argv = [
        "record",
        "--demo",
        "--speed",
        "600",
        "--status-every",
        "1",
        "--store",
        str(path),
        "--config",
        str(tmp_path / "config.toml"),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-c", _RECORD.format(repo=str(REPO)), *argv],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": ""},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    status = ""
    while "alerts 0 " in status or "alerts" not in status:
        assert time.monotonic() < deadline, "no alert in a minute of the simulated market at 600x"
        status = proc.stdout.readline()
        assert status, proc.stderr.read() if proc.stderr else "recorder died"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    reader = HistoryStore(path, None, readonly=True)
    events = reader.events()
    reader.close()
    alerted = [json.loads(doc) for *_, doc in events if json.loads(doc)["alerted"]]
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert events and alerted and len(logged) == len(alerted)
    assert "events written" in out
