"""One sender per sink kind: the work of a single delivery, run on that sink's own worker thread.

A sender either returns (delivered) or raises ``SinkError`` with a short reason (``HTTP 500``,
``exit 3: usage: ...``, ``timed out after 10 s``); the worker turns that into the sink's last error.
Senders may block (a program that runs for seconds, a server that does not answer): only their own
worker waits. httpx and apprise are imported on first use, on the worker, so importing this module
stays cheap.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from signals.formats import shorten
from tui.alerts.terminal_sequences import BEL, osc_notification

MAX_REASON_CHARS = 160
"""An error line is read in the status bar: the first stderr line is cut past this."""


@dataclass(frozen=True)
class Job:
    """One alert as every sink receives it.

    Attributes:
        payload: the event as one JSON object, UTF-8 (encoded once, so every sink gets the same bytes).
        title: a few words (``BTC squeeze on``).
        body: the reason line.
    """

    payload: bytes
    title: str
    body: str


class SinkError(Exception):
    """A delivery that did not happen, and why, in a few words.

    Args:
        reason: what went wrong (``HTTP 500``); the error line is ``"<sink label>: <reason>"``.
        line: the whole error line instead, for a fault that is not the destination's (apprise missing).
    """

    def __init__(self, reason: str, *, line: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class Sender(Protocol):
    """The work behind one sink destination."""

    def __call__(self, job: Job) -> None:
        """Deliver ``job``, or raise ``SinkError``."""
        ...

    def close(self) -> None:
        """Release what the sender kept open (a connection pool); called on its worker, once, at the end."""
        ...


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """The first non-blank line of ``text``, stripped and cut to ``limit`` characters."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return shorten(line, limit)
    return ""


# ---- labels ------------------------------------------------------------------------------------
# Labels are shown on screen: they name the destination without the path, query or user info of a
# URL, where webhook and apprise tokens live.

_INTERPRETER = re.compile(r"(python|pypy|node|perl|ruby|bash|sh|zsh|dash|fish|env|uv)[\d.]*(\.exe)?")


def command_label(argv: Sequence[str]) -> str:
    """``command notify.sh``, or ``command python3 hook.py`` when the program is an interpreter."""
    if not argv:
        return "command"
    name = os.path.basename(argv[0]) or argv[0]
    if len(argv) > 1 and _INTERPRETER.fullmatch(name) and not argv[1].startswith("-"):
        name = f"{name} {os.path.basename(argv[1]) or argv[1]}"
    return f"command {name}"


def webhook_label(url: str) -> str:
    """``webhook ntfy.sh`` (the host and port only)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is not a number
        host, port = "", ""
    return f"webhook {host}{port}" if host else "webhook"


def apprise_label(url: str) -> str:
    """``apprise tgram`` (the service only)."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return f"apprise {scheme}" if scheme else "apprise"


def log_label(path: Path) -> str:
    """``log alerts.jsonl``."""
    return f"log {path.name}"


# ---- the terminal ------------------------------------------------------------------------------


class Bell:
    """Rings the terminal bell through the app's terminal writer."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write

    def __call__(self, job: Job) -> None:
        self._write(BEL)

    def close(self) -> None:
        pass


class Osc:
    """Shows a desktop notification through the terminal (OSC 9 and OSC 777, through tmux if inside it).

    Args:
        write: the app's terminal writer.
        tmux: wrap for tmux; None reads ``TMUX`` at each delivery.
    """

    def __init__(self, write: Callable[[str], None], tmux: bool | None = None) -> None:
        self._write = write
        self._tmux = tmux

    def __call__(self, job: Job) -> None:
        tmux = bool(os.environ.get("TMUX")) if self._tmux is None else self._tmux
        self._write(osc_notification(job.title, job.body, tmux=tmux))

    def close(self) -> None:
        pass


# ---- programs ----------------------------------------------------------------------------------


def run_program(argv: Sequence[str], stdin: bytes, timeout_s: float) -> None:
    """Run ``argv`` (never through a shell) with ``stdin``; raise ``SinkError`` unless it exits 0 in time.

    The program gets a session of its own, so a timeout kills it together with anything it started
    (a shell script's ``sleep``), and a Ctrl-C in the terminal does not reach it.
    """
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise SinkError("not found") from None
    except PermissionError:
        raise SinkError("permission denied") from None
    except OSError as exc:
        raise SinkError(one_line(exc.strerror or str(exc))) from None
    try:
        _, err = proc.communicate(stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise SinkError(f"timed out after {timeout_s:g} s") from None
    if proc.returncode == 0:
        return
    if proc.returncode < 0:
        try:
            how = f"killed by {signal.Signals(-proc.returncode).name}"
        except ValueError:
            how = f"killed by signal {-proc.returncode}"
    else:
        how = f"exit {proc.returncode}"
    first = one_line(err.decode("utf-8", "replace")) if err else ""
    raise SinkError(f"{how}: {first}" if first else how)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill a timed-out program and its process group, and reap it without waiting long."""
    with contextlib.suppress(OSError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - no process groups on Windows
            proc.kill()
    # A grandchild that left the group may still hold stderr open: read what is left for a moment only.
    with contextlib.suppress(subprocess.TimeoutExpired, OSError, ValueError):
        proc.communicate(timeout=1.0)
    if proc.stderr is not None:
        proc.stderr.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1.0)


class Command:
    """Runs a user's program with the event as JSON on its standard input."""

    def __init__(self, argv: Sequence[str], timeout_s: float) -> None:
        self.argv = tuple(argv)
        self.timeout_s = timeout_s

    def __call__(self, job: Job) -> None:
        run_program(self.argv, job.payload, self.timeout_s)

    def close(self) -> None:
        pass


class Desktop:
    """``notify-send`` where the machine has it; where it has not, one clear error and no more lookups."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._program: str | None = None
        self._missing = False

    def __call__(self, job: Job) -> None:
        if self._missing:
            raise SinkError("notify-send not found")
        if self._program is None:
            self._program = shutil.which("notify-send")
            if self._program is None:
                self._missing = True
                raise SinkError("notify-send not found")
        # "--" keeps a title that starts with "-" from being read as an option.
        argv = [self._program, "--app-name=perptop", "--", job.title or "perptop", job.body]
        run_program(argv, b"", self.timeout_s)

    def close(self) -> None:
        pass


# ---- the network -------------------------------------------------------------------------------

RETRY_STATUSES = frozenset({502, 503, 504})
"""A proxy or load balancer in front of the hook answered, not the hook: worth one more try."""


class Webhook:
    """POSTs the event JSON to an http(s) URL: one retry after a pause when nothing reached the hook.

    Args:
        url: the hook.
        timeout_s: connect and read timeout of one attempt.
        retry_pause_s: the pause before the one retry.
    """

    def __init__(self, url: str, timeout_s: float, retry_pause_s: float) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.retry_pause_s = retry_pause_s
        self._client: Any = None

    def __call__(self, job: Job) -> None:
        import httpx

        if urlsplit(self.url).scheme not in ("http", "https"):
            raise SinkError("not an http(s) URL")
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout_s, headers={"user-agent": "perptop"})
        headers = {"content-type": "application/json"}
        for attempt in (1, 2):
            try:
                response = self._client.post(self.url, content=job.payload, headers=headers)
            except httpx.ConnectError as exc:  # nothing was sent: a retry cannot deliver twice
                if attempt == 1:
                    time.sleep(self.retry_pause_s)
                    continue
                raise SinkError(f"cannot connect: {one_line(str(exc)) or type(exc).__name__}") from None
            except httpx.TimeoutException:
                # The hook may have got it: a retry could alert twice.
                raise SinkError(f"timed out after {self.timeout_s:g} s") from None
            except httpx.HTTPError as exc:
                raise SinkError(one_line(f"{type(exc).__name__}: {exc}")) from None
            if 200 <= response.status_code < 300:
                return
            if response.status_code in RETRY_STATUSES and attempt == 1:
                time.sleep(self.retry_pause_s)
                continue
            raise SinkError(f"HTTP {response.status_code}")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


class _LastWarningPerThread(logging.Handler):
    """Keeps apprise's latest warning per thread: its notify() says only True or False, the log says why.

    Being a handler on the ``apprise`` logger also keeps those warnings off stderr, under the screen.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._last: dict[int, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self._last[threading.get_ident()] = record.getMessage()

    def take(self) -> str:
        return self._last.pop(threading.get_ident(), "")


_apprise_log = _LastWarningPerThread()
_apprise_log_lock = threading.Lock()
_apprise_log_added = False


def _watch_apprise_log() -> None:
    global _apprise_log_added
    with _apprise_log_lock:
        if not _apprise_log_added:
            logging.getLogger("apprise").addHandler(_apprise_log)
            _apprise_log_added = True


class AppriseSender:
    """Notifies one apprise URL (``ntfy://``, ``tgram://``, ``mailto://`` ...) with the title and body."""

    NOT_INSTALLED = "apprise: not installed (pip install apprise)"

    def __init__(self, url: str) -> None:
        self.url = url
        self._apprise: Any = None

    def __call__(self, job: Job) -> None:
        try:
            import apprise
        except ImportError:
            raise SinkError("not installed", line=self.NOT_INSTALLED) from None
        _watch_apprise_log()
        _apprise_log.take()
        if self._apprise is None:
            notifier = apprise.Apprise()
            if not notifier.add(self.url):
                raise SinkError(one_line(_apprise_log.take()) or "a URL apprise does not know")
            self._apprise = notifier
        if not self._apprise.notify(body=job.body or job.title, title=job.title):
            raise SinkError(one_line(_apprise_log.take()) or "notification failed")

    def close(self) -> None:
        pass


# ---- files -------------------------------------------------------------------------------------


class LogFile:
    """Appends one JSON line per alert.

    The file is opened for each line (a rotated or removed file is started afresh) and the line goes
    out in one ``write`` on an ``O_APPEND`` descriptor, so lines of two processes never interleave.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __call__(self, job: Job) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        data = job.payload + b"\n"
        try:
            fd = os.open(self.path, flags, 0o666)
            try:
                while data:
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
        except OSError as exc:
            raise SinkError(one_line(exc.strerror or str(exc))) from None

    def close(self) -> None:
        pass
