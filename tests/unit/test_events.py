"""Events: flag edges at closed bars equal the backtest's events; the rules' cooldown, cap and hysteresis.

The expected events come from ``signals.evaluate`` over the whole series and ``rising_edges`` (what
``perptop backtest`` scores), never from the event code itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feeds.history.replay import REPLAY_VENUE, ReplaySource
from feeds.history.store import HistoryStore
from feeds.history.writer import HistoryWriter
from feeds.messages import ALL
from signals.columns import Col
from signals.evaluate import evaluate
from signals.flags import FLAG_NAMES
from signals.params import SignalParams
from signals.scoring import rising_edges
from tests.support.history import real_binance_btc, replay_store, sim_series
from tui.alerts.events import Event
from tui.alerts.rules import AlertRules
from tui.alerts.service import EventService
from tui.config.alerts import AlertRule, EventSettings, Threshold
from tui.model.hit_rates import FlagRecord

STEP = 300_000
H = 3_600_000
SHORT = SignalParams(lookback_h=12.0, liq_quantile=0.9)


def _replay_events(
    series: dict[str, np.ndarray], step: int, params: SignalParams, settings: EventSettings
) -> tuple[ReplaySource, list[Event]]:
    """Replay ``series`` bar by bar through a bar store watched by an EventService; every event it made."""
    source = ReplaySource(series, step, params, live=False)
    store = replay_store(source, params)
    service = EventService(params, settings, [], lambda: store.symbols, lambda: 0)
    service.attach(store)
    while source.step_bar():
        pass
    service.finish(store)
    return source, service.latest()[::-1]


def _expected_edges(bars: np.ndarray, step: int, params: SignalParams, first: int) -> dict[str, set[int]]:
    """Bar times of each flag's rising edges, as the backtest finds them, from bar index ``first`` on."""
    table = evaluate(bars, params, step)
    times = bars[:, Col.TIME].astype(np.int64)
    return {n: {int(times[i]) for i in rising_edges(table.fired[n]) if i >= first} for n in FLAG_NAMES}


def _falling_edges(bars: np.ndarray, step: int, params: SignalParams, first: int) -> dict[str, set[int]]:
    table = evaluate(bars, params, step)
    times = bars[:, Col.TIME].astype(np.int64)
    out = {}
    for n in FLAG_NAMES:
        fired = table.fired[n]
        idx = np.flatnonzero(~fired[1:] & fired[:-1]) + 1
        out[n] = {int(times[i]) for i in idx if i >= first}
    return out


def _by_flag(events: list[Event], kind: str, symbol: str, venue: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {n: set() for n in FLAG_NAMES}
    for e in events:
        if e.kind == kind and e.symbol == symbol and e.venue == venue and e.flag is not None:
            out[e.flag].add(e.time_ms)
    return out


def test_replayed_flag_events_are_the_backtests_rising_and_falling_edges() -> None:
    series = sim_series(["BTC", "ETH"])
    source, events = _replay_events(series, STEP, SHORT, EventSettings(per_venue=True))
    first = source.preload - 1  # the first bar that closes while the replay plays
    covered = 0
    for symbol, bars in series.items():
        expected_on = _expected_edges(bars, STEP, SHORT, first)
        expected_off = _falling_edges(bars, STEP, SHORT, first)
        for venue in (ALL, REPLAY_VENUE):
            assert _by_flag(events, "flag_on", symbol, venue) == expected_on, (symbol, venue)
            assert _by_flag(events, "flag_off", symbol, venue) == expected_off, (symbol, venue)
        covered += sum(len(v) for v in expected_on.values())
    assert covered > 20  # the comparison saw real edges, not two empty sets


def test_real_binance_history_flag_on_events_equal_the_backtest_events(tmp_path: Path) -> None:
    bars = real_binance_btc(tmp_path)
    params = SignalParams()
    source, events = _replay_events({"BTC": bars}, H, params, EventSettings(per_venue=True))
    expected = _expected_edges(bars, H, params, source.preload - 1)
    assert _by_flag(events, "flag_on", "BTC", REPLAY_VENUE) == expected
    assert sum(len(v) for v in expected.values()) > 10
    # An event is the JSON object of the README: every key present.
    doc = events[0].as_json()
    assert set(doc) >= {
        "time",
        "wall_time",
        "symbol",
        "venue",
        "kind",
        "flag",
        "rule",
        "direction",
        "reason",
        "confidence",
        "record",
        "record_note",
    }
    assert doc["time"].endswith("Z") and json.loads(json.dumps(doc)) == doc


def _event(
    t: int,
    flag: str = "short_squeeze_risk",
    symbol: str = "BTC",
    confidence: float = 1.0,
    record: FlagRecord | None = None,
) -> Event:
    return Event(t, 0, symbol, ALL, "flag_on", flag, None, 1, "why", confidence, record)


def test_cooldown_and_rate_cap_count_in_bar_time_and_are_counted_not_dropped() -> None:
    rule = AlertRule("squeeze", flags=("*",), cooldown_s=1800.0)
    rules = AlertRules([rule], EventSettings(max_alerts_per_hour=3), lambda: ["BTC", "ETH", "SOL", "XRP"])
    t0 = 1_767_225_600_000
    judged, alerts = rules.judge([_event(t0), _event(t0 + 10 * 60_000), _event(t0 + 30 * 60_000)])
    # 0 min alerts; 10 min is inside the 30 min cooldown; 30 min is past it.
    assert [e.alerted for e in judged] == [("squeeze",), (), ("squeeze",)]
    assert judged[1].suppressed == ("squeeze: cooldown",) and judged[1].rule is None
    assert len(alerts) == 2 and rules.counts.cooldown == 1
    # The cap: 3 alerts per hour of bar time, whatever the symbol.
    judged, _ = rules.judge([_event(t0 + 31 * 60_000, symbol=s) for s in ("ETH", "SOL", "XRP")])
    assert [e.alerted for e in judged] == [("squeeze",), (), ()]
    assert rules.counts.rate_cap == 2 and rules.counts.sent == 3
    # An hour after the first alert the cap has room again.
    judged, _ = rules.judge([_event(t0 + 61 * 60_000, symbol="SOL")])
    assert judged[0].alerted == ("squeeze",)


def test_confidence_edge_flags_and_symbols_filter_flag_events() -> None:
    beats = FlagRecord(0.7, 0.5, (0.6, 0.8), 40, "24h", "beats")
    within = FlagRecord(0.55, 0.5, (0.4, 0.7), 40, "24h", "within")
    rules = AlertRules(
        [
            AlertRule("edge", flags=("short_squeeze_risk",), only_with_edge=True, cooldown_s=0),
            AlertRule("sure", flags=("*",), min_confidence=0.9, symbols=("ETH",), cooldown_s=0),
        ],
        EventSettings(),
        lambda: ["BTC", "ETH"],
    )
    t = 1_767_225_600_000
    judged, _ = rules.judge(
        [
            _event(t, record=beats),
            _event(t + STEP, record=within),
            _event(t + 2 * STEP, record=None),
            _event(t + 3 * STEP, flag="cascade_risk", symbol="ETH", confidence=0.5),
            _event(t + 4 * STEP, flag="cascade_risk", symbol="ETH"),
            _event(t + 5 * STEP, flag="cascade_risk", symbol="BTC"),
        ]
    )
    assert [e.alerted for e in judged] == [("edge",), (), (), (), ("sure",), ()]


def _figures(value: float) -> dict[tuple[str, str], object]:
    from tui.alerts.edges import RowFigures

    return {("BTC", ALL): RowFigures(value, float("nan"), float("nan"), float("nan"))}


def test_a_threshold_fires_on_crossing_and_rearms_only_past_its_hysteresis() -> None:
    th = Threshold("funding_8h", "above", 0.0005, "funding_8h_above")
    rules = AlertRules([AlertRule("hot", thresholds=(th,), cooldown_s=0)], EventSettings(), lambda: ["BTC"])
    t = 1_767_225_600_000
    # 0.0004 (arms), 0.00051 fires, 0.00049 (inside the 10 % band: stays disarmed), 0.00052 no fire,
    # 0.00044 re-arms (below 0.00045), 0.00060 fires again.
    values = [0.0004, 0.00051, 0.00049, 0.00052, 0.00044, 0.0006]
    fired = [bool(rules.thresholds(t + k * STEP, 0, _figures(v))) for k, v in enumerate(values)]  # type: ignore[arg-type]
    assert fired == [False, True, False, False, False, True]
    # A figure already past the level at first sight has not crossed it: no event.
    fresh = AlertRules([AlertRule("hot", thresholds=(th,))], EventSettings(), lambda: ["BTC"])
    assert fresh.thresholds(t, 0, _figures(0.001)) == []  # type: ignore[arg-type]


def test_events_are_kept_in_the_history_store_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = HistoryWriter(path, step_ms=STEP)
    writer.start()
    series = sim_series(["BTC"])
    source = ReplaySource(series, STEP, SHORT, live=False)
    store = replay_store(source, SHORT)
    service = EventService(SHORT, EventSettings(), [], lambda: store.symbols, lambda: 42, writer=writer)
    service.attach(store)
    for _ in range(300):
        source.step_bar()
    assert writer.close()
    kept = service.latest()
    assert kept, "300 bars of the simulated market made no event"
    reader = HistoryStore(path, None, readonly=True)
    rows = reader.events()
    reader.close()
    assert len(rows) == len(kept)
    back = [Event.from_json(json.loads(doc), t, w) for t, _, _, _, _, w, doc in rows]
    assert sorted(e.key for e in back) == sorted(e.key for e in kept)
    assert all(e.wall_ms == 42 for e in back)


def test_a_store_made_before_events_gets_the_table_and_old_readers_see_none(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    HistoryStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE events")
    conn.commit()
    conn.close()
    reader = HistoryStore(path, None, readonly=True)
    assert reader.events() == []  # a reader never changes the file
    reader.close()
    HistoryStore(path).close()  # a writer adds the table
    assert HistoryStore(path, None, readonly=True).events() == []


@pytest.mark.parametrize("kind", ["flag_on", "flag_off", "threshold"])
def test_event_json_round_trips(kind: str) -> None:
    rec = FlagRecord(0.61, 0.5, (0.52, 0.69), 57, "24h", "beats") if kind == "flag_on" else None
    e = Event(
        1_767_225_600_000,
        1_767_225_900_000,
        "ETH",
        ALL,
        kind,  # type: ignore[arg-type]
        None if kind == "threshold" else "cascade_risk",
        "r1" if kind == "threshold" else None,
        -1,
        "liq $1.2M in 1h",
        0.5,
        rec,
        None if rec else "not enough history: 4 events",
        ("r1",),
        (),
    )
    doc = json.loads(json.dumps(e.as_json()))
    assert doc["time"] == "2026-01-01T00:00:00Z" and doc["wall_time"] == "2026-01-01T00:05:00Z"
    back = Event.from_json(doc, e.time_ms, e.wall_ms)
    assert back == e


def test_flag_records_wait_while_the_source_is_still_backfilling() -> None:
    # while the live backfill fills the store, a measurement would be redone: none is asked for, and
    # the symbols stay due, so the first bar closed after the backfill measures them all
    series = sim_series(["BTC", "ETH"])
    source = ReplaySource(series, STEP, SHORT, live=False)
    store = replay_store(source, SHORT)
    asked: list[tuple[list[str], int]] = []
    backfilling = [True]
    service = EventService(
        SHORT,
        EventSettings(),
        [],
        lambda: store.symbols,
        lambda: 0,
        measure=lambda due, t: asked.append((list(due), t)),
        measure_held=lambda: backfilling[0],
    )
    service.attach(store)
    for _ in range(3):
        source.step_bar()
    service.warm(store)
    assert asked == []
    backfilling[0] = False
    source.step_bar()
    assert [due for due, _ in asked] == [["BTC", "ETH"]]
