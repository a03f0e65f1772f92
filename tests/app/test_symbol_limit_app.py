"""The 200-symbol limit in the app: a state file listing 10,000 added symbols starts a normal app of 200
with a warning, and ``a`` refuses a 201st symbol until one is removed (the CLI side: test_symbol_limit.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from feeds.messages import ALL
from feeds.sim import SimulatedMarket
from feeds.sim.source import DemoSource
from tests.support.demo_app import SIZE, START_MS
from tui.app import PerptopApp
from tui.config.loader import load_config, resolve_config


async def until(pilot: object, predicate: Callable[[], bool], tries: int = 200) -> None:
    """Let the app process messages until ``predicate`` holds (fails after ``tries`` rounds)."""
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause()  # type: ignore[attr-defined]
    raise AssertionError("condition not reached")


def toasts(app: PerptopApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_state_file_of_10000_symbols_starts_200_and_a_refuses_the_201st(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('watchlist = ["BTC", "ETH", "SOL"]\n')
    state_file = tmp_path / "config.state.json"
    added = [f"C{i}" for i in range(1, 10_001)]
    state_file.write_text(json.dumps({"version": 1, "added": added, "removed": []}))
    config = resolve_config(load_config(config_file), environ={})

    def clock() -> int:
        return START_MS + 3_000

    # a day of history, not the week: the limit is what is tested (the 200-symbol week: the benches)
    market = SimulatedMarket(list(config.watchlist), seed=7, start_ms=START_MS, history_bars=288)
    app = PerptopApp(config, source=DemoSource(market, clock=clock, live=False), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.watchlist.order) == 200)
        assert app.store.symbols[:4] == ["BTC", "ETH", "SOL", "C1"]
        assert any(str(state_file) in t and "9,803 added symbols left out" in t for t in toasts(app))

        await pilot.press("a", *"newb", "enter")
        await until(pilot, lambda: any("NEWB not added" in t for t in toasts(app)))
        refusal = next(t for t in toasts(app) if "NEWB not added" in t)
        assert "at most 200 symbols" in refusal
        assert len(app.store.symbols) == 200 and "NEWB" not in app.store.symbols

        # Remove one: there is room again, and the state file is written with what is shown.
        assert app.watchlist.cursor_key == ("BTC", ALL)  # the first row: a symbol of the config file
        await pilot.press("d")
        await until(pilot, lambda: len(app.store.symbols) == 199)
        await pilot.press("a", *"newb", "enter")
        await until(pilot, lambda: ("NEWB", ALL) in app.watchlist.order)
        assert len(app.store.symbols) == 200
    saved = json.loads(state_file.read_text())
    assert saved["added"] == [*added[:197], "NEWB"]  # the 9,803 left out are not written back
    assert saved["removed"] == ["BTC"]
