"""The app over a deterministic simulated market, for Pilot and snapshot tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from feeds.sim.source import DemoSource
from tui.app import PerptopApp
from tui.config.loader import AppConfig, resolve_config

START_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC
SIZE = (160, 50)


def make_app(tmp_path: Path, theme: str = "dark", resolved: bool = False) -> PerptopApp:
    """The app over the default demo watchlist (seed 7, frozen clock), saving state under ``tmp_path``.

    ``resolved``: read the state file back as a start does (``resolve_config`` of ``tmp_path/state.toml``,
    whose state file is ``tmp_path/state.state.json``), so a test can restart the app.
    """
    watch = tuple(DEFAULT_DEMO_WATCHLIST)
    market = SimulatedMarket(list(watch), seed=7, start_ms=START_MS)

    def clock() -> int:
        return START_MS + 3_000

    source = DemoSource(market, clock=clock, live=False)
    config = AppConfig(
        watchlist=watch, config_watchlist=watch, theme=theme, state_path=tmp_path / "state.json"
    )
    if resolved:
        config = resolve_config(replace(config, config_path=tmp_path / "state.toml"), environ={})
    return PerptopApp(config, source=source, clock=clock)
