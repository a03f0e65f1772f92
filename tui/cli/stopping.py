"""How the headless commands (``record``, ``watch``) stop: the signals that stop them cleanly, and output
that outlives the terminal it was going to.

A recorder started from an SSH session gets SIGHUP when the session drops; its terminal is gone by then,
so the status line it prints on the way out fails (EIO; EPIPE for a closed pipe). Such a failure must
not cost the final write of bars or the exit status: the stream is pointed at /dev/null and the command
carries on, and the interpreter's last flush of that stream succeeds too. Any command whose reader
leaves (``perptop backtest FILE | head``) ends the same way (``reader_left``, in ``tui.cli.main``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
from typing import TextIO

# Each stops the command cleanly: the current bar written, the writer committed, a last line, exit 0.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def reader_gone(exc: OSError) -> bool:
    """Whether a failed write means nobody reads the stream any more (EPIPE, EIO), not a failing disk."""
    return isinstance(exc, BrokenPipeError) or exc.errno in (errno.EPIPE, errno.EIO)


def reader_left(stream: TextIO) -> bool:
    """Whether ``stream`` is a pipe whose reader has closed its end (``perptop backtest | head`` once
    ``head`` has its lines): poll reports an error on the writing end then, with nothing written."""
    import select

    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # no descriptor (a StringIO): no reader to leave
        return False
    if not hasattr(select, "poll"):  # Windows: not known, so the error stands
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


def say(stream: TextIO, text: str) -> None:
    """Write ``text`` to ``stream`` and flush it; a stream whose reader has gone is silenced instead."""
    try:
        stream.write(text)
        stream.flush()
    except OSError:  # EIO: the terminal hung up; EPIPE: `... | head` has exited
        silence(stream)


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor at /dev/null: what it still buffers, and later writes, go nowhere."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # no descriptor (a StringIO): nothing outlives the command
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
    with contextlib.suppress(OSError, ValueError):
        stream.flush()  # what the failed write left in the buffer goes to /dev/null now
