"""The soak benchmark's fault schedule, and the fake exchange it drives, run on a thread of the benchmark.

The fake exchange runs in the benchmark's own process (an event loop on a thread), so faults are injected
and cleared by calling its methods; no control route is needed, and its CPU is not the app's. The
schedule covers every fault class of the venues issue: timeouts, connection resets, 5xx, 429 with
Retry-After, 418 bans, a restricted location (451, Bybit's geo 403), malformed JSON, truncated bodies,
missing and mistyped fields, and WebSocket drops, refusals and silent stalls.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fake_exchange.market import default_symbols
from tests.fake_exchange.server import HTTP_FAULTS, WS_VENUES, FakeExchange
from tests.fake_exchange.ws import WS_FAULTS

VENUES = ("binance", "bybit", "okx", "hyperliquid")
T = TypeVar("T")

# A field of every venue's ticker answer, to delete (the price) or to garble (the open interest).
PRICE_FIELD = {"binance": "lastPrice", "bybit": "lastPrice", "okx": "last", "hyperliquid": "markPx"}
OI_FIELD = {"binance": "openInterest", "bybit": "openInterest", "okx": "oi", "hyperliquid": "openInterest"}


@dataclass(frozen=True)
class FaultClass:
    """One kind of misbehaviour, as the fake exchange injects it.

    ``kind`` is a fake-exchange fault kind, or ``ws_drop`` (cut the venue's sockets at the start).
    ``pause_s`` is the Retry-After the faulty answers carry: the fault ends when the fake stops sending
    it *and* the pause it asked for is over, so recovery is timed from then.
    """

    label: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    pause_s: float = 0.0

    @property
    def ws(self) -> bool:
        """Whether it hits the liquidation stream (Hyperliquid has none) rather than the REST API."""
        return self.kind in WS_FAULTS or self.kind == "ws_drop"

    def stops(self, venue: str) -> bool:
        """Whether the app stops ``venue`` for its location on it (then ``r`` asks for a retry)."""
        status = self.options.get("status")
        return self.kind == "status" and (status == 451 or (status == 403 and venue == "bybit"))


FAULTS: tuple[FaultClass, ...] = (
    FaultClass("timeout", "timeout", {"seconds": 30.0}),
    FaultClass("reset", "reset"),
    FaultClass("HTTP 500", "status", {"status": 500}),
    FaultClass("HTTP 503", "status", {"status": 503}),
    FaultClass("HTTP 429 Retry-After 10", "status", {"status": 429, "retry_after": 10}, pause_s=10.0),
    FaultClass("HTTP 418 Retry-After 20", "status", {"status": 418, "retry_after": 20}, pause_s=20.0),
    FaultClass("HTTP 403", "status", {"status": 403}),
    FaultClass("HTTP 451", "status", {"status": 451}),
    FaultClass("malformed JSON", "malformed"),
    FaultClass("truncated body", "truncated"),
    FaultClass("missing price", "missing_field"),
    FaultClass("mistyped OI", "wrong_type"),
    FaultClass("ws drop", "ws_drop"),
    FaultClass("ws refuse", "ws_refuse"),
    FaultClass("ws stall", "ws_stall"),
)
# 15 classes against 4 venues: coprime, so the rotation meets every (class, venue) pair in an hour.


def unexercised() -> list[str]:
    """Fault kinds the fake exchange offers that the schedule does not use (a kind added later)."""
    used = {f.kind for f in FAULTS}
    return sorted((HTTP_FAULTS | WS_FAULTS) - used)


def slot(minute: int) -> tuple[FaultClass, str]:
    """The fault and the venue of soak minute ``minute`` (0-based): classes and venues both rotate."""
    fault = FAULTS[minute % len(FAULTS)]
    venue = WS_VENUES[minute % len(WS_VENUES)] if fault.ws else VENUES[minute % len(VENUES)]
    return fault, venue


class ThreadedFake:
    """A ``FakeExchange`` serving from an event loop on a daemon thread of this process.

    Args:
        n_symbols: how many bases it lists (``default_symbols``), on every venue.
    """

    def __init__(self, n_symbols: int) -> None:
        self.symbols = list(default_symbols(n_symbols))
        self.fx = FakeExchange(self.symbols)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-exchange", daemon=True)
        self._thread.start()
        self.call(lambda: None)
        asyncio.run_coroutine_threadsafe(self.fx.start(), self.loop).result(10)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the fake's loop (its state is the loop's alone) and return what it returned."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except Exception as exc:  # handed back to the caller's thread
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return done.result(10)

    def inject(self, fault: FaultClass, venue: str) -> None:
        """Start ``fault`` on ``venue`` (every path) until ``clear``."""
        options = dict(fault.options)
        if fault.kind == "missing_field":
            options["field"] = PRICE_FIELD[venue]
        elif fault.kind == "wrong_type":
            options["field"] = OI_FIELD[venue]
        if fault.kind != "ws_drop":
            self.call(lambda: self.fx.inject(venue, fault.kind, **options))
        if fault.ws:
            # Refusals and stalls are decided at the handshake: cut the sockets so the app reconnects into them.
            self.call(lambda: self.fx.drop_ws(venue))

    def clear(self) -> None:
        """End every fault (a socket stalled at its handshake stays so until the app gives up on it)."""
        self.call(self.fx.clear)

    def subscribers(self, venue: str) -> int:
        """The venue's open, subscribed, not stalled WebSocket connections."""
        n: int = self.call(lambda: self.fx.subscribers(venue))
        return n

    def requests(self) -> int:
        """Requests served since the last call (the log is emptied, so it does not grow for the soak)."""

        def take() -> int:
            n = len(self.fx.log)
            self.fx.log.clear()
            return n

        return self.call(take)

    def stop(self) -> None:
        """Stop the servers and the loop."""
        asyncio.run_coroutine_threadsafe(self.fx.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
