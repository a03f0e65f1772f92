"""A live source with no network: every venue failing as the real clients report it, deterministically.

The screen a new user sees on a machine with no route to the venues, frozen for snapshot tests. The venue
details are the words the live clients write for a refused connection (``feeds.net.http_api``), and the
banner is the live source's own notice; the real path is covered against a closed loopback port in
``tests/integration/test_app_live.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from feeds.live.source import unreachable_notice
from feeds.messages import BAR_STEP_MS, VenueStatus
from feeds.source import BarSink, LiquidationListener, SourceHealth
from signals.times import Clock

FIRST_CALLS = {
    "binance": "/fapi/v1/fundingInfo",
    "bybit": "/v5/market/tickers",
    "okx": "/api/v5/public/instruments",
    "hyperliquid": "/info",
}


class OfflineSource:
    """Every venue in ``error`` with a refused connection; never any data."""

    mode = "live"
    live = False  # no feed loop to run: the health below is all there is
    group = "feed"
    step_ms = BAR_STEP_MS

    def __init__(self, clock: Clock) -> None:
        self.venues = list(FIRST_CALLS)
        self.clock = clock

    prepared = True  # nothing slow before attach

    def attach_steps(self, store: BarSink) -> Iterator[Callable[[], None]]:
        """One step, ``attach`` itself: it is quick."""
        yield lambda: self.attach(store)

    def attach(self, store: BarSink) -> None:
        """Nothing will arrive."""

    def resumed(self) -> None:
        """Nothing to fetch."""

    async def run(self) -> None:
        """No feed loop."""

    def add_symbol(self, symbol: str) -> None:
        """Nothing to poll."""

    def remove_symbol(self, symbol: str) -> None:
        """Nothing to stop."""

    def listen_liquidations(self, listener: LiquidationListener) -> None:
        """None will come."""

    def retry_stopped(self) -> list[str]:
        """Unreachable venues are not stopped for their location: nothing to retry."""
        return []

    def health(self, now_ms: int) -> SourceHealth:
        """Every venue failing, and the notice the live source gives for that."""
        states = tuple(
            VenueStatus(v, "error", f"cannot connect (All connection attempts failed) on {path}", 0)
            for v, path in FIRST_CALLS.items()
        )
        return SourceHealth(states, unreachable_notice(states))
