"""The main screen driven like a user would: keys, mouse, filter, sort, add/remove, pause, help, quit.

The app runs on the simulated market with a fixed seed and start time, a frozen clock and no live feed
loop (``live=False``): the test advances the market itself and waits on predicates.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from feeds.messages import ALL, History
from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from feeds.sim.market import HISTORY_GROUP
from feeds.sim.source import DemoSource
from signals.flags import CODE
from tests.support.demo_app import SIZE, START_MS, make_app
from tui.app import PerptopApp
from tui.config.loader import AppConfig


async def until(pilot: object, predicate: Callable[[], bool], tries: int = 100) -> None:
    """Let the app process messages until ``predicate`` holds (fails after ``tries`` rounds)."""
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause()  # type: ignore[attr-defined]
    raise AssertionError("condition not reached")


def screen_text(app: PerptopApp) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def shown_symbols(app: PerptopApp) -> list[str]:
    return [s for s, v in app.watchlist.order if v == ALL]


def pct_column(app: PerptopApp) -> list[float]:
    """The 24h % of each shown row, read from the row text as drawn."""
    out = []
    for key in app.watchlist.order:
        text = "".join(t for t, _ in app.watchlist.cells(key)[3])  # type: ignore[index]
        out.append(float(text.rstrip("%")))
    return out


@pytest.fixture
def app(tmp_path: Path) -> PerptopApp:
    return make_app(tmp_path)


async def test_first_frame_shows_every_symbol_and_simulated_band(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == len(DEFAULT_DEMO_WATCHLIST))
        text = screen_text(app)
        assert "SIMULATED MARKET" in text.splitlines()[0]
        assert "2026-01-01 00:00:03 UTC" in text
        assert shown_symbols(app) == list(DEFAULT_DEMO_WATCHLIST)
        assert any(code in text for code in CODE.values())  # the demo history ends with flags on


async def test_arrows_and_jk_move_the_selection(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        assert app.watchlist.cursor_key == ("BTC", ALL)
        await pilot.press("down", "j")
        assert app.watchlist.cursor_key == ("SOL", ALL)
        await pilot.press("k")
        assert app.watchlist.cursor_key == ("ETH", ALL)
        await pilot.press("up")
        assert app.watchlist.cursor_key == ("BTC", ALL)


async def test_click_selects_and_right_expands_venues(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.click("#watchlist", offset=(20, 3))  # line 0 is the header: line 3 is the third row
        assert app.watchlist.cursor_key == ("SOL", ALL)
        await pilot.press("right")
        await until(pilot, lambda: ("SOL", "simA") in app.watchlist.order)
        assert app.watchlist.order[3:7] == [("SOL", v) for v in app.store.venues]
        await pilot.press("left")
        await until(pilot, lambda: ("SOL", "simA") not in app.watchlist.order)


async def test_enter_opens_the_drilldown(app: PerptopApp) -> None:
    drilldown = pytest.importorskip("tui.screens.drilldown")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, drilldown.DrilldownScreen))


async def test_slash_filters_and_escape_clears(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("slash", "e", "t")
        await until(pilot, lambda: shown_symbols(app) == ["ETH"])
        await pilot.press("enter")
        await pilot.pause()
        assert shown_symbols(app) == ["ETH"]
        await pilot.press("escape")
        await until(pilot, lambda: len(shown_symbols(app)) == len(DEFAULT_DEMO_WATCHLIST))


async def test_s_sorts_by_24h_and_S_reverses(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("s")
        assert shown_symbols(app) == sorted(DEFAULT_DEMO_WATCHLIST)
        await pilot.press("s")  # 24h %
        values = pct_column(app)
        assert values == sorted(values, reverse=True)
        assert values[0] > values[-1]
        assert "24h▼" in screen_text(app)
        await pilot.press("S")
        assert pct_column(app) == sorted(values)


async def test_f_shows_flagged_rows_only(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("f")
        shown = app.watchlist.order
        assert 0 < len(shown) < len(DEFAULT_DEMO_WATCHLIST)
        for key in shown:
            assert "".join(t for t, _ in app.watchlist.cells(key)[-1]).strip()  # type: ignore[index]


async def test_a_adds_a_symbol_and_saves_it(app: PerptopApp, tmp_path: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("a", *"arbusdt", "enter")
        await until(pilot, lambda: ("ARB", ALL) in app.watchlist.order)
        assert app.watchlist.cursor_key == ("ARB", ALL)
        assert "ARB" in screen_text(app)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["added"] == ["ARB"]


async def test_d_removes_the_selected_symbol_and_saves_it(app: PerptopApp, tmp_path: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("down", "d")
        await until(pilot, lambda: "ETH" not in shown_symbols(app))
        assert "ETH" not in app.store.symbols
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["removed"] == ["ETH"]


async def test_t_switches_theme(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        before = app.theme
        await pilot.press("t")
        assert app.theme != before


async def test_h_toggles_the_heatmap_to_24h(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        assert "funding 8h · venues" in screen_text(app)
        await pilot.press("h")
        await until(pilot, lambda: "last 24 h" in screen_text(app))


async def test_p_pauses_the_prices(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))

        def price() -> str:
            return app.watchlist.row_text(("BTC", ALL)).split()[3]

        await pilot.press("p")
        before = price()
        app.source.step(120)  # type: ignore[attr-defined]
        app.paint()
        await pilot.pause()
        assert price() == before
        assert "PAUSED" in screen_text(app)
        await pilot.press("p")
        await until(pilot, lambda: price() != before)


async def test_question_mark_lists_every_flag_code(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: "Flags" in screen_text(app))
        text = screen_text(app)
        await pilot.press("end")  # the legend's last rows are a scroll away at this size
        await pilot.pause()
        text += screen_text(app)
        for name, code in CODE.items():
            assert code in text and name in text


async def test_q_quits(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)


async def test_watchlist_keys_do_nothing_on_the_drilldown(app: PerptopApp, tmp_path: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "DrilldownScreen")
        await pilot.press("d", "f", "s")  # the user can't see what these would act on
        await pilot.pause()
        assert "BTC" in app.store.symbols
        assert not app.view.flagged_only and app.view.sort_index == 0
        assert not (tmp_path / "state.json").exists()


async def test_removing_a_symbol_forgets_its_rows_and_cached_cells(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("right")  # expand BTC, so its venue rows are built too
        await until(pilot, lambda: ("BTC", app.store.venues[0]) in app.rows)
        await pilot.press("d")
        await until(pilot, lambda: "BTC" not in shown_symbols(app))
        leftovers = [
            k
            for k in [*app.rows, *app.view.sparks, *app.view.stale_cells, *app.watchlist._cells]
            if k[0] == "BTC"
        ]
        assert leftovers == []


async def test_collapsed_venue_rows_are_not_kept_stale(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("right")
        await until(pilot, lambda: ("BTC", app.store.venues[0]) in app.rows)
        await pilot.press("left")
        await pilot.pause()
        assert ("BTC", app.store.venues[0]) not in app.rows  # `f` must not judge by figures no longer updated


async def test_an_empty_watchlist_says_so(tmp_path: Path) -> None:
    market = SimulatedMarket([], seed=1, start_ms=START_MS)
    source = DemoSource(market, clock=lambda: START_MS, live=False)
    config = AppConfig(watchlist=(), config_watchlist=(), state_path=tmp_path / "state.json")
    app = PerptopApp(config, source=source, clock=lambda: START_MS)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "no symbols: a adds one" in screen_text(app))


async def test_status_bar_survives_a_terminal_resize(app: PerptopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "simA" in app.status.text)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert "simA" in app.status.text  # not blank until the next paint tick


async def test_first_frame_marks_every_row_loading_until_the_simulated_week_is_built(tmp_path: Path) -> None:
    # the week is generated on a worker thread; here it waits for the test's word, as a slow machine would
    built = threading.Event()
    watch = tuple(DEFAULT_DEMO_WATCHLIST)

    class SlowMarket(SimulatedMarket):
        def history_groups(self, size: int = HISTORY_GROUP) -> Iterator[list[History]]:
            assert built.wait(10), "the test never let the week be built"
            yield from super().history_groups(size)

    def clock() -> int:
        return START_MS + 3_000

    market = SlowMarket(list(watch), seed=7, start_ms=START_MS)
    config = AppConfig(watchlist=watch, config_watchlist=watch, state_path=tmp_path / "state.json")
    app = PerptopApp(config, source=DemoSource(market, clock=clock, live=False, background=True), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == len(watch))
        assert shown_symbols(app) == list(watch)
        prices = ["".join(t for t, _ in app.watchlist.cells(key)[2]) for key in app.watchlist.order]  # type: ignore[index]
        assert prices == ["loading…"] * len(watch)
        await pilot.press("d")  # no symbol removed while the week is generated for them all
        assert shown_symbols(app) == list(watch)
        built.set()
        await until(pilot, lambda: "loading…" not in screen_text(app))
        prices = ["".join(t for t, _ in app.watchlist.cells(key)[2]) for key in app.watchlist.order]  # type: ignore[index]
        assert all("," in p or "." in p for p in prices), prices
        assert any(code in screen_text(app) for code in CODE.values())  # flags over the week, as before


async def test_the_memory_the_week_freed_is_handed_back_once_it_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # glibc keeps what the week's generation freed (17 MB at 50 symbols, measured with
    # bench/bench_tmux.py) until a trim: one follows the loading, after the paints it sets off
    import tui.app_source

    trims: list[bool] = []  # whether the rows still said loading at each trim
    monkeypatch.setattr(tui.app_source, "TRIM_AFTER_S", 0.2)
    watch = tuple(DEFAULT_DEMO_WATCHLIST)
    market = SimulatedMarket(list(watch), seed=7, start_ms=START_MS)
    config = AppConfig(watchlist=watch, config_watchlist=watch, state_path=tmp_path / "state.json")
    app = PerptopApp(config, source=DemoSource(market, live=False, background=True), clock=lambda: START_MS)
    monkeypatch.setattr(tui.app_source, "give_back", lambda: trims.append(app.view.loading) or True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(trims))
        assert trims == [False]  # after the week, not during it


async def test_a_week_that_cannot_be_built_is_said_on_screen(tmp_path: Path) -> None:
    class BrokenMarket(SimulatedMarket):
        def history_groups(self, size: int = HISTORY_GROUP) -> Iterator[list[History]]:
            raise MemoryError("no room for the week")

    watch = tuple(DEFAULT_DEMO_WATCHLIST)
    market = BrokenMarket(list(watch), seed=7, start_ms=START_MS)
    config = AppConfig(watchlist=watch, config_watchlist=watch, state_path=tmp_path / "state.json")
    app = PerptopApp(config, source=DemoSource(market, live=False, background=True), clock=lambda: START_MS)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: any("could not start" in str(n.message) for n in app._notifications))
        note = next(n for n in app._notifications if "could not start" in str(n.message))
        assert note.severity == "error" and "MemoryError: no room for the week" in note.message
