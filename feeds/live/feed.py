"""Runs one venue adapter: discovery, the fitted request plan, the liquidation stream and the backfill.

Every job of the plan is its own loop with its own backoff and its own last error, so a failing
endpoint neither stops the others nor is hidden by their success; the whole venue stops only when it
is blocked (HTTP 451, a geo 403), and says so once. Rate-limit answers pause the venue for exactly the
time it asked (``feeds.net.http_api``); timeouts, dropped connections and 5xx back off exponentially with
jitter up to 60 s; a malformed payload is skipped and counted. Nothing a venue sends can raise out of
``run``: an unexpected error is shown and the venue restarts after a pause.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from feeds.aio import wait_event
from feeds.live.backfill import history_bars
from feeds.live.bars import BarAssembler
from feeds.live.stream import LiquidationStream
from feeds.messages import BarUpdate, History, VenueStatus
from feeds.net.faults import Backoff, Blocked, Malformed, RateLimited, Rejected, VenueError
from feeds.net.http_api import VenueApi
from feeds.net.plan import fit_plan
from feeds.records import PayloadError
from feeds.source import LiquidationListener
from feeds.venues.base import Listing, Poll, VenueAdapter
from signals.times import Clock, wall_ms

Publish = Callable[[list[BarUpdate]], None]
PublishHistory = Callable[[list[History]], None]

REDISCOVER_S = 300.0  # how often to look again for symbols a venue did not list
RESTART_S = 10.0  # pause before restarting a venue after an unexpected error


def _detail(exc: BaseException) -> str:
    return exc.detail if isinstance(exc, VenueError) else f"{type(exc).__name__}: {exc}"


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
        backfill_from: base -> epoch ms of the first bar a symbol's backfill needs (a restart resumed the
            bars before it from the history store); symbols not in it are backfilled in full.
        ws_url: the liquidation stream's base URL ("" for none).
        clock: epoch ms.
        ws_ping_s: seconds between application pings on the stream (and the stall limit is twice that).
    """

    def __init__(
        self,
        adapter: VenueAdapter,
        api: VenueApi,
        symbols: list[str],
        *,
        step_ms: int,
        poll_s: float,
        publish: Publish,
        publish_history: PublishHistory,
        history_bars_n: int,
        ws_url: str,
        clock: Clock = wall_ms,
        ws_ping_s: float = 20.0,
        backfill_from: dict[str, int] | None = None,
    ) -> None:
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
        self.error = ""  # discovery, backfill or an unexpected failure; jobs keep theirs in job_errors
        self.error_ms = 0
        self.job_errors: dict[str, str] = {}
        self.last_data_ms = 0
        self.malformed = 0
        self.last_malformed = ""
        self.skipped_items = 0
        self.last_skipped = ""
        self.backfill_done: set[str] = set()
        self.backfill_from = dict(backfill_from or {})
        self.backfill_notes: list[str] = []
        self.plan = fit_plan(adapter.plan(poll_s), adapter.budgets, len(symbols))
        self.on_liquidations: LiquidationListener | None = None  # the history recorder, when one listens
        self.stream = (
            LiquidationStream(
                adapter,
                ws_url,
                wanted=self.wanted_listings,
                on_message=self.absorb_stream,
                on_state=self._stream_state,
                clock=clock,
                ping_s=ws_ping_s,
            )
            if ws_url and adapter.liquidations
            else None
        )
        self._changed = asyncio.Event()

    # ---- the watchlist -----------------------------------------------------------------------

    def set_symbols(self, symbols: list[str]) -> None:
        """Follow ``symbols`` from now on (new ones are backfilled; removed ones forgotten)."""
        for gone in set(self.wanted) - set(symbols):
            self.assembler.forget(gone)
            self.backfill_done.discard(gone)
            self.backfill_from.pop(gone, None)
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
        while True:
            try:
                await self._run_once()
            except Blocked as exc:
                self.blocked = exc.detail
                self.error, self.error_ms = exc.detail, self.clock()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.error, self.error_ms = f"restarting after {_detail(exc)}", self.clock()
                await asyncio.sleep(RESTART_S)

    async def _run_once(self) -> None:
        await self._discover()
        tasks = [asyncio.ensure_future(self._job(item.job)) for item in self.plan]
        tasks.append(asyncio.ensure_future(self._rediscover()))
        if self.stream is not None:
            tasks.append(asyncio.ensure_future(self.stream.run()))
        if self.history_bars_n > 0:
            tasks.append(asyncio.ensure_future(self._backfill()))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # re-raises Blocked, or a surprise for run() to report
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _discover(self) -> None:
        backoff = Backoff()
        while True:
            try:
                listings, first = await self.adapter.discover(self.api, self.clock())
                if not listings:
                    # Every item skipped is a garbled answer, not a venue that lists nothing.
                    raise Malformed(self.name, "the instrument list came back empty")
            except Blocked:
                raise
            except Exception as exc:
                self.error = _detail(exc)
                await asyncio.sleep(self._failed(exc, backoff, self.poll_s))
                continue
            self.error = ""
            self.listings = listings
            self.discovered = True
            self._update_not_listed()
            self._absorb(first)
            return

    async def _rediscover(self) -> None:
        """Look again, now and then, for watched symbols the venue did not list (new listings, or a
        first answer that left some out)."""
        while True:
            await asyncio.sleep(REDISCOVER_S)
            if not self.not_listed:
                continue
            try:
                listings, _ = await self.adapter.discover(self.api, self.clock())
            except Blocked:
                raise
            except Exception:
                continue
            fresh = {b: x for b, x in listings.items() if b not in self.listings}
            if fresh:
                self.listings.update(fresh)
                self._update_not_listed()
                self._changed.set()

    async def _job(self, job: str) -> None:
        backoff = Backoff()
        while True:
            item = next((i for i in self.plan if i.job == job), None)
            interval = item.interval_s if item else self.poll_s
            started = time.monotonic()
            try:
                poll = await self.adapter.poll(self.api, job, self.wanted_listings(), self.clock())
                self._absorb(poll)
            except Blocked:
                raise
            except Exception as exc:
                if not isinstance(exc, (Malformed, PayloadError)):  # those are counted, not a venue state
                    self.job_errors[job] = _detail(exc)
                delay = self._failed(exc, backoff, interval)
            else:
                backoff.reset()
                self.job_errors.pop(job, None)
                delay = interval - (time.monotonic() - started)
            await self._sleep(max(0.0, delay))

    async def _sleep(self, seconds: float) -> None:
        # A watchlist change wakes the loops, so a new symbol is polled without waiting a whole interval.
        self._changed.clear()
        await wait_event(self._changed, seconds)

    def _failed(self, exc: BaseException, backoff: Backoff, interval: float) -> float:
        """Count a failure; returns the pause before trying again."""
        self.error_ms = self.clock()
        if isinstance(exc, (Malformed, PayloadError)):
            self.malformed += 1
            self.last_malformed = _detail(exc)
        if isinstance(exc, RateLimited):
            return exc.retry_after_s
        if isinstance(exc, (Malformed, PayloadError, Rejected)):
            return interval  # the same answer is not asked for faster than the plan says
        return backoff.next_delay()  # Transient, and anything unexpected

    def _absorb(self, poll: Poll) -> None:
        now = self.clock()
        wanted = set(self.wanted)
        self._skipped(poll.skipped)
        if poll.tickers or poll.spot or poll.long_short:
            self.last_data_ms = now
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
        while True:
            todo = [x for x in self.wanted_listings() if x.base not in self.backfill_done]
            if not todo:
                await self._sleep(3600)
                continue
            listing = todo[0]
            now = self.clock()
            end = now - now % self.step_ms - 1  # closed bars only: the current one is the live feed's
            # Only from the first bar the store lacks: a restart does not spend the venue's budget on a week
            # it already holds (a symbol removed and added again is backfilled in full).
            start = max(end + 1 - self.history_bars_n * self.step_ms, self.backfill_from.get(listing.base, 0))
            if start > end:
                self.backfill_done.add(listing.base)
                continue
            try:
                parts = await self.adapter.backfill(self.api, listing, start, end)
                self._skipped(parts.skipped)
                for note in parts.notes:
                    if note not in self.backfill_notes and not note.startswith("no spot pair"):
                        self.backfill_notes.append(note)
                if listing.base in self.wanted:
                    interval = self.assembler.levels.get(listing.base)
                    hours = interval.interval_h if interval is not None else math.nan
                    if not math.isnan(hours):  # history rows that carry no interval have the live one
                        parts.funding = [
                            f if not math.isnan(f.interval_h) else replace(f, interval_h=hours)
                            for f in parts.funding
                        ]
                    self.publish_history(
                        [history_bars(self.name, listing.base, parts, start, end, self.step_ms)]
                    )
            except Blocked:
                raise
            except Exception as exc:
                self.error = f"backfill {listing.base}: {_detail(exc)}"
                if isinstance(exc, (Rejected, Malformed, PayloadError)):
                    # The venue will give the same answer again: no history for this symbol, said once.
                    self.backfill_done.add(listing.base)
                    self.backfill_notes.append(f"{listing.base}: no history ({_detail(exc)})")
                await asyncio.sleep(self._failed(exc, backoff, self.poll_s))
                continue
            backoff.reset()
            self.error = ""
            self.backfill_done.add(listing.base)

    # ---- the stream --------------------------------------------------------------------------

    def _stream_state(self, up: bool) -> None:
        # While the stream is down the bars carry no liquidation figures rather than zeros.
        self.assembler.stream_up = up

    def absorb_stream(self, raw: Any) -> None:
        """A decoded stream message: liquidations go into their bars (called by the stream)."""
        try:
            parsed = self.adapter.ws_parse(raw, self.listings)
        except PayloadError as exc:
            self.malformed += 1
            self.last_malformed = str(exc)
            return
        if parsed is None:
            return
        self._skipped(parsed.skipped)
        if not parsed.records:
            return
        wanted = set(self.wanted)
        if self.on_liquidations is not None:
            self.on_liquidations([e for e in parsed.records if e.base in wanted])
        if self.assembler.add_liquidations(parsed.records, wanted, self.clock()):
            self.flush()

    # ---- health ------------------------------------------------------------------------------

    def stale_symbols(self, now_ms: int) -> set[str]:
        """Symbols whose price has not moved in for over three poll intervals."""
        limit = 3 * self.poll_s * 1000
        return {
            base
            for base, level in self.assembler.levels.items()
            if level.updated_ms and now_ms - level.updated_ms > limit
        }

    def status(self, now_ms: int) -> VenueStatus:
        """The venue's state for the status bar and the snapshot."""
        if self.blocked:
            others = "; the other venues keep running (pick them with --venues)"
            return VenueStatus(self.name, "blocked", self.blocked + others, self.last_data_ms)
        notes = []
        paused = self.api.paused_until - time.monotonic()
        errors = list(
            dict.fromkeys([*self.job_errors.values(), self.error] if self.error else self.job_errors.values())
        )
        if paused > 0:
            until = time.strftime("%H:%M:%S", time.localtime(time.time() + paused))
            notes.append(f"paused until {until} ({'; '.join(errors)})")
        else:
            notes.extend(errors)
        stream = self.stream
        if (
            stream is not None
            and stream.down_since_ms
            and now_ms - stream.down_since_ms > 3 * self.poll_s * 1000
        ):
            since = time.strftime("%H:%M:%S", time.localtime(stream.down_since_ms / 1000))
            notes.append(f"liquidation stream down since {since} ({stream.last_error or 'connecting'})")
        wanted = len(self.wanted_listings())
        done = len(self.backfill_done & set(self.wanted))
        if self.history_bars_n and self.discovered and done < wanted:
            notes.append(f"backfill {done}/{wanted}")
        if self.not_listed:
            notes.append("not listed: " + ", ".join(self.not_listed))
        if self.malformed:
            notes.append(f"{self.malformed} malformed payloads skipped, last: {self.last_malformed}")
        if self.skipped_items:
            notes.append(f"{self.skipped_items} bad items skipped, last: {self.last_skipped}")
        if stream is not None and stream.reconnects:
            notes.append(f"stream reconnected {stream.reconnects}x")
        notes.extend(self.backfill_notes)
        detail = "; ".join(notes)
        if not self.last_data_ms:
            return VenueStatus(self.name, "error" if errors else "starting", detail, 0)
        if (now_ms - self.last_data_ms) / 1000 > 3 * self.poll_s:
            return VenueStatus(self.name, "stale", detail, self.last_data_ms)
        return VenueStatus(self.name, "error" if self.job_errors else "ok", detail, self.last_data_ms)
