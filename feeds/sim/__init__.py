"""The simulated market behind ``perptop --demo``: deterministic bars for any watchlist on four fictitious
venues.

``SimulatedMarket`` produces a week of history and then live ticks; ``run_simulation`` drives it from an
asyncio loop. The default demo watchlist ends its history so that every flag of SIGNALS.md is on for
some symbol.
"""

from __future__ import annotations

from feeds.sim.market import SimulatedMarket, history_bars_for, run_simulation
from feeds.sim.symbols import FUNDING_INTERVAL_H, VENUES
from feeds.symbols import DEFAULT_WATCHLIST

# The config's default watchlist: the demo's regimes are scheduled so every flag is on for one of these.
DEFAULT_DEMO_WATCHLIST: tuple[str, ...] = DEFAULT_WATCHLIST

__all__ = [
    "DEFAULT_DEMO_WATCHLIST",
    "FUNDING_INTERVAL_H",
    "VENUES",
    "SimulatedMarket",
    "history_bars_for",
    "run_simulation",
]
