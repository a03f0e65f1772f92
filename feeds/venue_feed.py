"""Runs one venue adapter: discovery, the fitted request plan, the liquidation stream and the backfill.

Every job of the plan is its own loop with its own backoff, so a failing endpoint does not stop the
others; the whole venue stops only when it is blocked (HTTP 451, a geo 403), and says so once.
Rate-limit answers pause the venue for exactly the time it asked (``feeds.http_api``); timeouts,
dropped connections and 5xx back off exponentially with jitter up to 60 s; a malformed payload is
skipped and counted. The feed never raises out of ``run`` except on cancellation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from feeds.backfill import history_bars
from feeds.faults import Backoff, Blocked, Malformed, RateLimited, Rejected, Transient, VenueError
from feeds.http_api import VenueApi
from feeds.live_bars import BarAssembler
from feeds.messages import BarUpdate, History, VenueStatus
from feeds.records import PayloadError
from feeds.venue_base import Listing, Poll, VenueAdapter
from feeds.venue_plan import fit_plan
from feeds.ws_stream import LiquidationStream

Publish = Callable[[list[BarUpdate]], None]
PublishHistory = Callable[[list[History]], None]
ClockMs = Callable[[], int]


def wall_ms() -> int:
    """Epoch milliseconds now."""
    return int(time.time() * 1000)


class VenueFeed:
    """One venue's live feed.

    Args:
        adapter: the venue's adapter.
        api: its REST access (URLs, budgets, client).
        symbols: the watchlist's base coins.
        step_ms: bar length.
        poll_s: seconds between the batch polls.
        publish: receives bar updates (current bars).
        publish_history: receives backfilled closed bars.
        history_bars_n: how many closed bars to backfill per symbol (0: no backfill).
        ws_url: the liquidation stream's base URL ("" for none).
        clock: epoch ms.
        ws_ping_s: seconds between application pings on the stream (and the stall limit is twice that).
    """

    def __init__(self, adapter: VenueAdapter, api: VenueApi, symbols: list[str], *, step_ms: int, poll_s: float,
                 publish: Publish, publish_history: PublishHistory, history_bars_n: int, ws_url: str,
                 clock: ClockMs = wall_ms, ws_ping_s: float = 20.0) -> None:
        self.adapter = adapter
        self.api = api
        self.name = adapter.name
        self.wanted: list[str] = list(symbols)
        self.step_ms = step_ms
        self.poll_s = poll_s
        self.publish = publish
        self.publish_history = publish_history
        self.history_bars_n = history_bars_n
        self.clock = clock
        self.assembler = BarAssembler(self.name, step_ms, bool(adapter.liquidations))
        self.listings: dict[str, Listing] = {}
        self.discovered = False
        self.not_listed: list[str] = []
        self.blocked = ""
        self.error = ""
        self.error_ms = 0
        self.last_data_ms = 0
        self.malformed = 0
        self.skipped_items = 0
        self.last_skipped = ""
        self.backfill_done: set[str] = set()
        self.backfill_notes: list[str] = []
        self.plan = fit_plan(adapter.plan(poll_s), adapter.budgets, len(symbols))
        self.stream = LiquidationStream(self, ws_url, ping_s=ws_ping_s) if ws_url and adapter.liquidations else None
        self._changed = asyncio.Event()

    # ---- the watchlist -----------------------------------------------------------------------

    def set_symbols(self, symbols: list[str]) -> None:
        """Follow ``symbols`` from now on (new ones are backfilled; removed ones forgotten)."""
        for gone in set(self.wanted) - set(symbols):
            self.assembler.forget(gone)
            self.backfill_done.discard(gone)
        self.wanted = list(symbols)
        self.plan = fit_plan(self.adapter.plan(self.poll_s), self.adapter.budgets, len(symbols))
        self._update_not_listed()
        self._changed.set()

    def wanted_listings(self) -> list[Listing]:
        """The venue's listings of the watchlist's symbols, in watchlist order."""
        return [self.listings[s] for s in self.wanted if s in self.listings]

    def _update_not_listed(self) -> None:
        if self.discovered:
            self.not_listed = [s for s in self.wanted if s not in self.listings]

    # ---- running -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Discover, then run the plan, the stream and the backfill until cancelled or blocked."""
        try:
            await self._discover()
            tasks = [asyncio.ensure_future(self._job(item.job)) for item in self.plan]
            if self.stream is not None:
                tasks.append(asyncio.ensure_future(self.stream.run()))
            if self.history_bars_n > 0:
                tasks.append(asyncio.ensure_future(self._backfill()))
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    task.result()  # re-raises Blocked
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        except Blocked as exc:
            self.blocked = exc.detail
            self.error, self.error_ms = exc.detail, self.clock()

    async def _discover(self) -> None:
        backoff = Backoff()
        while True:
            try:
                listings, first = await self.adapter.discover(self.api, self.clock())
            except Blocked:
                raise
            except Exception as exc:  # noqa: BLE001 - every other failure is retried; see _failed
                await asyncio.sleep(self._failed(exc, backoff))
                continue
            self.listings = listings
            self.discovered = True
            self._update_not_listed()
            self._absorb(first)
            return

    async def _job(self, job: str) -> None:
        backoff = Backoff()
        while True:
            item = next((i for i in self.plan if i.job == job), None)
            interval = item.interval_s if item else self.poll_s
            started = time.monotonic()
            try:
                listings = self.wanted_listings()
                poll = await self.adapter.poll(self.api, job, listings, self.clock())
            except Blocked:
                raise
            except Exception as exc:  # noqa: BLE001 - see _failed
                delay = self._failed(exc, backoff)
            else:
                backoff.reset()
                self._absorb(poll)
                delay = interval - (time.monotonic() - started)
            await self._sleep(max(0.0, delay))

    async def _sleep(self, seconds: float) -> None:
        # A watchlist change wakes the loops, so a new symbol is polled without waiting a whole interval.
        self._changed.clear()
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    def _failed(self, exc: BaseException, backoff: Backoff) -> float:
        """Record a failure; returns the pause before trying again."""
        if isinstance(exc, (Malformed, PayloadError)):
            self.malformed += 1
        detail = exc.detail if isinstance(exc, VenueError) else f"{type(exc).__name__}: {exc}"
        self.error, self.error_ms = detail, self.clock()
        if isinstance(exc, RateLimited):
            return exc.retry_after_s
        if isinstance(exc, Transient):
            return backoff.next_delay()
        if isinstance(exc, (Malformed, PayloadError, Rejected)):
            return self.poll_s  # the next regular poll; the same payload is not asked for faster
        return backoff.next_delay()

    def _absorb(self, poll: Poll) -> None:
        now = self.clock()
        wanted = set(self.wanted)
        self._skipped(poll.skipped)
        if poll.tickers or poll.spot or poll.long_short:
            self.last_data_ms = now
            self.error = ""
        self.assembler.add_tickers(poll.tickers, wanted, now)
        self.assembler.add_spot(poll.spot, wanted)
        self.assembler.add_long_short(poll.long_short, wanted)
        self.flush()

    def _skipped(self, lines: list[str]) -> None:
        if lines:
            self.skipped_items += len(lines)
            self.last_skipped = lines[-1]

    def flush(self) -> None:
        """Publish the current bars (after a poll, or after liquidations arrived)."""
        updates = self.assembler.updates(self.clock())
        if updates:
            self.publish(updates)

    async def _backfill(self) -> None:
        backoff = Backoff()
        tries: dict[str, int] = {}
        while True:
            todo = [x for x in self.wanted_listings() if x.base not in self.backfill_done]
            if not todo:
                await self._sleep(3600)
                continue
            listing = todo[0]
            now = self.clock()
            end = now - now % self.step_ms - 1  # closed bars only: the current one is the live feed's
            start = end + 1 - self.history_bars_n * self.step_ms
            try:
                parts = await self.adapter.backfill(self.api, listing, start, end)
            except Blocked:
                raise
            except Exception as exc:  # noqa: BLE001 - see _failed; a symbol that keeps failing is skipped
                tries[listing.base] = tries.get(listing.base, 0) + 1
                delay = self._failed(exc, backoff)
                if tries[listing.base] >= 3 or isinstance(exc, Rejected):
                    self.backfill_done.add(listing.base)
                    self.backfill_notes.append(f"{listing.base}: no history ({self.error})")
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            self._skipped(parts.skipped)
            for note in parts.notes:
                if note not in self.backfill_notes and not note.startswith("no spot pair"):
                    self.backfill_notes.append(note)
            if listing.base in self.wanted:
                self.publish_history([history_bars(self.name, listing.base, parts, start, end, self.step_ms)])
            self.backfill_done.add(listing.base)

    # ---- health ------------------------------------------------------------------------------

    def status(self, now_ms: int) -> VenueStatus:
        """The venue's state for the status bar and the snapshot."""
        if self.blocked:
            others = "; the other venues keep running (pick them with --venues)"
            return VenueStatus(self.name, "blocked", self.blocked + others, self.last_data_ms)
        notes = []
        paused = self.api.paused_until - time.monotonic()
        if paused > 0:
            until = time.strftime("%H:%M:%S", time.localtime(time.time() + paused))
            notes.append(f"paused until {until} ({self.error})")
        elif self.error:
            notes.append(self.error)
        wanted = len(self.wanted_listings())
        if self.history_bars_n and self.discovered and len(self.backfill_done & set(self.wanted)) < wanted:
            notes.append(f"backfill {len(self.backfill_done & set(self.wanted))}/{wanted}")
        if self.not_listed:
            notes.append("not listed: " + ", ".join(self.not_listed))
        if self.malformed:
            notes.append(f"{self.malformed} malformed payloads skipped")
        if self.skipped_items:
            notes.append(f"{self.skipped_items} bad items skipped, last: {self.last_skipped}")
        if self.stream is not None and self.stream.reconnects:
            notes.append(f"stream reconnected {self.stream.reconnects}x")
        detail = "; ".join(notes)
        if not self.last_data_ms:
            return VenueStatus(self.name, "error" if self.error else "starting", detail, 0)
        age_s = (now_ms - self.last_data_ms) / 1000
        if age_s > 3 * self.poll_s:
            return VenueStatus(self.name, "stale", detail, self.last_data_ms)
        return VenueStatus(self.name, "ok", detail, self.last_data_ms)

    def absorb_stream(self, raw: Any) -> None:
        """A decoded stream message: liquidations go into their bars (called by the stream)."""
        try:
            events = self.adapter.ws_parse(raw, self.listings)
        except PayloadError as exc:
            self.malformed += 1
            self.error, self.error_ms = str(exc), self.clock()
            return
        if events and self.assembler.add_liquidations(events, set(self.wanted), self.clock()):
            self.flush()


def decode(raw: str | bytes) -> Any:
    """JSON of a stream message, or the raw text for non-JSON replies such as OKX's ``pong``."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw
