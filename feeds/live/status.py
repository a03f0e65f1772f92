"""One venue feed's state for the status bar, the snapshot and the recorder's status line.

A venue stopped for its location says why, when it is tried again, and that ``r`` tries it now; a venue
waiting out a rate limit says until when ("paused", or "backing off" for Bybit's ten-minute 403), never
"stopped"; otherwise the errors of its jobs, its stream, its backfill and the symbols it does not list.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from feeds.live.stream import LiquidationStream
from feeds.messages import VenueStatus
from feeds.net.http_api import VenueApi
from feeds.venues.base import Listing


class FeedStatus:
    """The status part of ``feeds.live.feed.VenueFeed`` (a base of it, which provides the attributes below)."""

    name: str
    api: VenueApi
    stream: LiquidationStream | None
    poll_s: float
    blocked: str
    retry_at: float
    monotonic: Callable[[], float]
    error: str
    job_errors: dict[str, str]
    last_data_ms: int
    discovered: bool
    history_bars_n: int
    wanted: list[str]
    backfill_done: set[str]
    backfill_notes: list[str]
    not_listed: list[str]
    malformed: int
    last_malformed: str
    skipped_items: int
    last_skipped: str
    wanted_listings: Callable[[], list[Listing]]

    @property
    def backfilling(self) -> bool:
        """Whether the start-up history of some wanted symbol is still to come."""
        wanted = len(self.wanted_listings())
        return bool(
            self.history_bars_n and self.discovered and len(self.backfill_done & set(self.wanted)) < wanted
        )

    def status(self, now_ms: int) -> VenueStatus:
        """The venue's state at ``now_ms`` (epoch ms) for the status bar and the snapshot."""
        if self.blocked:
            others = "; the other venues keep running (pick them with --venues)"
            retry = ""
            if self.retry_at:
                left = max(0.0, self.retry_at - self.monotonic())
                at = time.strftime("%H:%M", time.localtime(time.time() + left))
                retry = f"; tried again hourly, next at {at}; r in the monitor retries now"
            return VenueStatus(self.name, "blocked", self.blocked + retry + others, self.last_data_ms)
        notes = []
        paused = self.api.paused_until - self.api.clock()
        errors = list(
            dict.fromkeys([*self.job_errors.values(), self.error] if self.error else self.job_errors.values())
        )
        if paused > 0:
            until = time.strftime("%H:%M:%S", time.localtime(time.time() + paused))
            notes.append(f"{self.api.pause_word} until {until} ({'; '.join(errors)})")
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
