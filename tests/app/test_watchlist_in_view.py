"""Rows are formatted when they are on screen: a paint tick works out and formats the rows in view, a
row scrolled into view shows the figures of now, not those of when it was last on screen, and a sort on
a figure orders every row by the figures of now."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.messages import ALL
from feeds.sim import SimulatedMarket
from feeds.sim.source import DemoSource
from signals.columns import Col
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


def price_now(app: PerptopApp, symbol: str) -> str:
    """The cross-venue price the store holds for ``symbol`` now, as the price column prints it."""
    store = app.store
    return fmt_price(float(store.latest(Col.PRICE)[store.symbol_index(symbol), store.all_slot]))


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
        before = price_now(app, SYMBOLS[-1])
        for _ in range(5):  # the price of the last row moves while it is out of view
            step(app, 60)
            await pilot.pause()
        now = price_now(app, SYMBOLS[-1])
        assert now != before
        await pilot.press("end")
        await pilot.pause()
        assert app.watchlist.visible_keys[-1] == last
        # The bottom line of the watchlist, as the terminal shows it: the header is line 0.
        line = app.watchlist.render_line(len(app.watchlist.visible_keys)).text
        assert line.split()[:3] == ["▸", SYMBOLS[-1], now]


async def test_a_paint_tick_works_out_only_the_rows_in_view(
    app: PerptopApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.model.rows import compute_rows as compute

    worked_out: list[str] = []

    def counted(store: object, params: object, results: object, sym_idx: list[int], **kw: object) -> object:
        worked_out.extend(app.store.symbols[i] for i in sym_idx)
        return compute(store, params, results, sym_idx, **kw)  # type: ignore[arg-type]

    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == len(SYMBOLS))
        monkeypatch.setattr("tui.model.view.compute_rows", counted)
        step(app, 60)
        await pilot.pause()
        in_view = {s for s, _ in app.watchlist.visible_keys}
        assert len(in_view) == 13
        assert set(worked_out) == in_view


async def test_a_sort_on_a_figure_orders_every_row_by_the_figures_of_now(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == len(SYMBOLS))
        for _ in range(3):  # the market moves: rows out of view are behind
            step(app, 60)
            await pilot.pause()
        for _ in range(3):  # watchlist -> symbol -> 24h -> OI
            await pilot.press("s")
        await pilot.pause()
        store = app.store
        latest = store.latest()[:, store.all_slot]
        oi_usd = {s: latest[i, Col.OI] * latest[i, Col.PRICE] for i, s in enumerate(store.symbols)}
        expected = sorted(SYMBOLS, key=oi_usd.__getitem__, reverse=True)
        assert [s for s, _ in app.watchlist.order] == expected


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
