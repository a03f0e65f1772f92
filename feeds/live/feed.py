"""Runs one venue adapter: discovery, the fitted request plan, the liquidation stream and the backfill.

Every job of the plan is its own loop with its own backoff and its own last error, so a failing
endpoint neither stops the others nor is hidden by their success; the whole venue stops only when it
is blocked for its location (HTTP 451, Bybit's location 403), and says so once; it is then tried again
quietly once an hour (the user may have moved, or fixed a proxy), or at once with ``retry_now`` (the
app's ``r``). Rate-limit answers pause the venue for exactly the time it asked (``feeds.net.http_api``);
timeouts, dropped connections and 5xx back off exponentially with jitter up to 60 s; a malformed payload
is skipped and counted. A watched symbol the venue's batch answer stops carrying is marked not listed
(``feeds.live.delisting``). Nothing a venue sends can raise out of ``run``: an unexpected error is shown
and the venue restarts after a pause.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from feeds.aio import wait_event
from feeds.live.backfill_loop import Backfilling
from feeds.live.bars import BarAssembler
from feeds.live.delisting import DelistWatch
from feeds.live.status import FeedStatus
from feeds.live.stream import MIN_RECONNECT_CAP_S, LiquidationStream
from feeds.messages import BarUpdate, History
from feeds.net.faults import Backoff, Blocked, Malformed, RateLimited, Rejected, error_detail
from feeds.net.http_api import VenueApi
from feeds.net.plan import fit_plan
from feeds.records import PayloadError
from feeds.source import LiquidationListener
from feeds.venues.base import ANSWERED, Listing, Poll, VenueAdapter
from signals.times import Clock, wall_ms

Publish = Callable[[list[BarUpdate]], None]
PublishHistory = Callable[[list[History]], None]

REDISCOVER_S = 300.0  # how often to look again for symbols a venue did not list
RESTART_S = 10.0  # pause before restarting a venue after an unexpected error
RETRY_BLOCKED_S = 3600.0  # a venue stopped for its location is tried again this often
NAN = float("nan")


class VenueFeed(Backfilling, FeedStatus):
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
        monotonic: steady seconds (when the next try of a stopped venue is due).
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
        monotonic: Callable[[], float] = time.monotonic,
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
        self.retry_at = 0.0  # monotonic time of the next try of a stopped venue (0: not stopped)
        self.monotonic = monotonic
        self._retry_now = asyncio.Event()
        self._probed: tuple[dict[str, Listing], Poll] | None = None  # the try that found it open again
        self.delist = DelistWatch()
        self._gone: dict[str, Listing] = {}  # listings of symbols delisted while running
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
                reconnect_cap_s=max(poll_s, MIN_RECONNECT_CAP_S),
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
            self.delist.forget(gone)
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
                await self._while_blocked()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.error, self.error_ms = f"restarting after {error_detail(exc)}", self.clock()
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

    async def _while_blocked(self) -> None:
        """Try a stopped venue again once an hour (or when ``retry_now`` is called) until it answers.

        Quietly: a try that fails leaves the venue shown as stopped for its first reason (a new location
        reason replaces it), with no error of its own, and never more often than hourly on its own.
        """
        while True:
            self.retry_at = self.monotonic() + RETRY_BLOCKED_S
            await wait_event(self._retry_now, RETRY_BLOCKED_S)
            self._retry_now.clear()
            try:
                self._probed = await self._list()
            except Blocked as exc:
                self.blocked = exc.detail
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                continue
            self.blocked, self.retry_at = "", 0.0
            self.error = ""
            return

    def retry_now(self) -> bool:
        """Try a venue stopped for its location now rather than at the next hourly try; False if running."""
        if not self.blocked:
            return False
        self._retry_now.set()
        return True

    async def _list(self) -> tuple[dict[str, Listing], Poll]:
        listings, first = await self.adapter.discover(self.api, self.clock())
        if not listings:
            # Every item skipped is a garbled answer, not a venue that lists nothing.
            raise Malformed(self.name, "the instrument list came back empty")
        return listings, first

    async def _discover(self) -> None:
        backoff = Backoff()
        while True:
            try:
                probed, self._probed = self._probed, None
                listings, first = probed or await self._list()
            except Blocked:
                raise
            except Exception as exc:
                self.error = error_detail(exc)
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
            # A symbol delisted while running comes back through the batch answer that dropped it.
            fresh = {b: x for b, x in listings.items() if b not in self.listings and b not in self._gone}
            if fresh:
                self.listings.update(fresh)
                self._update_not_listed()
                self._changed.set()

    async def _job(self, job: str) -> None:
        backoff = Backoff()

        # A per-symbol round answering again means the fault is over: say so before the round ends.
        def answered() -> None:
            self.job_errors.pop(job, None)

        ANSWERED.set(answered)  # this task's own context: each job runs as a task of its own
        while True:
            item = next((i for i in self.plan if i.job == job), None)
            interval = item.interval_s if item else self.poll_s
            started = time.monotonic()
            try:
                self.take_poll(
                    job, await self.adapter.poll(self.api, job, self.wanted_listings(), self.clock())
                )
            except Blocked:
                raise
            except Exception as exc:
                if not isinstance(exc, (Malformed, PayloadError)):  # those are counted, not a venue state
                    self.job_errors[job] = error_detail(exc)
                # Never slower than the plan's interval, nor the poll's for a slower job (OKX's hourly
                # instruments): a venue whose fault has ended is back within two poll intervals (the soak
                # bench measured 64-66 s without the second cap). Discovery and the backfill keep backing
                # off to 60 s.
                delay = min(self._failed(exc, backoff, interval), interval, self.poll_s)
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
            self.last_malformed = error_detail(exc)
        if isinstance(exc, RateLimited):
            return exc.retry_after_s
        if isinstance(exc, (Malformed, PayloadError, Rejected)):
            return interval  # the same answer is not asked for faster than the plan says
        return backoff.next_delay()  # Transient, and anything unexpected

    def take_poll(self, job: str, poll: Poll) -> None:
        """What one job of the plan brought back: into the bars, and (the batch job) who is listed."""
        if job == self.adapter.listing_job:
            self._check_listed(poll)
        self._absorb(poll)

    def _check_listed(self, poll: Poll) -> None:
        """Mark watched symbols the batch answer stopped carrying as not listed, and those back as listed."""
        carried = {t.base for t in poll.tickers}
        delisted, back = self.delist.observe(carried, [s for s in self.wanted if s in self.listings])
        for base in back:
            listing = self._gone.pop(base, None)
            if listing is not None and base not in self.listings:
                self.listings[base] = listing
        gone: list[BarUpdate] = []
        now = self.clock()
        bar = now - now % self.step_ms
        for base in delisted:
            self._gone[base] = self.listings.pop(base)
            self.assembler.forget(base)
            # Its last figures stop being current: the bar now holds nothing for it, as at a start
            # where the venue did not list it, and the next bars carry nothing forward.
            gone.append(BarUpdate(self.name, base, bar, price=NAN, funding_interval_h=NAN))
        if gone:
            self.publish(gone)
        if delisted or back:
            self._update_not_listed()
            self._changed.set()

    def _absorb(self, poll: Poll) -> None:
        now = self.clock()
        # Only symbols the venue lists: a delisted one some other answer still names stays not listed.
        wanted = {s for s in self.wanted if s in self.listings}
        self._skipped(poll.skipped)
        if poll.tickers or poll.spot or poll.long_short or poll.flows:
            self.last_data_ms = now
        self.assembler.add_tickers(poll.tickers, wanted, now)
        self.assembler.add_spot(poll.spot, wanted)
        self.assembler.add_long_short(poll.long_short, wanted)
        self.assembler.add_flows(poll.flows, wanted, now)
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
