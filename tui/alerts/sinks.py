"""Alert delivery: every sink of a rule gets the alert from a worker thread of its own, never the caller's.

``Deliverer.deliver`` is called on the event loop of the app and of the headless commands, so it only
encodes the event and puts it on a queue per destination (the bell, the OSC notification, the desktop,
each command, webhook, apprise URL and log file): a full queue drops the alert and counts it, and a
program or server that hangs holds up its own queue only. Each destination keeps its health (delivered,
failed, dropped, the last error as one line) for the status bar.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from tui.alerts.senders import (
    AppriseSender,
    Bell,
    Command,
    Desktop,
    Job,
    LogFile,
    Osc,
    Sender,
    SinkError,
    Webhook,
    apprise_label,
    command_label,
    log_label,
    one_line,
    webhook_label,
)
from tui.config.alerts import COMMAND_TIMEOUT_S, Sinks

WEBHOOK_TIMEOUT_S = 10.0
RETRY_PAUSE_S = 1.0
DEFAULT_MAX_PENDING = 64
"""Alerts waiting per destination before new ones are dropped (the rate cap keeps it far below)."""


@dataclass(frozen=True)
class SinkHealth:
    """How one sink destination has done since start.

    Attributes:
        label: the destination in a few words (``webhook ntfy.sh``, ``command notify.sh``, ``bell``).
        delivered: alerts it took.
        failed: alerts it did not take (the last error says why).
        dropped: alerts dropped before reaching it (its queue was full, or the deliverer was closed).
        undeliverable: alerts it could not be asked to take (bell and OSC with no terminal).
        last_error: the latest failure as one line (``webhook ntfy.sh: HTTP 500``), "" if none yet.
        failing: the latest attempt failed (a later success clears it, ``last_error`` stays).
    """

    label: str
    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    undeliverable: int = 0
    last_error: str = ""
    failing: bool = False


@dataclass(frozen=True)
class DeliveryCounts:
    """All destinations added up, for the status bar."""

    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    undeliverable: int = 0


class _Worker:
    """One destination: a bounded queue and the thread that empties it."""

    def __init__(self, label: str, sender: Sender, max_pending: int) -> None:
        self.label = label
        self._sender = sender
        self._max_pending = max_pending
        self._jobs: deque[Job] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._abandoned = False
        self._health = SinkHealth(label)
        self._thread = threading.Thread(target=self._run, name=f"perptop-alert {label}", daemon=True)
        self._thread.start()

    def put(self, job: Job) -> None:
        with self._cond:
            if self._stopping or len(self._jobs) >= self._max_pending:
                self._count(dropped=1)
                return
            self._jobs.append(job)
            self._cond.notify()

    def stop(self) -> None:
        """Take no more; the thread ends once what is queued is delivered."""
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def abandon(self) -> None:
        """Drop what is still queued: the thread ends after the delivery it is in."""
        with self._cond:
            self._abandoned = self._stopping = True
            self._count(dropped=len(self._jobs))
            self._jobs.clear()
            self._cond.notify()

    def join(self, timeout: float) -> bool:
        self._thread.join(max(0.0, timeout))
        return not self._thread.is_alive()

    def health(self) -> SinkHealth:
        with self._cond:
            return self._health

    def _count(self, **added: int) -> None:
        """Add to the health counters; the caller holds ``_cond``."""
        h = self._health
        self._health = replace(h, **{k: getattr(h, k) + n for k, n in added.items()})

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._jobs and not self._stopping:
                        self._cond.wait()
                    if not self._jobs:
                        return
                    job = self._jobs.popleft()
                error = self._attempt(job)
                with self._cond:
                    if error is None:
                        self._count(delivered=1)
                        self._health = replace(self._health, failing=False)
                    else:
                        self._count(failed=1)
                        self._health = replace(self._health, last_error=error, failing=True)
        finally:
            # Nothing is left to report a failed close to: the thread is ending anyway.
            with contextlib.suppress(Exception):
                self._sender.close()

    def _attempt(self, job: Job) -> str | None:
        """Deliver one job; the error line when it failed."""
        try:
            self._sender(job)
        except SinkError as exc:
            return exc.line or f"{self.label}: {exc.reason}"
        except Exception as exc:  # a sender's bug or an unforeseen fault must not end the thread
            return f"{self.label}: {one_line(f'{type(exc).__name__}: {exc}')}"
        return None


class Deliverer:
    """Delivers alerts to their sinks off the caller's thread, and keeps each sink's health.

    Args:
        terminal_write: writes a string to the user's terminal as it is (escape sequences included);
            called from a worker thread, one whole sequence per call. None (no terminal: a pipe, a
            service) makes the bell and OSC sinks undeliverable, counted and not errors.
        tmux: wrap OSC sequences for tmux; None reads ``TMUX`` at each delivery.
        max_pending: queued alerts per destination before new ones are dropped.
        command_timeout_s: how long a command hook (and ``notify-send``) may run.
        webhook_timeout_s: the connect and read timeout of one webhook attempt.
        retry_pause_s: the pause before a webhook's one retry.
    """

    def __init__(
        self,
        terminal_write: Callable[[str], None] | None = None,
        *,
        tmux: bool | None = None,
        max_pending: int = DEFAULT_MAX_PENDING,
        command_timeout_s: float = COMMAND_TIMEOUT_S,
        webhook_timeout_s: float = WEBHOOK_TIMEOUT_S,
        retry_pause_s: float = RETRY_PAUSE_S,
    ) -> None:
        self._terminal_write = terminal_write
        self._tmux = tmux
        self._max_pending = max_pending
        self._command_timeout_s = command_timeout_s
        self._webhook_timeout_s = webhook_timeout_s
        self._retry_pause_s = retry_pause_s
        self._lock = threading.Lock()
        self._workers: dict[tuple[str, ...], _Worker] = {}
        self._undeliverable: dict[str, int] = {}
        self._late = 0
        self._closed = False

    def deliver(self, event: dict[str, Any], title: str, body: str, sinks: Sinks) -> None:
        """Queue the alert for each of ``sinks``; returns at once and never raises.

        Args:
            event: the event's JSON object (``Event.as_json()``); encoded here, so changing it after the
                call changes nothing delivered.
            title: the notification's title (OSC, desktop, apprise).
            body: the notification's text (OSC, desktop, apprise); the other sinks get ``event``.
            sinks: the rule's sinks.
        """
        try:
            job = Job(_encode(event, title, body), str(title), str(body))
            with self._lock:
                if self._closed:
                    self._late += 1
                    return
                for key, label, make in self._destinations(sinks):
                    if make is None:
                        self._undeliverable[label] = self._undeliverable.get(label, 0) + 1
                        continue
                    worker = self._workers.get(key)
                    if worker is None:
                        worker = self._workers[key] = _Worker(label, make(), self._max_pending)
                    worker.put(job)
        except Exception:  # a bad sink value must not take the caller's loop down; counted as dropped
            with self._lock:
                self._late += 1

    def _destinations(self, sinks: Sinks) -> list[tuple[tuple[str, ...], str, Callable[[], Sender] | None]]:
        """(worker key, label, sender factory, or None when undeliverable) for each sink of a rule."""
        found: list[tuple[tuple[str, ...], str, Callable[[], Sender] | None]] = []
        write = self._terminal_write
        if sinks.bell:
            found.append((("bell",), "bell", None if write is None else partial(Bell, write)))
        if sinks.osc:
            found.append((("osc",), "osc", None if write is None else partial(Osc, write, self._tmux)))
        if sinks.desktop:
            found.append((("desktop",), "desktop", partial(Desktop, self._command_timeout_s)))
        if sinks.command:
            argv = tuple(sinks.command)
            command = partial(Command, argv, self._command_timeout_s)
            found.append((("command", *argv), command_label(argv), command))
        if sinks.webhook:
            url = sinks.webhook
            hook = partial(Webhook, url, self._webhook_timeout_s, self._retry_pause_s)
            found.append((("webhook", url), webhook_label(url), hook))
        for apprise_url in sinks.apprise:
            found.append(
                (("apprise", apprise_url), apprise_label(apprise_url), partial(AppriseSender, apprise_url))
            )
        if sinks.log is not None:
            found.append((("log", str(sinks.log)), log_label(sinks.log), partial(LogFile, sinks.log)))
        return found

    def health(self) -> list[SinkHealth]:
        """Each destination's health, in the order they were first used (undeliverable ones last)."""
        with self._lock:
            workers = list(self._workers.values())
            undeliverable = dict(self._undeliverable)
        found = [w.health() for w in workers]
        found += [SinkHealth(label, undeliverable=n) for label, n in undeliverable.items()]
        return found

    def errors(self) -> list[str]:
        """The latest error of each failing destination, one line each, without repeats."""
        lines = [h.last_error for h in self.health() if h.failing and h.last_error]
        return list(dict.fromkeys(lines))

    def counts(self) -> DeliveryCounts:
        """Every destination added up; ``dropped`` includes alerts given after ``close``."""
        found = self.health()
        with self._lock:
            late = self._late
        return DeliveryCounts(
            delivered=sum(h.delivered for h in found),
            failed=sum(h.failed for h in found),
            dropped=sum(h.dropped for h in found) + late,
            undeliverable=sum(h.undeliverable for h in found),
        )

    def close(self, timeout: float = 5.0) -> bool:
        """Let queued alerts go out for up to ``timeout`` seconds, then stop the threads.

        Alerts still queued then are dropped (counted); a delivery still running (a hanging server) is
        left to its own timeout on its daemon thread. Later ``deliver`` calls are counted as dropped.

        Returns:
            True if every queue drained and every thread ended in time.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
        for w in workers:
            w.stop()
        done = all(w.join(deadline - time.monotonic()) for w in workers)
        if not done:
            for w in workers:
                w.abandon()
        return done


def _encode(event: dict[str, Any], title: str, body: str) -> bytes:
    """The event as one line of UTF-8 JSON; NaN and infinities (not JSON) become null."""
    try:
        text = json.dumps(event, ensure_ascii=False, allow_nan=False, default=str)
    except ValueError:
        try:
            text = json.dumps(_finite(event), ensure_ascii=False, allow_nan=False, default=str)
        except (ValueError, RecursionError) as exc:  # a reference cycle: no JSON can hold it
            text = json.dumps({"title": title, "body": body, "error": f"event not encodable: {exc}"})
    return text.encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
