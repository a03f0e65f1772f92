"""One venue's REST access: base URLs, budgets, an httpx client, and HTTP outcomes turned into ``faults``.

Every request a feed makes goes through ``VenueApi.get``/``post``: it waits for its budget (``limiter``),
waits out a 429/418 pause the venue asked for, sends, and either returns the decoded JSON or raises one of
``feeds.net.faults``. Counters (requests, failures, malformed bodies) feed the status line and the tests
that prove the request plan.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from feeds.net.faults import (
    BYBIT_403_BACKOFF_S,
    Banned,
    Blocked,
    Malformed,
    RateLimited,
    Rejected,
    Transient,
    VenueError,
    forbidden_kind,
    location_reason,
    plain_text,
)
from feeds.net.limiter import Budget, Clock, Limiter

# Set in the task of a feed's backfill: its requests give way to the polls (``Limiter.acquire``).
BACKGROUND: contextvars.ContextVar[bool] = contextvars.ContextVar("background", default=False)

# A venue hook that turns a 200 body carrying an error code into a fault (Bybit retCode 10006, ...).
EnvelopeCheck = Callable[[str, Any], "VenueError | None"]


def _retry_after(response: httpx.Response, default_s: float) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        value = float(raw)
    except ValueError:
        return default_s
    return max(0.0, value)


def _message(response: httpx.Response) -> str:
    """The venue's own words from an error body, on one line (``msg``/``retMsg``/the text)."""
    text = plain_text(response.text)
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("msg", "retMsg", "message", "error"):
            if isinstance(body.get(key), str) and body[key]:
                text = body[key]
                break
    line = " ".join(text.split())
    return line if len(line) <= 160 else line[:157] + "..."


class VenueApi:
    """REST access to one venue.

    Args:
        venue: the venue's name (binance, bybit, okx, hyperliquid).
        client: a shared ``httpx.AsyncClient`` (proxies from the environment, timeouts set there).
        urls: base URL per role, e.g. ``{"rest": "https://fapi.binance.com", "spot": ...}``.
        budgets: the venue's published limits; each request names one.
        share: the part of each limit perptop may use.
        geo_403: whether a 403 from this venue is Bybit's: a restricted location or its IP rate limit, told
            apart by the body (``faults.forbidden_kind``), rather than a firewall rule.
        envelope: the venue's check for error codes inside a 200 body.
        retry_after_s: the wait after a 429 that carries no ``Retry-After`` (the venue's budget window:
            2 s at OKX, a minute at Binance); a 418 without one waits 120 s (Binance's shortest ban).
        clock: monotonic seconds.
    """

    def __init__(
        self,
        venue: str,
        client: httpx.AsyncClient,
        urls: Mapping[str, str],
        budgets: list[Budget],
        *,
        share: float = 0.5,
        geo_403: bool = False,
        envelope: EnvelopeCheck | None = None,
        retry_after_s: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.venue = venue
        self.client = client
        self.urls = dict(urls)
        self.limiters = {b.name: Limiter(b, share, clock) for b in budgets}
        self.geo_403 = geo_403
        self.envelope = envelope
        self.retry_after_s = retry_after_s
        self.clock = clock
        self.paused_until = 0.0  # monotonic time before which nothing is sent (429 / 418 / Bybit's 403)
        self.pause_word = "paused"  # how the status line names the pause: "backing off" for Bybit's 403
        self.requests: Counter[str] = Counter()  # per endpoint path
        self.failures = 0

    async def get(
        self,
        role: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        weight: float = 1.0,
        budget: str = "weight",
    ) -> Any:
        """GET ``path`` on the ``role`` base URL; returns the decoded JSON."""
        return await self._send("GET", role, path, params=params, weight=weight, budget=budget)

    async def post(
        self, role: str, path: str, body: Any, *, weight: float = 1.0, budget: str = "weight"
    ) -> Any:
        """POST a JSON ``body`` to ``path``; returns the decoded JSON."""
        return await self._send("POST", role, path, body=body, weight=weight, budget=budget)

    async def _send(
        self,
        method: str,
        role: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        weight: float,
        budget: str,
    ) -> Any:
        while True:
            wait = self.paused_until - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            await self.limiters[budget].acquire(weight, background=BACKGROUND.get())
            # A 429 may have arrived while this request queued for its budget: it waits too.
            if self.paused_until <= self.clock():
                break
        url = self.urls[role].rstrip("/") + path
        self.requests[path] += 1
        try:
            if method == "GET":
                response = await self.client.get(url, params=params)
            else:
                response = await self.client.post(url, json=body)
        except httpx.TimeoutException as exc:
            self.failures += 1
            raise Transient(self.venue, f"timed out ({type(exc).__name__}) on {path}") from exc
        except httpx.ConnectError as exc:
            self.failures += 1
            # Words first: the banner and the status bar show a detail's start, cut at their width.
            raise Transient(self.venue, f"cannot connect ({exc}) on {path}".replace(" ()", "")) from exc
        except httpx.RemoteProtocolError as exc:
            self.failures += 1
            if "message body" in str(exc):  # the headers came, the body was cut short
                raise Malformed(self.venue, f"{path}: truncated body ({exc})") from exc
            raise Transient(self.venue, f"{type(exc).__name__} on {path}: {exc}") from exc
        except httpx.HTTPError as exc:
            self.failures += 1
            raise Transient(self.venue, f"{type(exc).__name__} on {path}: {exc}".rstrip(": ")) from exc
        try:
            return self._outcome(response, path, budget)
        except VenueError:
            self.failures += 1
            raise

    def _outcome(self, response: httpx.Response, path: str, budget: str) -> Any:
        status = response.status_code
        if status == 200:
            try:
                payload = json.loads(response.content)
            except ValueError as exc:
                raise Malformed(
                    self.venue, f"{path}: body is not JSON ({exc.__class__.__name__}: {exc})"
                ) from exc
            problem = self.envelope(path, payload) if self.envelope else None
            if problem is not None:
                if isinstance(problem, RateLimited):
                    self._pause(problem.retry_after_s, budget)
                raise problem
            return payload
        detail = f"HTTP {status} on {path}: {_message(response)}"
        if status == 418:
            wait = _retry_after(response, 120.0)
            self._pause(wait, budget)
            raise Banned(self.venue, detail, wait)
        if status == 429:
            wait = _retry_after(response, self.retry_after_s)
            self._pause(wait, budget)
            raise RateLimited(self.venue, detail, wait)
        if status == 451:
            raise Blocked(self.venue, f"HTTP 451 {_message(response)}")
        if status == 403 and self.geo_403:
            if forbidden_kind(response.text) == "location":
                reason = location_reason(response.text)
                raise Blocked(self.venue, f"HTTP 403: not served from this location ({reason})")
            # Bybit's IP rate-limit ban lasts at least 10 minutes: nothing is sent before it ends.
            self._pause(BYBIT_403_BACKOFF_S, budget, "backing off")
            raise RateLimited(self.venue, detail, BYBIT_403_BACKOFF_S)
        if status >= 500 or status in (403, 408):
            raise Transient(self.venue, detail)
        raise Rejected(self.venue, detail)

    def _pause(self, seconds: float, budget: str, word: str = "paused") -> None:
        until = self.clock() + seconds
        if until >= self.paused_until:
            self.pause_word = word
        self.paused_until = max(self.paused_until, until)
        self.limiters[budget].slow_down()
