"""Alerts in the app (Pilot): a toast and the status line when one fires, the event log (l), drilling into an
event, the count of events while away, and a hanging sink that delays neither the other sinks nor the screen."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from feeds.sim.source import DemoSource
from tests.support.demo_app import START_MS
from tui.app import PerptopApp
from tui.config.alerts import AlertRule, Sinks
from tui.config.loader import AppConfig
from tui.screens.drilldown import DrilldownScreen
from tui.screens.events import EventLogScreen

BAR_S = 300.0


def _app(tmp_path: Path, sinks: Sinks) -> tuple[PerptopApp, DemoSource]:
    watch = tuple(DEFAULT_DEMO_WATCHLIST)
    market = SimulatedMarket(list(watch), seed=7, start_ms=START_MS)
    now = [START_MS + 3_000]
    source = DemoSource(market, clock=lambda: now[0], live=False)
    rule = AlertRule("every flag", flags=("*",), cooldown_s=0.0, sinks=sinks)
    config = AppConfig(
        watchlist=watch, config_watchlist=watch, state_path=tmp_path / "s.json", alerts=(rule,)
    )
    return PerptopApp(config, source=source, clock=lambda: now[0]), source


async def _until_alert(pilot: object, app: PerptopApp, source: DemoSource, bars: int = 60) -> None:
    """Step the simulated market a bar at a time until an alert fires (a flag of the watchlist came on)."""
    for _ in range(bars):
        source.step(BAR_S)
        app.paint()
        await pilot.pause()  # type: ignore[attr-defined]
        if app.alerts.service.counts.sent:
            return
    raise AssertionError(f"no flag came on in {bars} simulated bars")


async def test_an_alert_toasts_counts_and_lists_in_the_event_log(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    app, source = _app(tmp_path, Sinks(log=log))
    async with app.run_test(size=(160, 50)) as pilot:
        await _until_alert(pilot, app, source)
        await pilot.pause()
        toasts = [n.message for n in app._notifications]
        first = next(e for e in app.alerts.service.latest() if e.alerted)
        assert any(first.reason in t for t in toasts)
        assert f"alerts {app.alerts.service.counts.sent}" in app.status.text
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, EventLogScreen)
        assert app.screen._rows[0].time_ms >= app.screen._rows[-1].time_ms  # newest first
        shown = {(e.symbol, e.flag, e.time_ms) for e in app.screen._rows}
        assert (first.symbol, first.flag, first.time_ms) in shown
        # Enter on the event: its symbol's drill-down, with its bar marked in the title.
        index = app.screen._rows.index(first)
        app.screen.query_one("DataTable").move_cursor(row=index)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrilldownScreen) and app.screen.symbol == first.symbol
        assert app.screen.mark == (first.time_ms, first.label)
    docs = [json.loads(line) for line in log.read_text().splitlines()]
    assert docs and docs[0]["kind"] == "flag_on" and docs[0]["rule"] == "every flag"


async def test_events_while_the_terminal_was_out_of_focus_are_counted_until_the_log_opens(
    tmp_path: Path,
) -> None:
    app, source = _app(tmp_path, Sinks())
    async with app.run_test(size=(160, 50)) as pilot:
        app.on_app_blur()
        await _until_alert(pilot, app, source)
        app.on_app_focus()
        app.paint(force=True)
        away = app.alerts.while_away
        assert away >= 1 and f"{away} events while away: l" in app.status.text
        await pilot.press("l")
        await pilot.pause()
        app.paint(force=True)
        assert "while away" not in app.status.text


async def test_a_hanging_hook_delays_neither_the_log_sink_nor_the_screen(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    hang = (sys.executable, "-c", "import time; time.sleep(30)")
    app, source = _app(tmp_path, Sinks(command=hang, log=log))
    async with app.run_test(size=(160, 50)) as pilot:
        worst = 0.0
        for _ in range(60):
            t0 = time.perf_counter()
            source.step(BAR_S)
            app.paint()
            worst = max(worst, time.perf_counter() - t0)
            await pilot.pause()
            if app.alerts.service.counts.sent >= 2:
                break
        assert app.alerts.service.counts.sent >= 2
        deadline = time.monotonic() + 2.0
        while not log.exists() or len(log.read_text().splitlines()) < 2:
            assert time.monotonic() < deadline, "the log sink waited for the hanging hook"
            time.sleep(0.05)
        assert worst < 1.0  # a bar with its events took under a second while the hook hung
    t0 = time.monotonic()
    app.alerts.deliverer.close(0.5)
    assert time.monotonic() - t0 < 3.0
