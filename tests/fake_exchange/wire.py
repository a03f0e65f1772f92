"""What the fake's route builders share: the ``Answer`` they return, query readers, and venue error bodies.

A route builder returns an ``Answer`` holding a JSON-able value (or raw text); the server encodes it,
applies faults to it and writes it. ``BadParam`` raised while reading a query becomes the venue's own
error reply, so a builder reads its parameters in one line each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    """One HTTP reply: status, a JSON-able body (or ``str`` sent as-is) and extra headers."""

    status: int
    data: Any
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        """The body bytes: ``data`` as compact JSON, or the text itself."""
        if isinstance(self.data, str):
            return self.data.encode()
        return json.dumps(self.data, separators=(",", ":")).encode()


class BadParam(Exception):
    """A query parameter the venue would refuse; the venue route turns it into its error reply."""


def integer(
    params: dict[str, str],
    key: str,
    default: int | None = None,
    lo: int | None = None,
    hi: int | None = None,
    clamp: bool = True,
) -> int | None:
    """``params[key]`` as an int (``default`` when absent), clamped to [lo, hi] or refused outside it.

    Args:
        params: the query.
        key: parameter name.
        default: value when absent or empty.
        lo: smallest allowed value.
        hi: largest allowed value; above it the value is clamped (``clamp``) or refused.
        clamp: clamp above ``hi`` instead of raising ``BadParam``.
    """
    raw = params.get(key, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadParam(f"{key}={raw!r} is not an integer") from exc
    if lo is not None and value < lo:
        raise BadParam(f"{key}={value} is below {lo}")
    if hi is not None and value > hi:
        if not clamp:
            raise BadParam(f"{key}={value} is above {hi}")
        value = hi
    return value


def required(params: dict[str, str], key: str) -> str:
    """``params[key]``, raising ``BadParam`` when absent or empty."""
    value = params.get(key, "")
    if not value:
        raise BadParam(f"{key} is required")
    return value


# Error bodies the venues send for the statuses tests inject (EXCHANGES.md §2.1, §3, §4.1, §9).
BINANCE_451 = (
    "Service unavailable from a restricted location according to 'b. Eligibility' in "
    "https://www.binance.com/en/terms. Please contact customer service if you believe you received this "
    "message in error."
)
BYBIT_403 = (
    "<html><body><h1>403 Forbidden</h1>The Amazon CloudFront distribution is configured to block access "
    "from your country.</body></html>"
)

# Bybit's other 403: its IP rate limit (600 requests/5 s), "stop all sessions for at least 10 minutes".
BYBIT_403_TOO_FREQUENT = "403 Forbidden: access too frequent"


def status_answer(
    venue: str, status: int, body: Any = None, retry_after: float | None = None, now_ms: int = 0
) -> Answer:
    """The reply a venue gives with ``status``: its documented error body unless ``body`` is given.

    Args:
        venue: binance, bybit, okx or hyperliquid.
        status: the HTTP status to send.
        body: a JSON-able value or text to send instead of the default.
        retry_after: seconds for a ``Retry-After`` header.
        now_ms: the fake's now, for ban-until times.
    """
    headers = [("Retry-After", f"{retry_after:g}")] if retry_after is not None else []
    if body is not None:
        return Answer(
            status, body, headers, "application/json" if not isinstance(body, str) else "text/plain"
        )
    data: Any
    content_type = "application/json"
    if venue == "binance" and status == 451:
        data = {"code": 0, "msg": BINANCE_451}
    elif venue == "binance" and status == 429:
        data = {
            "code": -1003,
            "msg": "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per "
            "minute. Please use the websocket for live updates to avoid polling the API.",
        }
    elif venue == "binance" and status == 418:
        until = now_ms + int((retry_after or 120) * 1000)
        data = {
            "code": -1003,
            "msg": f"Way too much request weight used; IP banned until {until}. Please use "
            "WebSocket Streams for live updates to avoid bans.",
        }
    elif venue == "binance" and status >= 500:
        data = {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}
    elif venue == "bybit" and status == 403:
        data, content_type = BYBIT_403, "text/html"
    elif venue == "okx" and status == 429:
        data = {"code": "50011", "msg": "Too Many Requests"}
    elif venue == "okx" and status >= 500:
        data = {"code": "50001", "msg": "Service temporarily unavailable. Please try again later."}
    else:
        data, content_type = f"{status} error", "text/plain"
    return Answer(status, data, headers, content_type)
