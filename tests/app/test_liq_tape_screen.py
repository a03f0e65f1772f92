"""``L``, the liquidation tape, and the drill-down's liquidation clusters, driven by keys in the demo app.

The simulated market (seed 7, start 2026-01-01 00:00 UTC) hands its recent history's liquidations to the
tape at start, so the tape has rows before the first tick; the drill-down bins those of its symbol.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from feeds.sim.source import DemoSource
from tests.app.test_app_main import screen_text, until
from tests.support.demo_app import START_MS
from tui.app import PerptopApp
from tui.config.loader import AppConfig
from tui.screens.drilldown import DrilldownScreen
from tui.screens.liquidations import LiquidationTapeScreen
from tui.widgets.liq_clusters import LiqClusters


def _app(tmp_path: Path, size_usd: float = 100_000.0) -> tuple[PerptopApp, DemoSource]:
    watch = tuple(DEFAULT_DEMO_WATCHLIST)
    source = DemoSource(
        SimulatedMarket(list(watch), seed=7, start_ms=START_MS), clock=lambda: START_MS + 3_000, live=False
    )
    config = AppConfig(
        watchlist=watch,
        config_watchlist=watch,
        state_path=tmp_path / "state.json",
        large_liquidation_usd=size_usd,
    )
    return PerptopApp(config, source=source, clock=lambda: START_MS + 3_000), source


def _rows(app: PerptopApp) -> list[dict[str, str]]:
    """The tape's rows as shown (also while the filter prompt is over it)."""
    tape = next(s for s in app.screen_stack if isinstance(s, LiquidationTapeScreen))
    table = tape.query_one(DataTable)
    titles = [c.label.plain for c in table.columns.values()]
    return [
        dict(zip(titles, (str(c) for c in table.get_row_at(i)), strict=True)) for i in range(table.row_count)
    ]


async def test_l_opens_the_tape_newest_first_filters_by_symbol_and_escape_closes(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LiquidationTapeScreen))
        rows = _rows(app)
        assert len(rows) > 50
        # At 80 columns every column fits: time, venue, symbol, side, size, price.
        assert list(rows[0]) == ["time UTC", "venue", "symbol", "side", "size USD", "price"]
        times = [r["time UTC"] for r in rows]  # one day of HH:MM:SS before 00:00 UTC: sorts as text
        assert times == sorted(times, reverse=True)
        assert {r["side"] for r in rows} == {"long", "short"}
        assert {r["symbol"] for r in rows} > {"BTC", "ETH"}
        large = [r for r in rows if r["size USD"].startswith("◆")]
        assert large and all(r["size USD"].split()[-1][-1] in "KMB" for r in large)
        text = screen_text(app)
        assert "simulated events" in text and "newest first" in text

        await pilot.press("slash")
        await pilot.press(*"eth")
        await until(pilot, lambda: all(r["symbol"] == "ETH" for r in _rows(app)))
        await pilot.press("enter")  # keeps the filter
        await until(pilot, lambda: isinstance(app.screen, LiquidationTapeScreen))
        eth = _rows(app)
        assert eth and len(eth) < len(rows)
        assert "symbol 'eth'" in screen_text(app)

        await pilot.press("escape")  # clears the filter first
        await until(pilot, lambda: len(_rows(app)) == len(rows))
        assert isinstance(app.screen, LiquidationTapeScreen)
        await pilot.press("escape")  # then closes
        await until(pilot, lambda: not isinstance(app.screen, LiquidationTapeScreen))
        assert "SIMULATED MARKET" in screen_text(app)


async def test_the_tape_takes_new_events_while_it_is_open(tmp_path: Path) -> None:
    app, source = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LiquidationTapeScreen))
        newest = _rows(app)[0]["time UTC"]
        assert newest < "24:00:00" and newest.startswith("23:")  # the history ends at 23:55 UTC
        for _ in range(300):  # seven and a half simulated minutes: bursts happen
            source.step(1.5)
        await until(pilot, lambda: _rows(app)[0]["time UTC"].startswith("00:"), tries=50)
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, LiquidationTapeScreen))


async def test_the_drill_down_shows_liquidation_clusters_by_price(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DrilldownScreen))
        clusters = app.screen.query_one(LiqClusters)
        assert clusters.display and clusters.region.height >= 10
        text = screen_text(app)
        assert "liquidations by price" in text
        assert "observed liquidations only (no model)" in text
        assert "▶ now" in text  # the current price, and its bin marked
        assert "events" in text and "longs" in text and "shorts" in text
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DrilldownScreen))


async def test_the_drill_down_fits_the_clusters_at_80x24(tmp_path: Path) -> None:
    app, _ = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DrilldownScreen))
        clusters = app.screen.query_one(LiqClusters)
        # On the scrolling page, under the flag list: full width, its own height.
        assert clusters.region.width >= 76 and clusters.outer_size.height == 16
        app.screen.query_one("#dd-page").scroll_to_widget(clusters, animate=False)
        await pilot.pause()
        assert "observed liquidations only (no model)" in screen_text(app)
