"""Request budgets: a sliding-window limiter per published venue limit, run at a share of it.

A venue publishes limits such as "2400 weight per minute per IP" (Binance) or "20 requests per 2 s"
(OKX tickers). perptop keeps each one under ``share`` (half by default) of the limit, so a user running
perptop beside a trading bot on the same IP leaves the bot its room. After a 429 the share halves for
ten minutes. Time is a monotonic clock in seconds (injectable for tests).

Background requests (the start-up backfill: a week of history per symbol) never queue ahead of the polls
the screen shows: they take at most ``BACKGROUND_SHARE`` of the allowed units and give way while a poll
waits. First come, first served had a venue's batch poll wait behind dozens of queued candle requests
and its rows turn stale for 30-60 s during the backfill (the soak bench saw it on Hyperliquid).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
BACKGROUND_SHARE = 0.8  # of the allowed units: the rest stays free for the polls


@dataclass(frozen=True, slots=True)
class Budget:
    """A published limit: ``limit`` units (weight or requests) per ``window_s`` seconds."""

    name: str
    limit: float
    window_s: float
    source: str = ""  # where the venue states it, for `perptop venues`


class Limiter:
    """Waits so that the weight spent in any ``window_s`` stays under ``share`` x ``limit``."""

    def __init__(self, budget: Budget, share: float = 0.5, clock: Clock = time.monotonic) -> None:
        self.budget = budget
        self.share = share
        self.clock = clock
        self._spent: deque[tuple[float, float]] = deque()
        self._total = 0.0
        self._slow_until = 0.0
        self._lock = asyncio.Lock()

    @property
    def allowed(self) -> float:
        """Units allowed per window now (halved for ten minutes after a 429)."""
        share = self.share / 2 if self.clock() < self._slow_until else self.share
        return max(1.0, self.budget.limit * share)

    def _expire(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - self.budget.window_s:
            self._total -= self._spent.popleft()[1]

    def used(self) -> float:
        """Units spent in the current window."""
        self._expire(self.clock())
        return self._total

    def _wait_s(self, now: float) -> float:
        # Re-checked at least every second: a window can also move because slow_down ended.
        oldest = self._spent[0][0] if self._spent else now
        return min(1.0, max(0.01, oldest + self.budget.window_s - now))

    async def acquire(self, weight: float = 1.0, *, background: bool = False) -> None:
        """Wait until ``weight`` more units fit in the window, then spend them.

        ``background`` requests fit under ``BACKGROUND_SHARE`` of the allowed units and only while no
        other request waits; the others are served first come, first served.
        """
        while background:
            now = self.clock()
            self._expire(now)
            if not self._lock.locked() and (
                not self._spent or self._total + weight <= self.allowed * BACKGROUND_SHARE
            ):
                self._spent.append((now, weight))
                self._total += weight
                return
            await asyncio.sleep(self._wait_s(now) if self._spent else 0.05)
        async with self._lock:  # first come, first served
            while True:
                now = self.clock()
                self._expire(now)
                if not self._spent or self._total + weight <= self.allowed:
                    self._spent.append((now, weight))
                    self._total += weight
                    return
                await asyncio.sleep(self._wait_s(now))

    def slow_down(self, seconds: float = 600.0) -> None:
        """Halve the share for ``seconds`` (after the venue answered 429)."""
        self._slow_until = self.clock() + seconds
