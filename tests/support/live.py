"""Running ``LiveSource`` against the fake exchange on loopback, for the live integration tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from feeds.live.source import LiveSource
from signals.params import SignalParams
from tests.fake_exchange import FakeExchange
from tui.model.bars import BarStore, capacity_for

VENUES = ("binance", "bybit", "okx", "hyperliquid")


def options(fx: FakeExchange) -> dict[str, dict[str, str]]:
    """Every venue's REST and stream pointed at ``fx``."""
    return {v: {"base_url": fx.http_url, "ws_url": fx.ws_url} for v in VENUES}


CANCEL_TIMEOUT_S = 20.0


@asynccontextmanager
async def running(
    fx: FakeExchange,
    symbols: Sequence[str],
    venues: Sequence[str] = VENUES,
    *,
    poll_s: float = 0.5,
    backfill_bars: int = 0,
    ws_ping_s: float = 0.5,
    timeout_s: float = 1.0,
) -> AsyncIterator[tuple[LiveSource, BarStore]]:
    """A live source and its store, running until the block ends.

    ``backfill_bars`` sets the store's capacity (and so the backfill depth); 0 means no backfill.
    """
    src = LiveSource(
        list(symbols),
        list(venues),
        poll_s,
        options(fx),
        timeout_s=timeout_s,
        backfill=backfill_bars > 0,
        ws_ping_s=ws_ping_s,
    )
    capacity = backfill_bars + 1 if backfill_bars else capacity_for(SignalParams(), src.step_ms, 24.0)
    store = BarStore(list(symbols), list(venues), capacity, src.step_ms)
    src.attach(store)
    task = asyncio.ensure_future(src.run())
    try:
        yield src, store
    finally:
        task.cancel()
        # Bounded: a cancellation lost inside the HTTP client must fail this test, not hang the suite.
        done, _ = await asyncio.wait([task], timeout=CANCEL_TIMEOUT_S)
        assert done, f"the live source did not stop within {CANCEL_TIMEOUT_S:g} s of being cancelled"


async def until(condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Wait until ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(0.05)


def state(src: LiveSource, venue: str) -> tuple[str, str]:
    """(state, detail) of ``venue`` now."""
    status = next(s for s in src.health(src.clock()).venues if s.venue == venue)
    return status.state, status.detail
