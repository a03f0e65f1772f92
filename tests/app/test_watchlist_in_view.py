"""Rows are formatted when they are on screen: a paint tick formats the rows in view, and a row scrolled
into view shows the figures of now, not those of when it was last on screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.messages import ALL
from feeds.sim import SimulatedMarket
from feeds.sim.source import DemoSource
from signals.formats import fmt_price
from tests.app.test_app_main import until
from tests.support.demo_app import START_MS
from tui.app import PerptopApp
from tui.config.loader import AppConfig

SYMBOLS = tuple(f"SIM{i:02d}" for i in range(40))
SIZE = (80, 24)  # 13 rows in view: 24 lines - banner, heatmap (8), status, header


@pytest.fixture
def app(tmp_path: Path) -> PerptopApp:
    market = SimulatedMarket(list(SYMBOLS), seed=3, start_ms=START_MS)
    now = [START_MS + 3_000]
    source = DemoSource(market, clock=lambda: now[0], live=False)
    config = AppConfig(watchlist=SYMBOLS, config_watchlist=SYMBOLS, state_path=tmp_path / "state.json")
    app = PerptopApp(config, source=source, clock=lambda: now[0])
    app.now = now  # type: ignore[attr-defined]  # the test moves the clock
    return app


def step(app: PerptopApp, seconds: float) -> None:
    """The market and the clock move on ``seconds``; the app paints."""
    app.now[0] += int(seconds * 1000)  # type: ignore[attr-defined]
    app.source.step(seconds)  # type: ignore[attr-defined]
    app.paint()


async def test_a_paint_tick_formats_only_the_rows_in_view(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == len(SYMBOLS))
        formatted: list[tuple[str, str]] = []
        cells = app.view.cells

        def counted(key: tuple[str, str]) -> object:
            formatted.append(key)
            return cells(key)

        app.view.cells = counted  # type: ignore[method-assign,assignment]
        step(app, 60)
        await pilot.pause()
        in_view = app.watchlist.visible_keys
        assert len(in_view) == 13
        assert set(formatted) == set(in_view)  # every row in view, and none of the 27 below


async def test_a_row_scrolled_into_view_shows_the_figures_of_now(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == len(SYMBOLS))
        last = (SYMBOLS[-1], ALL)
        assert last not in app.watchlist.visible_keys
        before = fmt_price(app.view.rows[last].price)
        for _ in range(5):  # the price of the last row moves while it is out of view
            step(app, 60)
            await pilot.pause()
        assert fmt_price(app.view.rows[last].price) != before
        await pilot.press("end")
        await pilot.pause()
        assert app.watchlist.visible_keys[-1] == last
        # The bottom line of the watchlist, as the terminal shows it: the header is line 0.
        line = app.watchlist.render_line(len(app.watchlist.visible_keys)).text
        assert line.split()[:3] == ["▸", SYMBOLS[-1], fmt_price(app.view.rows[last].price)]


async def test_lines_stop_at_the_scrollbar_which_stays_drawn(app: PerptopApp) -> None:
    # 40 rows in 13 lines: the vertical scrollbar takes the last of the 80 columns. A line as wide as the
    # widget is cut in two by the compositor at every repaint; one that stops at column 79 is not.
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == len(SYMBOLS))
        region = app.watchlist.region
        lines = app.watchlist.render_lines(region.reset_offset)
        assert {strip.cell_length for strip in lines} == {SIZE[0] - 1}
        screen = app.screen._compositor.render_strips()
        rows = [screen[y] for y in range(region.y, region.bottom)]
        # The screen's last column is what the scrollbar draws, the rows are beside it.
        bar = app.watchlist.vertical_scrollbar
        drawn = bar.render_lines(bar.region.reset_offset)
        assert [strip.crop(SIZE[0] - 1, SIZE[0]).text for strip in rows] == [s.text for s in drawn]
        assert [list(strip.crop(SIZE[0] - 1, SIZE[0])) for strip in rows] == [list(s) for s in drawn]
        assert "SIM00" in rows[1].text
