"""The main screen at every size from 80x24 up, and the rough edges a new user hit there.

Expected columns come from the widths in ``tui.widgets.columns`` added up by hand: all thirteen need 139
cells with their separators; the six that always stay need 68 (flags at its 12-cell minimum). The added
columns (premium, basis, top L/S, taker flow) give way first: ``tests/unit/test_watchlist_added_columns``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feeds.messages import ALL
from feeds.sim import DEFAULT_DEMO_WATCHLIST
from tests.app.test_app_main import screen_text, until
from tests.support.demo_app import make_app
from themes import theme_names
from tui.app import PerptopApp, heatmap_height
from tui.widgets.columns import default_columns, fit_columns
from tui.widgets.heatmap import FundingHeatmap

ALWAYS = ["symbol", "price", "change_24h", "oi_change", "funding_8h", "flags"]


def keys(width: int, chosen: tuple[str, ...] | None = None) -> list[str]:
    return [c.key for c in fit_columns(default_columns(4.0), width, chosen)]


# ---- which columns fit ------------------------------------------------------------------------------


def test_eighty_columns_keep_funding_and_flags() -> None:
    # 79 cells (one is the scrollbar's): 139 - 12 (venue) - 11 (OI spark) - 13 (price spark) - 6 (S/F)
    # - 6 (L/S) - 14 (liq) = 77 fits, so OI $ stays too.
    assert keys(79) == ["symbol", "price", "change_24h", "oi_usd", "oi_change", "funding_8h", "flags"]


def test_a_hundred_and_twenty_columns_drop_the_venue_and_the_oi_sparkline() -> None:
    # 139 - 12 (venue) - 11 (OI spark) = 116 fits in 119.
    assert [k for k in keys(119) if k not in ALWAYS] == ["spark", "oi_usd", "ls_ratio", "liq", "sfr"]


def test_a_wide_terminal_shows_every_column() -> None:
    # The thirteen, funding APR, the countdown, premium, basis, top L/S and taker flow, the flags at their
    # full 29 cells: 206.
    assert len(keys(206)) == 19


def test_the_flags_column_takes_what_is_left() -> None:
    flags = {c.key: c.width for c in fit_columns(default_columns(4.0), 79)}["flags"]
    assert flags == 12 + (79 - 77)


def test_the_narrowest_screen_still_keeps_the_six() -> None:
    assert keys(40) == ALWAYS


def test_chosen_columns_are_all_shown_even_when_they_overflow() -> None:
    chosen = ("price", "spark", "oi_spark", "liq", "flags")
    assert keys(79, chosen) == ["symbol", "price", "spark", "oi_spark", "liq", "flags"]


@pytest.mark.parametrize(
    ("mode", "height", "rows"),
    [("venues", 24, 8), ("venues", 19, 0), ("time", 60, 14), ("hidden", 60, 0), ("venues", 20, 6)],
)
def test_the_heatmap_shrinks_and_hides(mode: str, height: int, rows: int) -> None:
    assert heatmap_height(mode, height) == rows


# ---- the app at 80x24 -------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path) -> PerptopApp:
    return make_app(tmp_path)


async def test_at_80x24_the_header_ends_with_flags_and_the_status_keeps_help(app: PerptopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        lines = screen_text(app).splitlines()
        header = lines[1]
        assert "funding 8h" in header and header.rstrip().endswith("flags")
        assert "DEMO" in lines[-1] and "? help" in lines[-1]
        assert app.query_one(FundingHeatmap).outer_size.height == 8  # its top border included
        # Every demo symbol has a row on screen (24 - banner - header - heatmap - status = 13 rows).
        shown = [line.split()[1] for line in lines[2:14]]
        assert shown == list(DEFAULT_DEMO_WATCHLIST)[:12]


async def test_the_layout_follows_a_resize(app: PerptopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        assert "L/S" not in screen_text(app).splitlines()[1]
        await pilot.resize_terminal(140, 30)
        await until(pilot, lambda: "L/S" in screen_text(app).splitlines()[1])
        await pilot.resize_terminal(80, 18)
        await until(pilot, lambda: not app.query_one(FundingHeatmap).display)


async def test_h_cycles_venues_hours_and_hidden(app: PerptopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("h")
        await until(pilot, lambda: "last 24 h" in screen_text(app))
        await pilot.press("h")
        await until(pilot, lambda: "funding 8h ·" not in screen_text(app))
        await pilot.press("h")
        await until(pilot, lambda: "funding 8h · venues" in screen_text(app))


async def test_columns_scroll_sideways_when_the_chosen_ones_overflow(app: PerptopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        app.chosen_columns = tuple(c.key for c in app.watchlist.all_columns)
        app.layout_columns()
        await pilot.pause()
        assert "flags" not in screen_text(app).splitlines()[1]
        for _ in range(12):
            await pilot.press("greater_than_sign")
        await until(pilot, lambda: "flags" in screen_text(app).splitlines()[1])
        await pilot.press(*["less_than_sign"] * 12)
        await until(pilot, lambda: screen_text(app).splitlines()[1].startswith("symbol"))


async def test_the_column_picker_hides_a_column_and_auto_restores(app: PerptopApp, tmp_path: Path) -> None:
    def shown() -> list[str]:
        return [c.key for c in app.watchlist.columns]

    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        assert "ls_ratio" in shown()
        await pilot.press("c")
        await until(pilot, lambda: "space toggles" in screen_text(app))
        # The list: venue, price, 24h, price 24h, OI $, OI Δ, OI 24h, funding 8h, APR, next, premium,
        # basis, L/S, ...
        await pilot.press(*["down"] * 12, "space", "enter")
        await until(pilot, lambda: "ls_ratio" not in shown())
        assert "   L/S   " not in screen_text(app).splitlines()[1]
        saved = json.loads((tmp_path / "state.json").read_text())["ui"]["columns"]
        assert "ls_ratio" not in saved and "flags" in saved
        await pilot.press("c")
        await until(pilot, lambda: "space toggles" in screen_text(app))
        await pilot.press("a")
        await until(pilot, lambda: "ls_ratio" in shown())
        assert "columns" not in json.loads((tmp_path / "state.json").read_text())["ui"]


async def test_the_picker_offers_the_added_columns_and_shows_one_at_80_columns(app: PerptopApp) -> None:
    from textual.widgets import SelectionList

    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        assert "premium" not in screen_text(app).splitlines()[1]  # gave way to the narrow terminal
        await pilot.press("c")
        await until(pilot, lambda: "space toggles" in screen_text(app))
        picker = app.screen.query_one(SelectionList)
        prompts = [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)]
        assert [p for p in prompts if p in ("premium", "basis", "top L/S", "flow p/s")] == [
            "premium",
            "basis",
            "top L/S",
            "flow p/s",
        ]
        await pilot.press(*["down"] * prompts.index("premium"), "space", "enter")
        await until(pilot, lambda: "premium" in [c.key for c in app.watchlist.columns])
        header = screen_text(app).splitlines()[1]
        assert header.index("funding 8h") < header.index("premium")


# ---- rough edges ------------------------------------------------------------------------------------


async def test_left_on_a_venue_row_keeps_the_cursor_on_that_symbol(app: PerptopApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("down", "down", "right")  # SOL's venue rows
        await until(pilot, lambda: ("SOL", "simA") in app.watchlist.order)
        await pilot.press("down", "down")
        assert app.watchlist.cursor_key is not None and app.watchlist.cursor_key[0] == "SOL"
        await pilot.press("left")
        await until(pilot, lambda: ("SOL", "simA") not in app.watchlist.order)
        assert app.watchlist.cursor_key == ("SOL", ALL)


async def test_at_80_columns_a_venue_row_names_its_venue(app: PerptopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("right")
        await until(pilot, lambda: ("BTC", "simD") in app.watchlist.order)
        lines = screen_text(app).splitlines()
        assert "venue" not in lines[1]  # the venue column gave way
        assert [line.split()[:2] for line in lines[3:7]] == [["└", f"sim{v}"] for v in "ABCD"]


async def test_a_filter_and_flagged_only_show_in_the_status_bar_at_once(app: PerptopApp) -> None:
    # At once: a few message rounds, far less than the 2 s paint tick the notes once waited for.
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        app.set_filter("o")
        await until(pilot, lambda: "filter: o" in screen_text(app).splitlines()[-1], tries=3)
        await pilot.press("f")
        await until(pilot, lambda: "flagged only" in screen_text(app).splitlines()[-1], tries=3)
        await pilot.press("escape", "f")
        await until(pilot, lambda: "filter" not in screen_text(app).splitlines()[-1], tries=3)
        assert "flagged only" not in screen_text(app).splitlines()[-1]


async def test_adding_a_listed_symbol_says_so(app: PerptopApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        app.add_symbol("ethusdt")
        await pilot.pause()
        assert any("ETH is already on the watchlist" in n.message for n in app._notifications)
        assert app.watchlist.cursor_key == ("ETH", ALL)
        assert list(app.store.symbols).count("ETH") == 1


async def test_d_can_be_undone_with_u(app: PerptopApp, tmp_path: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("down", "d")
        await until(pilot, lambda: "ETH" not in app.store.symbols)
        assert json.loads((tmp_path / "state.json").read_text())["removed"] == ["ETH"]
        await pilot.press("u")
        await until(pilot, lambda: ("ETH", ALL) in app.watchlist.order)
        assert app.watchlist.cursor_key == ("ETH", ALL)
        assert json.loads((tmp_path / "state.json").read_text())["removed"] == []


async def test_u_after_the_undo_time_does_nothing(app: PerptopApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("down", "d")
        await until(pilot, lambda: "ETH" not in app.store.symbols)
        later = app.monotonic() + 31
        app.monotonic = lambda: later  # type: ignore[method-assign]
        await pilot.press("u")
        await pilot.pause()
        assert "ETH" not in app.store.symbols
        assert any("nothing to undo" in n.message for n in app._notifications)


async def test_d_on_a_venue_row_removes_nothing(app: PerptopApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("right")
        await until(pilot, lambda: ("BTC", "simA") in app.watchlist.order)
        await pilot.press("down", "d")
        await pilot.pause()
        assert "BTC" in app.store.symbols
        assert any("removes a whole symbol" in n.message for n in app._notifications)


async def test_the_palette_offers_only_perptop_themes_and_t_follows_the_readme(app: PerptopApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        assert set(app.available_themes) == set(theme_names())
        seen = [app.theme]
        for _ in range(5):
            await pilot.press("t")
            seen.append(app.theme)
        assert seen == ["dark", "light", "high-contrast", "ansi16", "monochrome", "dark"]


async def test_monochrome_marks_the_cursor_in_reverse_and_flags_by_direction(tmp_path: Path) -> None:
    app = make_app(tmp_path, theme="monochrome")
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        strip = app.watchlist.render_line(1)  # the first row: the cursor is on it
        assert all(seg.style is not None and seg.style.reverse for seg in strip if seg.text.strip())
        other = app.watchlist.render_line(2)
        assert not any(seg.style is not None and seg.style.reverse for seg in other)
        flags = " ".join("".join(t for t, _ in app.watchlist.cells(k)[-1]) for k in app.watchlist.order)  # type: ignore[index]
        codes = flags.split()
        assert codes and all(code[0] in "▲▼◆" for code in codes)


async def test_a_tiny_funding_rate_shows_its_sign_in_the_heatmap(app: PerptopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        heatmap = app.query_one(FundingHeatmap)
        # -0.0069 % per 8 h, well inside the middle colour step of a 0.05 % scale.
        heatmap.set_data("venues", ["BTC"], ["simA", "simB"], np.array([[-0.000069, 0.0]]))
        await pilot.pause()
        row = heatmap.render_line(2).text
        assert row.split()[:3] == ["BTC", "−", "0"]


async def test_the_screen_comes_back_as_it_was_left(tmp_path: Path) -> None:
    app = make_app(tmp_path, resolved=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("s", "S", "t", "h", "right", "f")
        app.set_filter("e")
        await pilot.pause()
        sort_index = app.view.sort_index
    ui = json.loads((tmp_path / "state.state.json").read_text())["ui"]
    assert ui["theme"] == "light" and ui["heatmap"] == "time" and ui["filter"] == "e"
    assert ui["expanded"] == ["BTC"] and ui["flagged"] is True and ui["reverse"] is True

    again = make_app(tmp_path, resolved=True)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.theme == "light"
        assert again.view.sort_index == sort_index and again.view.sort_reverse
        assert again.view.heatmap_mode == "time" and again.view.filter_text == "e"
        assert again.view.expanded == {"BTC"} and again.view.flagged_only
        assert "filter: e" in screen_text(again).splitlines()[-1]


def test_the_theme_given_on_the_command_line_beats_the_saved_one(tmp_path: Path) -> None:
    from tui.config.loader import AppConfig, resolve_config

    (tmp_path / "c.state.json").write_text(json.dumps({"version": 1, "ui": {"theme": "light"}}))
    config = AppConfig(config_path=tmp_path / "c.toml", theme="high-contrast")
    assert resolve_config(config, environ={}).theme == "light"
    assert resolve_config(config, cli_theme="ansi16", environ={}).theme == "ansi16"
    assert resolve_config(config, environ={"NO_COLOR": "1"}).theme == "monochrome"
    (tmp_path / "c.state.json").write_text(json.dumps({"version": 1, "ui": {"theme": "textual-dark"}}))
    assert resolve_config(config, environ={}).theme == "high-contrast"  # not one of ours: ignored


async def test_esc_from_the_drilldown_returns_to_the_symbol_viewed_last(app: PerptopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        await pilot.press("enter")  # BTC
        await until(pilot, lambda: len(app.screen_stack) == 2)
        await pilot.press("n", "n", "N")  # ETH, SOL, back to ETH
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen_stack) == 1)
        assert app.watchlist.cursor_key == ("ETH", ALL)


async def test_help_fits_80_columns_and_scrolls_to_every_flag_meaning(app: PerptopApp) -> None:
    from signals.flags import FLAG_NAMES, SUMMARY

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: "Keys" in screen_text(app))
        seen = screen_text(app)
        for _ in range(6):
            await pilot.press("pagedown")
            await pilot.pause()
            seen += "\n" + screen_text(app)
        # Each line of the meaning column, as drawn between the box's borders and the scrollbar.
        lines = [line.strip("│ ▁▂▃▄▅▆▇█▔▕▏") for line in seen.splitlines()]
        drawn = " ".join(" ".join(line.split()) for line in lines)
        for name in FLAG_NAMES:
            assert name in drawn
            for word in SUMMARY[name].split():
                assert word in drawn, f"{name}: {word!r} of its meaning is cut off"


async def test_a_changed_cell_of_a_narrow_layout_is_redrawn(app: PerptopApp) -> None:
    """At 80 columns the fourth column shown is OI $, the row's sixth cell, and the fourth cell is 24h.
    When the new OI cell happens to equal the 24h cell, the OI column must show it, not the old OI."""
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: bool(app.watchlist.order))
        app.paused = True  # no paint tick puts the real figures back meanwhile
        key = ("ETH", ALL)  # not the cursor row, whose cells are always drawn afresh
        assert [c.key for c in app.watchlist.columns][:4] == ["symbol", "price", "change_24h", "oi_usd"]
        cells = list(app.watchlist.cells(key))  # type: ignore[arg-type]
        ((change_24h, _),) = cells[3]
        assert app.watchlist.render_line(2).text.split()[4] != change_24h  # "▸ ETH" is two words
        cells[5] = cells[3]
        app.watchlist.update_cells({key: tuple(cells)})
        await pilot.pause()
        assert app.watchlist.render_line(2).text.split()[4] == change_24h
