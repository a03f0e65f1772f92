"""The drill-down screen as a user drives it: window keys, symbol keys, Esc, flags, missing inputs, live data.

A tiny host app pushes ``DrilldownScreen`` over a store filled from the simulated market (fixed seed and
start time: the history ends with the 23:55 UTC bar of 2025-12-01), so every run sees the same bars.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import plotext._utility as plotext_utility
import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from feeds.messages import ALL, BarUpdate, History
from feeds.sim import VENUES, SimulatedMarket
from signals.columns import Col
from signals.evaluate import evaluate_latest, needed_bars
from signals.flags import CODE, FLAG_NAMES
from signals.params import SignalParams
from themes.loader import load_themes, theme_variable_defaults
from tui.model.bars import BarStore, capacity_for
from tui.screens.drilldown import CHART_REFRESH_S, DrilldownScreen
from tui.widgets.chart_axes import TimeAxis
from tui.widgets.charts import ChartPanel, Palette, plot_price_oi
from tui.widgets.timeline import FlagTimeline

SYMBOLS = ["HYPE", "PEPE", "BTC"]
START_MS = 1_764_633_600_000  # 2025-12-02 00:00 UTC: history ends with the 23:55 bar of Dec 1
STEP_MS = 300_000
PARAMS = SignalParams()


def simulated_histories(symbols: Iterable[str] = SYMBOLS, seed: int = 3) -> list[History]:
    """A week of simulated 5-minute bars ending just before ``START_MS``."""
    return SimulatedMarket(list(symbols), seed=seed, step_ms=STEP_MS, start_ms=START_MS).history()


def store_from(histories: Iterable[History], symbols: Iterable[str] = SYMBOLS) -> BarStore:
    """A store of ``symbols`` on the simulated venues, loaded with ``histories``."""
    store = BarStore(list(symbols), VENUES, capacity_for(PARAMS, STEP_MS), STEP_MS)
    store.load_history(histories)
    return store


def without_column(histories: Iterable[History], column: int) -> list[History]:
    """The same histories with one column blanked on every venue (a series no venue publishes)."""
    out = []
    for h in histories:
        bars = np.array(h.bars, copy=True)
        bars[:, column] = np.nan
        out.append(History(h.venue, h.symbol, bars))
    return out


class DrilldownHost(App[None]):
    """A bare app with the project's themes: a stand-in main screen with the drill-down pushed on top."""

    def __init__(
        self,
        store: BarStore,
        symbol: str = "HYPE",
        window: str = "3",
        hit_rates: dict[str, str] | None = None,
        measure: Any = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.symbol = symbol
        self.window = window
        self.hit_rates = hit_rates
        self.measure = measure
        self.results: list[str | None] = []  # what the drill-down was dismissed with

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return theme_variable_defaults()

    def compose(self) -> ComposeResult:
        yield Static("main screen", id="main")

    def on_mount(self) -> None:
        for theme in load_themes().values():
            self.register_theme(theme)
        self.theme = "dark"
        self.push_screen(
            DrilldownScreen(
                self.store,
                self.symbol,
                list(self.store.symbols),
                PARAMS,
                window=self.window,
                hit_rates=self.hit_rates,
                measure=self.measure,
            ),
            self.results.append,
        )

    @property
    def drilldown(self) -> DrilldownScreen:
        """The drill-down screen (fails if it is not the current screen)."""
        assert isinstance(self.screen, DrilldownScreen)
        return self.screen


def main_screen_is_current(app: App[None]) -> bool:
    """Whether the stand-in main screen is back on top."""
    return not isinstance(app.screen, DrilldownScreen) and isinstance(app.screen, Screen)


def text_of(widget: Widget) -> str:
    """The plain text a widget shows."""
    rendered = widget.render()
    return getattr(rendered, "plain", str(rendered))


def title(app: DrilldownHost) -> str:
    return text_of(app.drilldown.query_one("#dd-title", Static))


def flag_list(app: DrilldownHost) -> str:
    return text_of(app.drilldown.query_one("#dd-flag-list", Static))


def screen_text(app: App[None]) -> str:
    """The screen as the terminal shows it, as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def shown_charts(app: DrilldownHost) -> list[ChartPanel]:
    """The charts on screen (the layout hides the others)."""
    return [c for c in app.drilldown.query(ChartPanel) if c.display]


def timeline_axis(app: DrilldownHost) -> list[str]:
    """The labels under the flag timeline."""
    last = text_of(app.drilldown.query_one(FlagTimeline)).splitlines()[-1]
    return re.findall(r"\d\d:\d\d|[A-Z][a-z]{2} \d\d", last)


@pytest.fixture(autouse=True)
def stable_plotext(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make plotext's pictures the same in every process.

    plotext de-duplicates points through ``set()``, whose order follows the per-process string hash seed,
    so which tick labels fit can differ between runs; an order-keeping de-duplication pins the picture.
    """
    monkeypatch.setattr(plotext_utility, "no_duplicates", lambda data: list(dict.fromkeys(data)))


@pytest.fixture(scope="module")
def histories() -> list[History]:
    return simulated_histories()


@pytest.fixture
def store(histories: list[History]) -> BarStore:
    return store_from(histories)


async def test_number_keys_switch_the_window(store: BarStore) -> None:
    app = DrilldownHost(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert "window 24h" in title(app)
        # The last bar opens 23:55 on Dec 1, so a 24h window runs from 00:00 to 00:00 UTC.
        assert timeline_axis(app) == ["00:00", "04:00", "08:00", "12:00", "16:00", "20:00", "00:00"]
        await pilot.press("1")
        assert "window 1h" in title(app)
        assert timeline_axis(app) == ["23:00", "23:15", "23:30", "23:45", "00:00"]
        price_chart = text_of(app.drilldown.query_one("#chart-price", ChartPanel))
        assert re.findall(r"\d\d:\d\d", price_chart.splitlines()[-1])[0] == "23:00"
        await pilot.press("2")
        assert "window 4h" in title(app)
        assert timeline_axis(app) == ["20:00", "21:00", "22:00", "23:00", "00:00"]
        await pilot.press("4")
        assert "window 7d" in title(app)
        days = ["Nov 25", "Nov 26", "Nov 27", "Nov 28", "Nov 29", "Nov 30", "Dec 01", "Dec 02"]
        assert timeline_axis(app) == days
        await pilot.press("3")
        assert "window 24h" in title(app)


async def test_n_and_N_move_through_the_watchlist_and_wrap(store: BarStore) -> None:
    app = DrilldownHost(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert title(app).startswith("HYPE  1/3")
        await pilot.press("n")
        assert title(app).startswith("PEPE  2/3")
        await pilot.press("n", "n")
        assert title(app).startswith("HYPE  1/3")  # past the last symbol: back to the first
        await pilot.press("N")
        assert title(app).startswith("BTC  3/3")  # before the first: the last


async def test_escape_returns_to_the_main_screen(store: BarStore) -> None:
    app = DrilldownHost(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DrilldownScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, DrilldownScreen)
        assert app.screen.query_one("#main", Static)


async def test_N_is_previous_and_escape_dismisses_with_the_symbol_shown_last(store: BarStore) -> None:
    app = DrilldownHost(store)  # HYPE, PEPE, BTC
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("p")  # pause on the watchlist: here it must not move the symbol
        assert title(app).startswith("HYPE  1/3")
        footer = screen_text(app).splitlines()[-1]
        assert "N previous" in footer and "p previous" not in footer
        await pilot.press("n", "n", "N", "N", "N")  # HYPE -> PEPE -> BTC -> PEPE -> HYPE -> BTC
        assert title(app).startswith("BTC  3/3")
        await pilot.press("escape")
        await pilot.pause()
        assert main_screen_is_current(app)
        assert app.results == ["BTC"]  # the watchlist's cursor can land on it


async def test_at_80x24_one_chart_is_shown_and_c_cycles_through_all_five(store: BarStore) -> None:
    app = DrilldownHost(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        seen = []
        for _ in range(5):
            (chart,) = shown_charts(app)
            seen.append(chart.id)
            assert str(chart.border_title).endswith(f"{len(seen)}/5")
            assert chart.region.width >= 76 and chart.region.height >= 12  # the width, and rows to read
            lines = text_of(chart).splitlines()
            assert not lines[0].startswith(("too small", "no data")) and len(lines) == chart.size.height
            await pilot.press("c")
            await pilot.pause()
        assert seen == ["chart-price", "chart-funding", "chart-ls", "chart-liq", "chart-flow"]
        assert [c.id for c in shown_charts(app)] == ["chart-price"]  # round again
        await pilot.press("C")
        assert [c.id for c in shown_charts(app)] == ["chart-flow"]
        assert "c charts" in screen_text(app).splitlines()[-1]


SIZES = [((200, 60), 5, True), ((160, 50), 4, True), ((120, 34), 2, True), ((115, 45), 2, True)]


@pytest.mark.parametrize(
    ("size", "shown", "beside"), [*SIZES, ((80, 24), 1, False), ((200, 24), 1, True), ((120, 30), 1, True)]
)
async def test_each_size_gets_its_layout(
    store: BarStore, size: tuple[int, int], shown: int, beside: bool
) -> None:
    app = DrilldownHost(store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        charts = shown_charts(app)
        assert len(charts) == shown
        flags = app.drilldown.query_one("#dd-flags")
        assert (flags.region.x > charts[0].region.x) == beside
        for chart in charts:
            assert chart.size.height >= 11 and chart.size.width >= 36, (chart.id, chart.size)
            assert not text_of(chart).startswith("too small")
            assert ("/5" in str(chart.border_title)) == (shown < 5)
        assert ("c charts" in screen_text(app).splitlines()[-1]) == (shown < 5)  # no key that does nothing


async def test_the_layout_follows_resizes(store: BarStore) -> None:
    app = DrilldownHost(store)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        assert len(shown_charts(app)) == 5
        await pilot.press("c")  # does nothing while all five are on screen
        for size, shown in (((80, 24), 1), ((120, 34), 2), ((160, 50), 4), ((200, 60), 5), ((80, 24), 1)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert len(shown_charts(app)) == shown, size
            price = text_of(app.drilldown.query_one("#chart-price", ChartPanel)).splitlines()
            assert len(price) == app.drilldown.query_one("#chart-price", ChartPanel).size.height, size
        await app.push_screen(Screen())  # the help, say: the terminal is resized under it
        await pilot.resize_terminal(200, 60)
        app.pop_screen()
        await pilot.pause()
        assert len(shown_charts(app)) == 5


async def test_measured_hit_rates_are_a_scroll_away_at_80x24(store: BarStore) -> None:
    from tui.model.hit_rates import prepare_memory

    app = DrilldownHost(store, measure=lambda symbol: prepare_memory(store, symbol, PARAMS, "bars in memory"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if "Measured hit rate" in flag_list(app):
                break
        assert "Measured hit rate" not in screen_text(app)  # under the chart and the flags' top
        for _ in range(10):
            await pilot.press("pagedown")
            if "Measured hit rate" in screen_text(app):
                break
        assert "Measured hit rate, 24h ahead" in screen_text(app)
        await pilot.press("end")
        assert "UTC" in screen_text(app).splitlines()[-3]  # the timeline's axis, last on the page


async def test_a_chart_too_small_to_draw_says_so_in_one_line(store: BarStore) -> None:
    class Tiny(App[None]):
        CSS = "ChartPanel { width: 22; height: 6; }"

        def get_theme_variable_defaults(self) -> dict[str, str]:
            return theme_variable_defaults()

        def compose(self) -> ComposeResult:
            yield ChartPanel("price", id="chart-price")

    app = Tiny()
    async with app.run_test(size=(40, 10)) as pilot:
        chart = app.query_one(ChartPanel)
        bars = store.series("HYPE", ALL)
        axis = TimeAxis.spanning(float(bars[-1, Col.TIME]) - 86_400_000, float(bars[-1, Col.TIME]) + STEP_MS)
        pal = Palette.from_variables(app.theme_variables)
        chart.draw(lambda plt, size: plot_price_oi(plt, size, axis, bars[-288:], pal))
        await pilot.pause()
        shown = text_of(chart)
        assert shown.startswith("too small to draw") and "\n" not in shown


def _latest(store: BarStore, symbol: str) -> list:
    need = min(store.count, needed_bars(PARAMS, store.step_ms))
    return evaluate_latest(store.tail(need)[:, store.symbol_index(symbol)], PARAMS, store.step_ms)


@pytest.mark.parametrize("symbol", ["HYPE", "PEPE"])
async def test_flag_list_shows_every_flag_with_its_reason(store: BarStore, symbol: str) -> None:
    results = _latest(store, symbol)
    overall = results[store.venue_index(ALL)]
    assert overall.flags, "the fixture must have flags on, or this test proves nothing"
    app = DrilldownHost(store, symbol=symbol)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        shown = flag_list(app)
        cross_venue = shown.split("Per venue")[0]
        for flag in overall.flags:
            assert f"{flag.code} {flag.name}" in cross_venue
            assert flag.reason in cross_venue
            if flag.confidence < 1:
                assert f"low confidence {flag.confidence:.0%}" in cross_venue
        assert "hit rate" not in shown  # no backtest supplied: no figure, never an invented one
        per_venue = shown.split("Per venue")[1].splitlines()
        for k, venue in enumerate(store.venues):
            line = next(x for x in per_venue if x.startswith(venue))
            on, _, unavailable = line.partition("unavailable:")  # a venue lacking an input says which flag
            assert list(re.findall(r"[A-Z]{2}", on)) == [f.code for f in results[k].flags]
            assert re.findall(r"[A-Z]{2}", unavailable) == [
                CODE[n] for n in FLAG_NAMES if n in results[k].unavailable and n != "funding_dispersion"
            ]  # the cross-venue spread is not "unavailable" on one venue: it does not apply there


async def test_pepe_cascade_is_low_confidence_while_leverage_driven(store: BarStore) -> None:
    app = DrilldownHost(store, symbol="PEPE")
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        shown = flag_list(app).split("Per venue")[0]
        assert "LV leverage_driven" in shown
        # SIGNALS.md: while leverage_driven is on, the other flags are shown as low confidence.
        assert re.search(r"CR cascade_risk .*low confidence 50%", shown)


async def test_measured_hit_rate_is_shown_only_where_a_backtest_supplied_one(store: BarStore) -> None:
    app = DrilldownHost(store, symbol="HYPE", hit_rates={"cascade_risk": "58% (n=12, 24h)"})
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        lines = flag_list(app).splitlines()
        assert "measured hit rate 58% (n=12, 24h)" in next(x for x in lines if "CR cascade_risk" in x)
        assert "hit rate" not in next(x for x in lines if "BM bull_momentum" in x)


async def test_every_directional_flag_shows_its_rate_measured_on_the_symbols_history(store: BarStore) -> None:
    from tui.model.hit_rates import prepare_memory

    asked: list[str] = []

    def measure(symbol: str) -> Any:
        asked.append(symbol)
        return prepare_memory(store, symbol, PARAMS, "bars in memory")

    app = DrilldownHost(store, symbol="HYPE", measure=measure)
    async with app.run_test(size=(200, 60)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if "Measured hit rate" in flag_list(app):
                break
        measured = flag_list(app).split("Measured hit rate, 24h ahead")[1]
        assert "of bars in memory" in measured
        codes = [line.split()[0] for line in measured.splitlines()[2:] if line.strip()]
        # Context flags have no direction; the last three take theirs from each event (SIGNALS.md).
        assert codes == ["WR", "BM", "SM", "WS", "SQ", "LQ", "CR", "FX", "PX", "FD", "TT"]
        assert all(
            ("not enough history" in x or " base " in x or "cannot be measured" in x)
            for x in measured.splitlines()[2:]
            if x.strip()
        )
        await pilot.press("n")
        for _ in range(50):
            await pilot.pause(0.05)
            if len(asked) == 2:
                break
        assert asked == ["HYPE", store.symbols[(store.symbols.index("HYPE") + 1) % len(store.symbols)]]


async def test_missing_long_short_is_unavailable_not_false(histories: list[History]) -> None:
    store = store_from(without_column(histories, Col.LS_RATIO))
    app = DrilldownHost(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        cross_venue = flag_list(app).split("Per venue")[0]
        unavailable = cross_venue.split("unavailable")[1]
        assert "SQ short_squeeze_risk" in unavailable and "LQ long_squeeze_risk" in unavailable
        # each names what it lacks, not every input it reads: funding is there
        lines = {x.split()[0]: x for x in unavailable.splitlines() if x.strip()[:2] in ("SQ", "LQ")}
        assert lines["SQ"].endswith("needs ls_ratio") and lines["LQ"].endswith("needs ls_ratio")
        assert "WR weak_rally" not in unavailable
        ls_chart = text_of(app.drilldown.query_one("#chart-ls", ChartPanel))
        assert ls_chart.startswith("no data")
        assert not text_of(app.drilldown.query_one("#chart-funding", ChartPanel)).startswith("no data")
        strips = text_of(app.drilldown.query_one(FlagTimeline)).splitlines()
        assert "unavailable" in next(s for s in strips if "short_squeeze_risk" in s)


async def test_symbol_without_bars_says_no_data_everywhere(histories: list[History]) -> None:
    store = store_from(histories)
    store.add_symbol("NEWCOIN")  # just added to the watchlist: no venue has sent a bar yet
    app = DrilldownHost(store, symbol="NEWCOIN")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert title(app).startswith("NEWCOIN  4/4")
        for chart in app.drilldown.query(ChartPanel):
            assert text_of(chart).startswith("no data"), chart.id
        assert "no bars for this symbol yet" in flag_list(app)
        per_venue = (
            flag_list(app).split("Per venue")[1].split("Funding per venue")[0].strip().splitlines()[1:]
        )
        assert per_venue and all(line.endswith("no data") for line in per_venue)
        funding = flag_list(app).split("Funding per venue")[1].strip().splitlines()[1:]
        assert funding and all(line.endswith("no data") for line in funding)


def _next_bar(store: BarStore, symbol: str) -> list[BarUpdate]:
    """The next bar on every venue, at the last bar's levels and twice its price."""
    t = int(store.current_time or 0) + store.step_ms
    return [
        BarUpdate(
            v, symbol, t, float(store.series(symbol, v)[-1, 1]) * 2, oi=float(store.series(symbol, v)[-1, 2])
        )
        for v in store.venues
    ]


async def test_follows_new_bars_but_only_repaints_on_change(store: BarStore, monkeypatch) -> None:
    app = DrilldownHost(store)
    draws: list[str] = []
    original = ChartPanel.draw

    def counting(self: ChartPanel, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        draws.append(self.id or "")
        original(self, *args, **kwargs)

    monkeypatch.setattr(ChartPanel, "draw", counting)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert "last bar 2025-12-01 23:55 UTC" in title(app)
        draws.clear()
        app.drilldown._poll()  # the screen's timer tick with nothing new in the store
        assert draws == []
        store.apply(_next_bar(store, "BTC"))  # another symbol's bar: still nothing to repaint here...
        app.drilldown._poll()
        # ...except that a new bar opened for every symbol (the store's shared time axis moved).
        assert "last bar 2025-12-02 00:00 UTC" in title(app)
        draws.clear()
        app.drilldown._poll()
        assert draws == []
        price_before = title(app)
        store.apply([BarUpdate(v, "HYPE", int(store.current_time or 0), 30.0) for v in store.venues])
        app.drilldown._poll()
        assert "price 30.0000" in title(app) and title(app) != price_before  # the figures follow at once
        assert draws == []  # plotext waits: within a bar, charts redraw at most every CHART_REFRESH_S
        store.apply([BarUpdate(v, "HYPE", int(store.current_time or 0), 31.0) for v in store.venues])
        app.drilldown._charts_at -= CHART_REFRESH_S
        app.drilldown._poll()
        assert "price 31.0000" in title(app)
        assert len(draws) == 5  # every chart, whether on screen or not: each draws when next shown


def test_snapshot(histories: list[History], snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        DrilldownHost(store_from(histories), symbol="HYPE", window="3"), terminal_size=(160, 50)
    )
