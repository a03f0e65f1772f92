"""What can go wrong talking to a venue, as exceptions the feed loops act on, and the backoff they use.

Each exception's ``str()`` is one line for the status bar. The feed decides from the type alone:
``Transient`` is retried with exponential backoff and jitter, ``RateLimited`` waits exactly what the venue
asked and slows the venue's plan, ``Banned`` pauses the venue until the ban ends, ``Blocked`` stops the
venue for good (a restricted location is not going to change by retrying), ``Malformed`` skips and counts
the payload, ``Rejected`` is a request the venue refused (an unknown symbol), never retried in a loop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


class VenueError(Exception):
    """Base of every venue failure; ``str()`` is one line naming the venue and what happened."""

    def __init__(self, venue: str, detail: str) -> None:
        super().__init__(f"{venue}: {detail}")
        self.venue = venue
        self.detail = detail


class Transient(VenueError):
    """A timeout, a dropped connection or a 5xx: retry later."""


class Malformed(VenueError):
    """A body that is not the JSON the endpoint sends (truncated, not JSON, wrong shape)."""


class Rejected(VenueError):
    """A 4xx the venue gave for this request (bad or unknown symbol): do not repeat it."""


class RateLimited(VenueError):
    """HTTP 429 (or the venue's own rate-limit code): wait ``retry_after_s`` and slow down."""

    def __init__(self, venue: str, detail: str, retry_after_s: float) -> None:
        super().__init__(venue, detail)
        self.retry_after_s = retry_after_s


class Banned(RateLimited):
    """HTTP 418 (Binance's IP ban after ignoring 429s): the venue pauses until the ban ends."""


class Blocked(VenueError):
    """HTTP 451 / a geo 403: this venue will not serve this machine; stop it and say so once."""


@dataclass
class Backoff:
    """Exponential backoff with full jitter: 1, 2, 4 ... seconds, capped at ``cap_s``.

    The delay after the n-th consecutive failure is uniform in [d/2, d] with d = min(cap, base x 2^n), so
    many clients that failed together do not retry together, and never more than ``cap_s`` apart.
    """

    base_s: float = 1.0
    cap_s: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        """The pause before the next attempt; counts one more failure."""
        d = min(self.cap_s, self.base_s * (2.0 ** min(self.failures, 30)))
        self.failures += 1
        return self.rng.uniform(d / 2, d)

    def reset(self) -> None:
        """A success: the next failure starts again from ``base_s``."""
        self.failures = 0
