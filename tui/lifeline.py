"""Exit when the terminal goes away (SSH drop, tmux session killed) or a signal asks, instead of spinning.

Measured here: a Textual app whose SIGHUP is ignored (``nohup``, some process managers) keeps running
after its pty closes and its input thread spins at ~100 % of a core, because reads on the dead tty
return at once. Two guards make perptop exit within a few seconds either way (tests/test_terminal_exit.py
requires under 5 s; measured 1.5-1.9 s):

- SIGHUP is handled (overriding an inherited "ignore"): it asks the app to exit.
- ``TerminalWatch.lost()`` is polled by the app's paint timer (or a 2 s check when paint_interval is
  longer): the terminal is gone when stdin stops being a tty or the process has lost its controlling
  terminal.

Whichever fires, a hard exit follows two seconds later in case the polite exit blocks on the dead tty.

SIGTERM (``kill``, systemd, a container stop) exits as ``q`` does: the terminal is still there, so the
app leaves the alternate screen, turns mouse tracking off, shows the cursor and exits 0; no hard exit,
which would cut the history store's final write short.

``terminal_problem`` is the check made before the app starts: without a terminal on standard input
Textual's input thread reads end-of-file in a loop (~100 % of a core, measured), so the monitor refuses
to start instead.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TextIO

HARD_EXIT_AFTER_S = 2.0
EXIT_STATUS_HANGUP = 129  # 128 + SIGHUP, as a shell reports a process killed by it
HEADLESS_HINT = "for headless use: 'perptop record' to keep history, 'perptop watch' for alerts"


def terminal_problem(command: str = "perptop", environ: Mapping[str, str] | None = None) -> str | None:
    """Why the Textual app cannot run here (one line, for stderr), or None when it can.

    Textual's terminal driver reads keys from standard input and draws on standard error (standard
    output on Windows); both must be a terminal. A driver named in ``TEXTUAL_DRIVER`` brings its own
    input and output: textual-serve's web driver talks to ``perptop serve`` through a pipe.
    """
    environ = os.environ if environ is None else environ
    if environ.get("TEXTUAL_DRIVER"):
        return None
    # Not standard output on POSIX: `perptop --demo > file` draws on the terminal all the same.
    screen = ("output", sys.__stdout__) if os.name == "nt" else ("error", sys.__stderr__)
    for name, stream, need in (("input", sys.__stdin__, "read keys from"), (*screen, "draw on")):
        if not _is_tty(stream):
            said = f"standard {name} is not a terminal; the monitor needs one to {need}"
            return f"{command}: {said} ({HEADLESS_HINT})"
    return None


def _is_tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and os.isatty(stream.fileno())
    except (OSError, ValueError):  # closed (``<&-``), or a stream without a file descriptor
        return False


def _terminal_alive(fd: int) -> bool:
    if not os.isatty(fd):
        return False
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:  # ENXIO: the session lost its controlling terminal (hang-up)
        return False
    os.close(tty)
    return True


class TerminalWatch:
    """Tells whether the terminal the app started on has gone away."""

    def __init__(self, fd: int | None = None) -> None:
        if fd is None:
            fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
        self._fd = fd
        # Only watch a terminal that was there at start: headless runs and pipes are not "lost".
        self.armed = fd >= 0 and _terminal_alive(fd)

    def lost(self) -> bool:
        """True once the terminal that was there at start is gone."""
        return self.armed and not _terminal_alive(self._fd)


def leave(request_exit: Callable[[], None]) -> None:
    """Ask politely to exit, and make sure the process ends even if the polite way blocks."""
    timer = threading.Timer(HARD_EXIT_AFTER_S, os._exit, args=(EXIT_STATUS_HANGUP,))
    timer.daemon = True
    timer.start()
    request_exit()


def install_stop_handlers(request_exit: Callable[[], None], *, hangup: bool = True) -> bool:
    """Make SIGTERM end the app through ``request_exit`` (as ``q``), and with ``hangup`` SIGHUP through ``leave``.

    ``hangup`` is for an app on a terminal (SIGHUP means the terminal went away); SIGTERM is always
    handled, so the app under ``perptop serve`` (pipes, no terminal) also makes its final write.
    Returns False where signals can't be handled (Windows, no running loop, not the main thread).
    """
    if not hasattr(signal, "SIGHUP"):
        return False
    try:
        loop = asyncio.get_running_loop()
        if hangup:
            loop.add_signal_handler(signal.SIGHUP, leave, request_exit)
        loop.add_signal_handler(signal.SIGTERM, request_exit)
    except (RuntimeError, NotImplementedError, ValueError):  # no loop, or not the main thread
        return False
    return True
