"""What can go wrong talking to a venue, as exceptions the feed loops act on, and the backoff they use.

Each exception's ``str()`` is one line for the status bar. The feed decides from the type alone:
``Transient`` is retried with exponential backoff and jitter, ``RateLimited`` waits exactly what the venue
asked and slows the venue's plan, ``Banned`` pauses the venue until the ban ends, ``Blocked`` stops the
venue (a restricted location does not change by retrying soon; the feed tries again once an hour, or when
the user asks), ``Malformed`` skips and counts the payload, ``Rejected`` is a request the venue refused (an
unknown symbol), never retried in a loop.

Bybit answers HTTP 403 both for a restricted location and for its IP rate limit ("access too frequent",
at least 10 minutes), so ``forbidden_kind`` reads the body to tell them apart (EXCHANGES.md §3, §9).
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, field
from typing import Literal

ForbiddenKind = Literal["location", "rate_limit"]

# Words of a restricted-location answer: CloudFront's "configured to block access from your country",
# Bybit's "IP addresses located in the US or Mainland China are restricted", "your region is restricted".
_LOCATION_WORDS = (
    "country",
    "region",
    "restricted location",
    "jurisdiction",
    "located in",
    "not available in your",
)
BYBIT_403_BACKOFF_S = 600.0  # Bybit: stop every session for at least 10 minutes after "access too frequent"


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


def error_detail(exc: BaseException) -> str:
    """One line for any failure of a venue call: a ``VenueError``'s own detail, else type and message."""
    return exc.detail if isinstance(exc, VenueError) else f"{type(exc).__name__}: {exc}"


def plain_text(body: str) -> str:
    """``body`` on one line, without the tags of an HTML error page (CloudFront's, a proxy's)."""
    if body.lstrip().startswith("<"):
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.IGNORECASE | re.DOTALL)
        body = html.unescape(re.sub(r"<[^>]*>", " ", body))
    return " ".join(body.split())


def location_reason(body: str) -> str:
    """The sentence of a location 403 that names the restriction, else a generic one (one line)."""
    for sentence in re.split(r"(?<=[.!?])\s+", plain_text(body)):
        if any(word in sentence.lower() for word in _LOCATION_WORDS):
            return sentence if len(sentence) <= 160 else sentence[:157] + "..."
    return "access from this location is restricted"


def forbidden_kind(body: str) -> ForbiddenKind:
    """Which of Bybit's two HTTP 403 answers ``body`` is: a restricted location, or its IP rate limit.

    The location words are looked for first: CloudFront's country page also says "There might be too
    much traffic". A 403 that names neither is taken as the rate-limit kind: waiting ten minutes costs
    little and ends by itself, while stopping the venue on a guess would hide it until the next hourly try.
    """
    text = plain_text(body).lower()  # the words a reader sees, not those of a script or meta tag
    if any(word in text for word in _LOCATION_WORDS):
        return "location"
    return "rate_limit"


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
