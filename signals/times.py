"""Time units in milliseconds, the one wall clock, and the one way a UTC time is written.

Every layer counts time in epoch milliseconds (bars, messages, the store). The clock is a plain
function so tests can hand in a frozen one wherever ``Clock`` is accepted.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS

Clock = Callable[[], int]
"""Epoch milliseconds now: ``wall_ms`` live, a frozen function in tests."""


def wall_ms() -> int:
    """Epoch milliseconds now."""
    return int(time.time() * 1000)


def _utc(ms: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc)


def iso_utc(ms: float, timespec: str = "seconds") -> str:
    """ISO-8601 in UTC with a ``Z``: ``2025-03-01T14:05:00Z`` (``timespec`` as ``datetime.isoformat``)."""
    return _utc(ms).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_text(ms: float, *, seconds: bool = False, suffix: str = " UTC") -> str:
    """A UTC time for people: ``2025-03-01 14:05 UTC`` (``seconds``: ``14:05:09``; ``suffix`` after it)."""
    return _utc(ms).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + suffix
