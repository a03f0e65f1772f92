"""A venue's liquidation stream over WebSocket: connect, subscribe, heartbeat, detect stalls, reconnect.

Two heartbeats guard the connection: the protocol's ping/pong (the ``websockets`` keepalive, which
closes a connection whose peer stops answering) and the venue's own text ping (Bybit ``{"op":"ping"}``,
OKX ``ping``), sent every ``ping_s``; a stream that stays silent, pongs included, for twice that is
stalled and is dropped. A dropped stream reconnects with exponential backoff and jitter (at most 60 s)
and subscribes again; while it is down the venue's bars carry no liquidation figures rather than zeros.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from feeds.aio import within
from feeds.net.faults import Backoff
from feeds.venues.base import Listing, VenueAdapter
from signals.times import Clock

# The reconnect cap never goes below this, however short the poll interval: a venue that hangs up at
# once is tried at most every 5-10 s (full jitter), never in a storm.
MIN_RECONNECT_CAP_S = 10.0
HEALTHY_S = 60.0  # a session this long resets the reconnect backoff even if the market was quiet


class StreamStalled(Exception):
    """No message, not even a pong, for twice the ping interval."""


def decode(raw: str | bytes) -> Any:
    """JSON of a stream message, or the raw text for non-JSON replies such as OKX's ``pong``."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class LiquidationStream:
    """The liquidation WebSocket of one venue.

    It knows nothing of the feed that runs it: it asks ``wanted`` what to subscribe, hands every decoded
    message to ``on_message`` and says when it goes up or down through ``on_state``.

    Args:
        adapter: the venue's adapter (path, subscribe and ping messages).
        base_url: the WebSocket base URL (``wss://fstream.binance.com``); the adapter adds the path.
        wanted: the listings to be subscribed now (asked again after every message and timeout).
        on_message: receives each decoded message.
        on_state: receives True when the stream is up, False when it went down.
        clock: epoch ms, for ``down_since_ms``.
        ping_s: seconds between application pings; also the keepalive interval.
        reconnect_cap_s: the longest wait between reconnection attempts (the feed passes its poll
            interval, at least ``MIN_RECONNECT_CAP_S``: a stream whose venue is back reconnects within two
            poll intervals).
    """

    def __init__(
        self,
        adapter: VenueAdapter,
        base_url: str,
        *,
        wanted: Callable[[], list[Listing]],
        on_message: Callable[[Any], None],
        on_state: Callable[[bool], None],
        clock: Clock,
        ping_s: float = 20.0,
        reconnect_cap_s: float = 60.0,
    ) -> None:
        self.adapter = adapter
        self.url = base_url.rstrip("/") + adapter.ws_path()
        self.wanted = wanted
        self.on_message = on_message
        self.on_state = on_state
        self.clock = clock
        self.ping_s = ping_s
        self.reconnect_cap_s = reconnect_cap_s
        self.connected = False
        self.reconnects = 0
        self.messages = 0
        self.last_error = ""
        self.down_since_ms = 0  # epoch ms the stream went down (or started connecting); 0 while up
        self._heard = False

    async def run(self) -> None:
        """Keep the stream connected until cancelled."""
        from websockets.asyncio.client import connect  # only live mode pays for the import

        backoff = Backoff(cap_s=self.reconnect_cap_s)
        first = True
        self.down_since_ms = self.clock()
        while True:
            started = time.monotonic()
            self._heard = False
            try:
                async with connect(
                    self.url,
                    open_timeout=10,
                    ping_interval=self.ping_s,
                    ping_timeout=self.ping_s,
                    close_timeout=2,
                    max_size=2**23,
                ) as ws:
                    if not first:
                        self.reconnects += 1
                    first = False
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}".rstrip(": ")
            finally:
                if self.connected:
                    self.down_since_ms = self.clock()
                self._set_connected(False)
            # Only a session that delivered data, or lasted, proves the venue well: a server that
            # accepts and hangs up at once must not be reconnected to in a tight loop.
            if self._heard or time.monotonic() - started > HEALTHY_S:
                backoff.reset()
            await asyncio.sleep(backoff.next_delay())

    def _set_connected(self, up: bool) -> None:
        self.connected = up
        self.on_state(up)
        if up:
            self.down_since_ms = 0

    async def _session(self, ws: object) -> None:
        adapter = self.adapter
        subscribed: set[str] = set()

        async def subscribe() -> None:
            fresh = [x for x in self.wanted() if x.instrument not in subscribed]
            if not fresh:
                return
            for message in adapter.ws_subscribe(fresh):
                await ws.send(message)  # type: ignore[attr-defined]
            subscribed.update(x.instrument for x in fresh)

        await subscribe()
        self._set_connected(True)
        last_heard = time.monotonic()
        ping = adapter.ws_ping()
        while True:
            try:
                raw = await within(ws.recv(), self.ping_s)  # type: ignore[attr-defined]
            except asyncio.TimeoutError:
                # Only a venue with a text ping must answer within the limit; Binance's liquidation
                # stream is legitimately silent in a calm market and is kept honest by protocol pings.
                if ping is not None and time.monotonic() - last_heard > 2 * self.ping_s:
                    raise StreamStalled(f"silent for {2 * self.ping_s:g} s") from None
                if ping is not None:
                    await ws.send(ping)  # type: ignore[attr-defined]
                await subscribe()
                continue
            last_heard = time.monotonic()
            self._heard = True
            self.messages += 1
            self.on_message(decode(raw))
            await subscribe()
