"""Alert delivery with real waits: webhooks on a loopback server, and command hooks that run too long.

A hanging webhook or command must hold up neither the caller nor the other sinks, and a command past
its timeout is killed. The server runs on 127.0.0.1 in a thread; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tui.alerts.sinks import Deliverer
from tui.config.alerts import Sinks

EVENT: dict[str, Any] = {
    "time": "2026-11-25T15:55:00Z",
    "wall_time": "2026-11-25T15:56:01Z",
    "symbol": "BTC",
    "venue": "all",
    "kind": "flag_on",
    "flag": "short_squeeze",
    "rule": "squeezes",
    "direction": 1,
    "reason": "funding -0.05% 8h, OI +3.1% 4h, price +2.0% 4h — ünïcode",
    "confidence": 1.0,
    "record": None,
    "record_note": "not enough history: 4 events",
    "alerted": ["squeezes"],
    "suppressed": [],
}
TITLE = "BTC short_squeeze on"
BODY = "funding -0.05% 8h"
WAIT_S = 5.0
"""The longest any test waits for something that should take milliseconds."""


def wait_for(check: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


class Terminal:
    """A terminal writer that records what it was given, from any thread."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            self.writes.append(text)


@pytest.fixture
def deliverer() -> Iterator[Deliverer]:
    d = Deliverer(None, webhook_timeout_s=WAIT_S, retry_pause_s=0.05)
    yield d
    d.close(1.0)


# ---- webhooks ------------------------------------------------------------------------------------


class Hook:
    """A loopback webhook server: ``/ok`` answers 204, ``/fail`` 500, ``/hang`` waits until released."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, bytes]] = []
        self.hanging = 0
        self.release = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("content-length") or 0))
                hook.received.append((self.path, self.headers.get("content-type") or "", data))
                if self.path == "/hang":
                    hook.hanging += 1
                    hook.release.wait(WAIT_S)
                self.send_response(500 if self.path == "/fail" else 204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def test_a_webhook_receives_exactly_the_event_json(hook: Hook, deliverer: Deliverer) -> None:
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(webhook=hook.url + "/ok"))
    assert deliverer.close(WAIT_S)
    ((path, content_type, data),) = hook.received
    assert path == "/ok" and content_type == "application/json"
    assert json.loads(data.decode("utf-8")) == EVENT
    assert deliverer.errors() == [] and deliverer.counts().delivered == 1


def test_a_webhook_answering_500_is_recorded_and_not_retried_in_a_loop(
    hook: Hook, deliverer: Deliverer
) -> None:
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(webhook=hook.url + "/fail"))
    assert deliverer.close(WAIT_S)
    assert deliverer.errors() == [f"webhook 127.0.0.1:{hook.port}: HTTP 500"]
    assert len(hook.received) == 1


def test_a_webhook_nobody_listens_on_is_an_error_after_one_retry(deliverer: Deliverer) -> None:
    server = Hook()
    url = server.url + "/ok"
    server.close()  # the port is free again: connections are refused
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(webhook=url))
    assert deliverer.close(WAIT_S)
    (error,) = deliverer.errors()
    assert error.startswith(f"webhook 127.0.0.1:{server.port}: cannot connect")


def test_a_hanging_webhook_does_not_delay_the_log_nor_the_caller(hook: Hook, tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    d = Deliverer(None, webhook_timeout_s=WAIT_S)
    sinks = Sinks(webhook=hook.url + "/hang", log=log)
    d.deliver(EVENT, TITLE, BODY, sinks)
    assert wait_for(lambda: hook.hanging == 1)  # the webhook's worker is stuck in its first request
    t0 = time.monotonic()
    d.deliver(EVENT, TITLE, BODY, sinks)
    assert time.monotonic() - t0 < 0.1
    assert wait_for(lambda: log.exists() and len(log.read_text().splitlines()) == 2, 1.0)
    webhook = next(h for h in d.health() if h.label.startswith("webhook"))
    assert (hook.hanging, webhook.delivered) == (1, 0)  # still hanging while the log is done
    hook.release.set()
    assert d.close(WAIT_S)
    assert d.errors() == [] and d.counts().delivered == 4


def test_the_event_delivered_is_the_event_given_even_if_changed_after(hook: Hook) -> None:
    d = Deliverer(None, webhook_timeout_s=WAIT_S)
    event = dict(EVENT)
    d.deliver(event, TITLE, BODY, Sinks(webhook=hook.url + "/hang"))
    assert wait_for(lambda: hook.hanging == 1)
    d.deliver(event, TITLE, BODY, Sinks(webhook=hook.url + "/hang"))  # queued behind the first
    event["symbol"] = "CHANGED"
    hook.release.set()
    assert d.close(WAIT_S)
    assert [json.loads(data)["symbol"] for _, _, data in hook.received] == ["BTC", "BTC"]


def test_one_broken_sink_loses_none_of_the_others(hook: Hook, tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    term = Terminal()
    d = Deliverer(term)
    sinks = Sinks(bell=True, command=("/nonexistent/hook",), webhook=hook.url + "/ok", log=log)
    d.deliver(EVENT, TITLE, BODY, sinks)
    assert d.close(WAIT_S)
    assert term.writes == ["\a"]
    assert len(hook.received) == 1 and json.loads(log.read_text()) == EVENT
    assert d.errors() == ["command hook: not found"]
    assert (d.counts().delivered, d.counts().failed) == (3, 1)


# ---- commands that run too long ------------------------------------------------------------------


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_command_past_its_timeout_is_killed_and_recorded_as_timed_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    hook = _script(
        tmp_path,
        "slow.py",
        """
        import os, sys, time
        open(sys.argv[1], "w").write(str(os.getpid()))
        time.sleep(60)
        """,
    )
    d = Deliverer(None, command_timeout_s=1.0)
    t0 = time.monotonic()
    d.deliver(EVENT, TITLE, BODY, Sinks(command=(sys.executable, str(hook), str(pid_file))))
    assert time.monotonic() - t0 < 0.1  # the caller never waits for the program
    assert wait_for(lambda: bool(d.errors()))
    assert time.monotonic() - t0 < 4.0
    assert d.errors() == [f"command {os.path.basename(sys.executable)} {hook.name}: timed out after 1 s"]
    assert pid_file.exists(), "the program did not start within its timeout"
    pid = int(pid_file.read_text())
    assert wait_for(lambda: not _alive(pid), 2.0), "the timed-out program is still running"
    assert d.close(WAIT_S)


def test_a_hanging_command_does_not_delay_the_log_or_the_bell(tmp_path: Path) -> None:
    # Past its 3 s timeout it is killed; 5 s bounds it should the test process end first.
    hook = _script(tmp_path, "hang.py", "import time\ntime.sleep(5)\n")
    log = tmp_path / "alerts.jsonl"
    term = Terminal()
    d = Deliverer(term, command_timeout_s=3.0)
    t0 = time.monotonic()
    d.deliver(EVENT, TITLE, BODY, Sinks(bell=True, command=(sys.executable, str(hook)), log=log))
    assert time.monotonic() - t0 < 0.1
    assert wait_for(lambda: log.exists() and log.read_text() != "", 1.0)
    assert wait_for(lambda: term.writes == ["\a"], 1.0)
    # The hook is still running: close cannot drain it within a short timeout, and says so promptly.
    t1 = time.monotonic()
    assert d.close(0.2) is False
    assert time.monotonic() - t1 < 1.0
