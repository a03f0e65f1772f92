"""The simulated market behind ``perptop --demo``: deterministic bars for any watchlist on four fictitious
venues.

``SimulatedMarket`` produces a week of history and then live ticks; ``run_simulation`` drives it from an
asyncio loop. The default demo watchlist ends its history so that every flag of SIGNALS.md is on for
some symbol.
"""

from __future__ import annotations

from feeds.sim.market import SimulatedMarket, history_bars_for, run_simulation
from feeds.sim.symbols import FUNDING_INTERVAL_H, VENUES

DEFAULT_DEMO_WATCHLIST: tuple[str, ...] = (
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "BNB",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "SUI",
    "HYPE",
    "PEPE",
)

__all__ = [
    "DEFAULT_DEMO_WATCHLIST",
    "FUNDING_INTERVAL_H",
    "VENUES",
    "SimulatedMarket",
    "history_bars_for",
    "run_simulation",
]
