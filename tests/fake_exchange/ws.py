"""The fake exchange's WebSocket side: one ``websockets`` server for the Binance, Bybit and OKX public paths.

Paths: Binance ``/market/ws/<stream>`` and ``/market/stream?streams=a/b`` (the legacy ``/ws/<stream>`` is
accepted but stays silent, as the real one does since 2026-04-23), Bybit ``/v5/public/linear``
(``{"op": "subscribe", "args": ["allLiquidation.BTCUSDT"]}``, ``{"op": "ping"}``), OKX ``/ws/v5/public``
(``liquidation-orders`` / ``SWAP``; text ``ping`` -> ``pong``). The handshake is logged as ``CONNECT``
and each subscribe message as ``SUBSCRIBE``; ``ws_refuse`` and ``ws_stall`` faults are decided at the
handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response

from tests.fake_exchange import routes_bybit

if TYPE_CHECKING:
    from tests.fake_exchange.server import FakeExchange

WS_FAULTS = frozenset({"ws_refuse", "ws_stall"})
BINANCE_ALL = "!forceOrder@arr"
OKX_CHANNEL = "liquidation-orders"


def ws_venue(path: str) -> str:
    """The venue whose WebSocket API owns ``path`` ("" for none)."""
    if path.startswith("/ws/v5/public"):
        return "okx"
    if path.startswith("/v5/public/"):
        return "bybit"
    if path.startswith(("/market/", "/ws/")):
        return "binance"
    return ""


@dataclass(eq=False)
class Client:
    """One open WS connection: its venue, what it subscribed to, and whether it is (to be) stalled."""

    venue: str
    path: str
    conn: ServerConnection
    combined: bool
    stall: bool
    topics: set[str] = field(default_factory=set)
    stalled: bool = False

    @property
    def conn_id(self) -> str:
        """A short connection id, as the venues put in their acks."""
        return self.conn.id.hex[:8]


class WsHub:
    """The WS server and its clients, driven by ``FakeExchange`` (log, faults, clock, market)."""

    def __init__(self, fx: FakeExchange, ping_interval: float | None) -> None:
        self.fx = fx
        self.ping_interval = ping_interval
        self._server: Server | None = None
        self._clients: set[Client] = set()
        self._stall: dict[ServerConnection, bool] = {}
        self._sends: set[asyncio.Task[None]] = set()

    async def start(self, port: int) -> int:
        """Start listening on 127.0.0.1:``port`` (0: any); returns the port."""
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            port,
            process_request=self._process_request,
            ping_interval=self.ping_interval,
            close_timeout=1.0,
        )
        return int(next(iter(self._server.sockets)).getsockname()[1])

    async def stop(self) -> None:
        """Cut every connection and stop listening."""
        for client in list(self._clients):
            client.conn.transport.abort()
        for task in list(self._sends):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _process_request(self, conn: ServerConnection, request: WsRequest) -> Response | None:
        split = urlsplit(request.path)
        venue = ws_venue(split.path)
        self.fx.record(venue, "CONNECT", split.path, dict(parse_qsl(split.query)), "")
        if not venue:
            return conn.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        fault = self.fx.take_fault(venue, split.path, WS_FAULTS)
        if fault is not None and fault.kind == "ws_refuse":
            return conn.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable\n")
        self._stall[conn] = fault is not None and fault.kind == "ws_stall"
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        split = urlsplit(conn.request.path if conn.request else "/")
        venue = ws_venue(split.path)
        combined = split.path.startswith("/market/stream")
        client = Client(venue, split.path, conn, combined, self._stall.pop(conn, False))
        self._clients.add(client)
        try:
            if venue == "binance":
                client.topics |= _binance_streams(split.path, dict(parse_qsl(split.query)))
                if client.stall:
                    await self._stall_now(client)
                    return
            async for message in conn:
                for reply in self._on_message(client, message):
                    await conn.send(reply)
                if client.stall and client.topics:
                    await self._stall_now(client)
                    return
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(client)

    async def _stall_now(self, client: Client) -> None:
        # Stop the keepalive pings and stop reading, so pings from the client get no pong either.
        client.stalled = True
        if client.conn.keepalive_task is not None:
            client.conn.keepalive_task.cancel()
        client.conn.transport.pause_reading()
        await client.conn.wait_closed()

    def _on_message(self, client: Client, message: str | bytes) -> list[str]:
        text = message.decode() if isinstance(message, bytes) else message
        if client.venue == "okx" and text == "ping":
            return ["pong"]
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return [_bad_json(client)]
        if client.venue == "binance":
            return self._binance(client, request, text)
        if client.venue == "bybit":
            return self._bybit(client, request, text)
        return self._okx(client, request, text)

    def _binance(self, client: Client, request: dict[str, Any], text: str) -> list[str]:
        method, params = request.get("method"), request.get("params") or []
        if method == "SUBSCRIBE":
            self.fx.record("binance", "SUBSCRIBE", client.path, {}, text)
            client.topics |= {str(p) for p in params}
        elif method == "UNSUBSCRIBE":
            client.topics -= {str(p) for p in params}
        elif method == "LIST_SUBSCRIPTIONS":
            return [json.dumps({"result": sorted(client.topics), "id": request.get("id")})]
        else:
            return [
                json.dumps(
                    {
                        "error": {"code": 2, "msg": f"Invalid request: unknown method {method!r}"},
                        "id": request.get("id"),
                    }
                )
            ]
        return [json.dumps({"result": None, "id": request.get("id")})]

    def _bybit(self, client: Client, request: dict[str, Any], text: str) -> list[str]:
        op, req_id = request.get("op"), request.get("req_id", "")
        base = {"conn_id": client.conn_id, "req_id": req_id, "op": op}
        if op == "ping":
            return [json.dumps({"success": True, "ret_msg": "pong", **base})]
        if op not in ("subscribe", "unsubscribe"):
            return [json.dumps({"success": False, "ret_msg": f"error:unknown op {op}", **base})]
        if op == "subscribe":
            self.fx.record("bybit", "SUBSCRIBE", client.path, {}, text)
        args = [str(a) for a in request.get("args") or []]
        known = {f"allLiquidation.{routes_bybit.perp_symbol(b)[0]}" for b in self.fx.market.listed("bybit")}
        bad = [a for a in args if a not in known]
        good = [a for a in args if a in known]
        if op == "subscribe":
            client.topics |= set(good)
        else:
            client.topics -= set(good)
        message = f"Invalid symbol :[{','.join(bad)}]" if bad else ""
        return [json.dumps({"success": not bad, "ret_msg": message, **base})]

    def _okx(self, client: Client, request: dict[str, Any], text: str) -> list[str]:
        op, args = request.get("op"), request.get("args") or []
        if op not in ("subscribe", "unsubscribe"):
            return [
                json.dumps(
                    {
                        "event": "error",
                        "code": "60012",
                        "msg": f"Invalid request: {text}",
                        "connId": client.conn_id,
                    }
                )
            ]
        if op == "subscribe":
            self.fx.record("okx", "SUBSCRIBE", client.path, {}, text)
        replies = []
        for arg in args:
            if isinstance(arg, dict) and arg.get("channel") == OKX_CHANNEL and arg.get("instType") == "SWAP":
                (client.topics.add if op == "subscribe" else client.topics.discard)(OKX_CHANNEL)
                reply: dict[str, Any] = {"event": op, "arg": arg, "connId": client.conn_id}
            else:
                shown = arg.get("channel") if isinstance(arg, dict) else arg
                reply = {
                    "event": "error",
                    "code": "60018",
                    "msg": f"Wrong URL or channel:{shown}, instId or instType doesn't exist.",
                    "connId": client.conn_id,
                }
            if "id" in request:
                reply["id"] = request["id"]
            replies.append(json.dumps(reply))
        return replies

    # -- pushes and drops -------------------------------------------------------------------------------

    def _live(self, venue: str) -> list[Client]:
        return [c for c in self._clients if c.venue == venue and not c.stalled]

    def push_binance(self, symbol: str, event: dict[str, Any]) -> int:
        """Send a forceOrder event to every Binance client following ``!forceOrder@arr`` or the symbol."""
        own = f"{symbol.lower()}@forceOrder"
        sent = 0
        for client in self._live("binance"):
            stream = BINANCE_ALL if BINANCE_ALL in client.topics else own if own in client.topics else None
            if stream is None:
                continue
            self._send(client, json.dumps({"stream": stream, "data": event} if client.combined else event))
            sent += 1
        return sent

    def push_topic(self, venue: str, topic: str, payload: dict[str, Any]) -> int:
        """Send ``payload`` to every client of ``venue`` subscribed to ``topic``."""
        text = json.dumps(payload)
        clients = [c for c in self._live(venue) if topic in c.topics]
        for client in clients:
            self._send(client, text)
        return len(clients)

    def _send(self, client: Client, text: str) -> None:
        task = asyncio.get_running_loop().create_task(_send_quietly(client.conn, text))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def drop(self, venue: str) -> int:
        """Abort every connection of ``venue`` (no close frame: the client sees an abnormal closure)."""
        clients = [c for c in self._clients if c.venue == venue]
        for client in clients:
            client.conn.transport.abort()
        return len(clients)

    def subscribers(self, venue: str) -> int:
        """Live clients of ``venue`` with at least one subscription."""
        return sum(1 for c in self._live(venue) if c.topics)


def _binance_streams(path: str, params: dict[str, str]) -> set[str]:
    # The legacy /ws/<stream> path no longer carries /market streams: accepted, never fed.
    if path.startswith("/market/ws/"):
        return {unquote(path.removeprefix("/market/ws/"))}
    if path.startswith("/market/stream"):
        return {s for s in params.get("streams", "").split("/") if s}
    return set()


def _bad_json(client: Client) -> str:
    if client.venue == "okx":
        return json.dumps(
            {"event": "error", "code": "60012", "msg": "Invalid request", "connId": client.conn_id}
        )
    if client.venue == "bybit":
        return json.dumps({"success": False, "ret_msg": "error:request not json", "conn_id": client.conn_id})
    return json.dumps({"error": {"code": 3, "msg": "Invalid JSON"}, "id": None})


async def _send_quietly(conn: ServerConnection, text: str) -> None:
    with contextlib.suppress(ConnectionClosed):
        await conn.send(text)
