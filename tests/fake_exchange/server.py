"""``FakeExchange``: Binance, Bybit, OKX and Hyperliquid served on 127.0.0.1 over HTTP/1.1 and WebSocket.

Every venue's REST paths share one small stdlib-asyncio HTTP/1.1 server (their paths do not collide) and
every venue's WebSocket paths share one ``websockets`` server on a second port. Payloads come from the
deterministic ``Market`` through the ``routes_<venue>`` builders. Tests inject faults per venue and path
prefix (``inject``), delist a symbol mid-run (``delist``, ``relist``), push liquidations (``liquidate``),
drop sockets (``drop_ws``) and read what was asked (``log``, ``count``). Meant for loopback tests and
benchmarks only: no TLS, no auth.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tests.fake_exchange import routes_binance, routes_bybit, routes_hyperliquid, routes_okx
from tests.fake_exchange.market import Market, default_symbols
from tests.fake_exchange.wire import Answer, status_answer
from tests.fake_exchange.ws import WS_FAULTS, WsHub

if TYPE_CHECKING:
    from typing_extensions import Self

HTTP_FAULTS = frozenset(
    {"timeout", "reset", "status", "malformed", "truncated", "missing_field", "wrong_type"}
)
WS_VENUES = ("binance", "bybit", "okx")
_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    418: "I'm a teapot",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Request:
    """One request the fake received: HTTP (method GET/POST), or WS ``CONNECT`` / ``SUBSCRIBE``."""

    venue: str
    method: str
    path: str
    params: dict[str, str]
    body: str
    t: float  # the fake's clock, seconds


@dataclass
class Fault:
    """An injected fault: ``kind`` on ``venue`` for paths starting with ``path`` (None: every path)."""

    venue: str
    kind: str
    path: str | None
    times: int | None
    options: dict[str, Any] = field(default_factory=dict)

    def matches(self, venue: str, path: str, kinds: frozenset[str]) -> bool:
        """Whether this fault applies to a request of ``venue`` on ``path``."""
        return (
            self.kind in kinds
            and self.venue == venue
            and self.times != 0
            and (self.path is None or path.startswith(self.path))
        )


def venue_of(path: str) -> str:
    """The venue whose REST API owns ``path`` ("" for none)."""
    if path.startswith(("/fapi/", "/futures/data/", "/api/v3/")):
        return "binance"
    if path.startswith("/api/v5/"):
        return "okx"
    if path.startswith("/v5/"):
        return "bybit"
    if path == "/info":
        return "hyperliquid"
    return ""


class FakeExchange:
    """The four venues on loopback, as an async context manager.

    Args:
        symbols: base coins every venue lists (minus ``unlisted``); default ``default_symbols(12)``.
        unlisted: venue -> bases it does not list, e.g. ``{"okx": {"PEPE"}}``.
        seed: seed of the market's series.
        clock: seconds since the epoch (``time.time``); a fixed clock freezes every series.
        http_port: HTTP port (0: any free one).
        ws_port: WebSocket port (0: any free one).
        ping_interval: seconds between the WS server's keepalive pings (None: never).
    """

    def __init__(
        self,
        symbols: Iterable[str] | None = None,
        unlisted: Mapping[str, Iterable[str]] | None = None,
        seed: int = 1,
        clock: Callable[[], float] = time.time,
        http_port: int = 0,
        ws_port: int = 0,
        ping_interval: float | None = 20.0,
    ) -> None:
        self.market = Market(symbols if symbols is not None else default_symbols(12), seed, unlisted)
        self.clock = clock
        self.log: list[Request] = []
        self.faults: list[Fault] = []
        self._http_port, self._ws_port = http_port, ws_port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._weights = routes_binance.WeightMeter()
        self.ws = WsHub(self, ping_interval)
        self.http_url = ""
        self.ws_url = ""

    # -- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start both servers; ``http_url`` and ``ws_url`` are set when this returns."""
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self._http_port)
        port = self._server.sockets[0].getsockname()[1]
        self.http_url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{await self.ws.start(self._ws_port)}"

    async def stop(self) -> None:
        """Stop both servers and cut every open connection (held and stalled ones too)."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.ws.stop()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def now_ms(self) -> int:
        """The fake's clock in epoch ms."""
        return int(self.clock() * 1000)

    def base_url_args(self) -> list[str]:
        """perptop flags pointing every venue here: ``--base-url venue=http://...`` (+ ``ws://``, not HL)."""
        args: list[str] = []
        for venue in ("binance", "bybit", "okx", "hyperliquid"):
            args += ["--base-url", f"{venue}={self.http_url}"]
            if venue in WS_VENUES:
                args += ["--base-url", f"{venue}={self.ws_url}"]
        return args

    # -- test controls --------------------------------------------------------------------------------

    def inject(
        self, venue: str, kind: str, *, path: str | None = None, times: int | None = None, **options: Any
    ) -> Fault:
        """Make ``venue`` misbehave on paths starting with ``path`` for ``times`` requests (None: always).

        HTTP kinds: ``timeout`` (``seconds``, default 30, then the normal answer), ``reset`` (close without
        a response), ``status`` (``status``, optional ``retry_after`` seconds and ``body``), ``malformed``
        (200 ``{"not json``), ``truncated`` (full Content-Length, half the body, close),
        ``missing_field`` / ``wrong_type`` (``field``: deleted / set to "abc" wherever it occurs).
        WS kinds: ``ws_refuse`` (handshake answered 503), ``ws_stall`` (subscriptions acked, then silence:
        no data, no pongs, no pings).
        """
        if kind not in HTTP_FAULTS | WS_FAULTS:
            raise ValueError(f"unknown fault kind {kind!r}")
        if kind == "status" and "status" not in options:
            raise ValueError("a status fault needs status=<code>")
        if kind in ("missing_field", "wrong_type") and "field" not in options:
            raise ValueError(f"a {kind} fault needs field=<name>")
        fault = Fault(venue, kind, path, times, options)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def delist(self, venue: str, base: str) -> None:
        """``venue`` delists ``base`` now: its lists (tickers, instruments) stop carrying it mid-run."""
        if base.upper() not in self.market.coins:
            raise ValueError(f"{base} is not one of the fake market's symbols")
        self.market.delist(venue, base)

    def relist(self, venue: str, base: str) -> None:
        """``venue`` lists ``base`` again (after ``delist``)."""
        self.market.relist(venue, base)

    def take_fault(self, venue: str, path: str, kinds: frozenset[str]) -> Fault | None:
        """The first live fault for this request, its ``times`` used up by one."""
        for fault in self.faults:
            if fault.matches(venue, path, kinds):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def liquidate(
        self,
        venue: str,
        base: str,
        *,
        side: str = "long",
        qty: float | None = None,
        price: float | None = None,
    ) -> int:
        """Push one liquidation of ``base`` on ``venue``'s WS; returns how many connections it was sent to.

        Args:
            venue: binance, bybit or okx (Hyperliquid has no public liquidation feed).
            base: base coin, e.g. "PEPE" (the venue's own symbol and units are derived).
            side: "long" or "short": the side of the position that was liquidated.
            qty: base coins (default: 10,000 USD worth).
            price: per one base coin (default: the market price now).
        """
        if side not in ("long", "short"):
            raise ValueError("side is 'long' or 'short'")
        now = self.now_ms()
        base = base.upper()
        if not self.market.lists(venue, base):
            raise ValueError(f"{venue} does not list {base}")
        price = self.market.price(base, now, venue) if price is None else price
        qty = 10_000.0 / price if qty is None else qty
        if venue == "binance":
            symbol, event = routes_binance.force_order(self.market, base, side, qty, price, now)
            return self.ws.push_binance(symbol, event)
        if venue == "bybit":
            topic, push = routes_bybit.all_liquidation(base, side, qty, price, now)
            return self.ws.push_topic("bybit", topic, push)
        if venue == "okx":
            return self.ws.push_topic(
                "okx",
                "liquidation-orders",
                routes_okx.liquidation_orders(self.market, base, side, qty, price, now),
            )
        raise ValueError(f"{venue} has no liquidation stream")

    def drop_ws(self, venue: str) -> int:
        """Cut every WS connection of ``venue`` now, without a close frame; returns how many."""
        return self.ws.drop(venue)

    def subscribers(self, venue: str) -> int:
        """Open, subscribed, not stalled WS connections of ``venue`` (wait on it before ``liquidate``)."""
        return self.ws.subscribers(venue)

    def count(self, venue: str | None = None, path_prefix: str | None = None, since: float = 0.0) -> int:
        """Requests logged for ``venue`` on paths starting with ``path_prefix`` at or after ``since``."""
        return sum(
            1
            for r in self.log
            if (venue is None or r.venue == venue)
            and r.t >= since
            and (path_prefix is None or r.path.startswith(path_prefix))
        )

    def record(self, venue: str, method: str, path: str, params: dict[str, str], body: str) -> None:
        """Append one request to ``log``."""
        self.log.append(Request(venue, method, path, params, body, self.clock()))

    # -- HTTP -----------------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            # Only stop() cancels these; ending quietly keeps asyncio's stream callback from logging it.
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read and answer one request; False when the connection should close."""
        line = await reader.readline()
        if not line.strip():
            return False
        method, target, version = line.decode("latin-1").split()
        headers: dict[str, str] = {}
        while (raw := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = await reader.readexactly(length) if length else b""
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        split = urlsplit(target)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        path = split.path
        venue = venue_of(path)
        self.record(venue, method, path, params, body.decode("utf-8", "replace"))
        fault = self.take_fault(venue, path, HTTP_FAULTS)
        kind = fault.kind if fault is not None else ""
        if kind == "reset":
            return False
        if kind == "timeout":
            await asyncio.sleep(float(fault.options.get("seconds", 30.0)) if fault else 30.0)
        answer = self._answer(venue, method, path, params, body)
        if fault is not None and kind == "status":
            answer = status_answer(
                venue,
                int(fault.options["status"]),
                fault.options.get("body"),
                fault.options.get("retry_after"),
                self.now_ms(),
            )
        elif fault is not None and kind in ("missing_field", "wrong_type"):
            answer.data = _mutate(copy.deepcopy(answer.data), fault.options["field"], kind == "wrong_type")
        payload = b'{"not json' if kind == "malformed" else answer.encode()
        status = 200 if kind == "malformed" else answer.status
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
            f"Content-Type: {answer.content_type}",
            f"Content-Length: {len(payload)}",
        ]
        head += [f"{name}: {value}" for name, value in answer.headers]
        if venue == "binance":
            head.append(f"X-MBX-USED-WEIGHT-1M: {self._weights.charge(path, params, self.now_ms())}")
        head.append("Connection: " + ("keep-alive" if keep_alive and kind != "truncated" else "close"))
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        writer.write(payload[: len(payload) // 2] if kind == "truncated" else payload)
        await writer.drain()
        return keep_alive and kind != "truncated"

    def _answer(self, venue: str, method: str, path: str, params: dict[str, str], body: bytes) -> Answer:
        now = self.now_ms()
        if venue == "binance":
            return routes_binance.http(self.market, method, path, params, now)
        if venue == "bybit":
            return routes_bybit.http(self.market, method, path, params, now)
        if venue == "okx":
            return routes_okx.http(self.market, method, path, params, now)
        if venue == "hyperliquid":
            try:
                decoded = json.loads(body) if body else None
            except ValueError:
                decoded = None
            return routes_hyperliquid.http(self.market, method, path, decoded, now)
        return Answer(404, "Not Found", content_type="text/plain")


def _mutate(data: Any, name: str, wrong_type: bool) -> Any:
    """Delete ``name`` (or set it to "abc") in every object of ``data``, however deep."""
    if isinstance(data, dict):
        if name in data:
            if wrong_type:
                data[name] = "abc"
            else:
                del data[name]
        for value in data.values():
            _mutate(value, name, wrong_type)
    elif isinstance(data, list):
        for value in data:
            _mutate(value, name, wrong_type)
    return data
