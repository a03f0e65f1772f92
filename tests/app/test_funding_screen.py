"""``F``, the funding spread screen, and the main list's countdown to the next settlement, driven by keys.

The simulated market (seed 7, start 2026-01-01 00:00 UTC) has four venues: simA and simB settle every 8 h,
simC every 4 h, simD every hour. After one step the store knows each venue's next settlement; at 00:00:03
the soonest, simD's at 01:00, is 59 min 57 s away, so the cross-venue rows show ``59m``; a minute later
``58m``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from feeds.messages import ALL
from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from feeds.sim.source import DemoSource
from tests.app.test_app_main import screen_text, until
from tests.support.demo_app import START_MS
from tui.app import PerptopApp
from tui.config.loader import AppConfig
from tui.screens.drilldown import DrilldownScreen
from tui.screens.funding import FundingSpreadScreen
from tui.widgets import row_table as row_table_module


def _app(tmp_path: Path, now: list[int]) -> tuple[PerptopApp, DemoSource]:
    """The demo app over a clock the test moves (``now[0]``), its source stepped by hand."""
    watch = tuple(DEFAULT_DEMO_WATCHLIST)
    source = DemoSource(
        SimulatedMarket(list(watch), seed=7, start_ms=START_MS), clock=lambda: now[0], live=False
    )
    config = AppConfig(watchlist=watch, config_watchlist=watch, state_path=tmp_path / "state.json")
    return PerptopApp(config, source=source, clock=lambda: now[0]), source


def _table(app: PerptopApp) -> list[dict[str, str]]:
    table = app.screen.query_one(DataTable)
    titles = [c.label.plain for c in table.columns.values()]
    rows = []
    for i in range(table.row_count):
        cells = [str(c) for c in table.get_row_at(i)]
        row: dict[str, str] = {}
        for title, cell in zip(titles, cells, strict=True):
            row[title if title not in row else title + " low"] = cell  # two "8h" columns: high's, low's
        rows.append(row)
    return rows


def _pct(text: str) -> float:
    return float(text.rstrip("%"))


async def test_f_ranks_symbols_by_spread_enter_drills_in_and_escape_closes(tmp_path: Path) -> None:
    now = [START_MS + 3_000]
    app, source = _app(tmp_path, now)
    async with app.run_test(size=(200, 50)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        source.step(3)
        app.paint()
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, FundingSpreadScreen))
        rows = _table(app)
        assert {r["symbol"] for r in rows} == set(DEFAULT_DEMO_WATCHLIST)
        spreads = [_pct(r["spread"]) for r in rows]
        assert spreads == sorted(spreads, reverse=True)  # widest first
        for r in rows:
            # The spread is the high venue's 8h rate minus the low venue's (to the shown rounding), and
            # its APR that x 3 x 365.
            assert r["high"] != r["low"]
            assert abs(_pct(r["8h"]) - _pct(r["8h low"]) - _pct(r["spread"])) <= 0.000151  # three roundings
            assert abs(_pct(r["spread"]) * 3 * 365 - _pct(r["APR"])) <= 0.0001 * 1095 + 0.05
            assert r["next high"] in {"59m", "3h59m", "7h59m"}  # simD hourly, simC 4 h, simA/B 8 h
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, DrilldownScreen))
        assert app.screen.symbol == rows[1]["symbol"]  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, FundingSpreadScreen))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, FundingSpreadScreen))
        assert "SIMULATED MARKET" in screen_text(app)


async def test_f_at_80_columns_keeps_venues_rates_spread_and_apr(tmp_path: Path) -> None:
    now = [START_MS + 3_000]
    app, source = _app(tmp_path, now)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        source.step(3)
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, FundingSpreadScreen))
        header = screen_text(app).splitlines()[1]
        for title in ("symbol", "high", "low", "spread", "APR"):
            assert title in header
        assert "next" not in header  # the countdowns gave way first
        assert max(len(line.rstrip()) for line in screen_text(app).splitlines()) <= 80


async def test_the_countdown_ticks_with_the_clock_and_repaints_only_its_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [START_MS + 3_000]
    app, source = _app(tmp_path, now)
    async with app.run_test(size=(200, 50)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        source.step(3)
        app.paint()
        wl = app.watchlist
        keys = [c.key for c in wl.columns]
        assert "next_funding" in keys and "funding_apr" in keys  # a wide terminal shows both
        col = keys.index("next_funding")

        def countdown(key: tuple[str, str]) -> str:
            cells = wl.cells(key)
            assert cells is not None
            return "".join(t for t, _ in wl._shown(cells)[col])

        await until(pilot, lambda: countdown(("BTC", ALL)) == "59m")
        await pilot.pause()
        rendered: list[str] = []
        regions: list[tuple[int, int]] = []
        render_cell = row_table_module.cell_segments
        refresh = wl.refresh

        def spy_cell(column, cell, ink, selected):  # type: ignore[no-untyped-def]
            if not selected:  # the cursor row's strip is drawn whole on any change (one row, by design)
                rendered.append(column.key)
            return render_cell(column, cell, ink, selected)

        def spy_refresh(*areas, **kw):  # type: ignore[no-untyped-def]
            regions.extend((r.x, r.x + r.width) for r in areas)
            return refresh(*areas, **kw)

        monkeypatch.setattr(row_table_module, "cell_segments", spy_cell)
        wl.refresh = spy_refresh  # type: ignore[method-assign]
        now[0] += 60_000  # a minute later, no new data
        app.paint()
        await pilot.pause()
        assert all(countdown((s, ALL)) == "58m" for s in DEFAULT_DEMO_WATCHLIST)
        assert rendered and set(rendered) <= {"next_funding"}  # no other cell was rendered again
        x0 = wl._xs[col]
        assert regions and all(x0 <= a and b <= x0 + wl.columns[col].width for a, b in regions)
        rendered.clear()
        regions.clear()
        now[0] += 20_000  # 58 min 17 s left: the text is the same, nothing is repainted
        app.paint()
        await pilot.pause()
        assert rendered == [] and regions == []
