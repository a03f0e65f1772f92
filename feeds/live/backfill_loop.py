"""A venue feed's backfill: each watched symbol's closed bars fetched once, oldest symbol first.

Runs beside the feed's polls (``VenueFeed._run_once``). Only the bars the store lacks are asked for (a
restart resumed the rest from the history store); a symbol the venue refuses or garbles gets a note and
no history rather than endless retries; a block stops the whole venue, as anywhere in the feed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import replace

from feeds.live.backfill import history_bars
from feeds.live.bars import BarAssembler
from feeds.messages import History
from feeds.net.faults import Backoff, Blocked, Malformed, Rejected, error_detail
from feeds.net.http_api import BACKGROUND, VenueApi
from feeds.records import PayloadError
from feeds.venues.base import Listing, VenueAdapter
from signals.times import Clock


class Backfilling:
    """The backfill part of ``feeds.live.feed.VenueFeed`` (a base of it, which provides the attributes below)."""

    name: str
    adapter: VenueAdapter
    api: VenueApi
    clock: Clock
    step_ms: int
    poll_s: float
    history_bars_n: int
    wanted: list[str]
    assembler: BarAssembler
    backfill_from: dict[str, int]
    backfill_done: set[str]
    backfill_notes: list[str]
    error: str
    publish_history: Callable[[list[History]], None]
    wanted_listings: Callable[[], list[Listing]]
    _sleep: Callable[[float], Awaitable[None]]
    _skipped: Callable[[list[str]], None]
    _failed: Callable[[BaseException, Backoff, float], float]

    async def _backfill(self) -> None:
        """Backfill the watched symbols one after another; then wait for the watchlist to change."""
        BACKGROUND.set(True)  # this task's requests give way to the polls (it runs in a task of its own)
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
                self.error = f"backfill {listing.base}: {error_detail(exc)}"
                if isinstance(exc, (Rejected, Malformed, PayloadError)):
                    # The venue will give the same answer again: no history for this symbol, said once.
                    self.backfill_done.add(listing.base)
                    self.backfill_notes.append(f"{listing.base}: no history ({error_detail(exc)})")
                await asyncio.sleep(self._failed(exc, backoff, self.poll_s))
                continue
            backoff.reset()
            self.error = ""
            self.backfill_done.add(listing.base)
