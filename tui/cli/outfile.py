"""Output files written whole or not at all: a temporary file beside the target, renamed into place.

``perptop export`` writes through ``write_whole``: the data goes to a new temporary file in the target's
folder (created exclusively, so no file or symbolic link already there under that name is ever followed),
is flushed to disk, and is then renamed over the target in one step. A failure at any point (a read-only
folder, a full disk, Ctrl-C) removes the temporary file and leaves the target as it was: never a partial
or empty file.

A target that is a symbolic link is replaced by the new file (the link goes, the file it pointed to is
not written: a command writes only the file it was named). A target that is a folder, or a link to one,
is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

# The path named cannot be written (exit status 2, as for bad input); other failures (a full disk, an
# I/O error) are the machine's, not the command line's (exit status 1).
_NAMED_WRONG = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG}
)


class OutputError(Exception):
    """The output file could not be written; ``str()`` is one line naming it and why."""

    def __init__(self, path: Path, message: str, status: int) -> None:
        super().__init__(message)
        self.path = path
        self.status = status


def _failed(target: Path, exc: OSError, existed: bool) -> OutputError:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (the disk is full)"
    kept = f"{target} was left as it was" if existed else "no file was left"
    return OutputError(
        target, f"could not write {target}: {reason}; {kept}", 2 if exc.errno in _NAMED_WRONG else 1
    )


def _mode(target: Path) -> int:
    """Permission bits for the new file: those of the file it replaces, else what ``open`` would give."""
    with contextlib.suppress(OSError):
        st = target.lstat()
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    umask = os.umask(0)  # read it: there is no call that only reads it
    os.umask(umask)
    return 0o666 & ~umask


def write_whole(target: Path, write: Callable[[TextIO], None]) -> None:
    """Write the file ``target`` with ``write(stream)``: all of it, or nothing changes.

    Raises:
        OutputError: the folder is missing or cannot be written, the disk is full, ... (one line, and the
            exit status it calls for).
    """
    target = Path(target)
    folder = target.parent
    existed = target.exists() or target.is_symlink()
    if target.is_dir():  # a link to a folder included: never swap someone's folder link for a file
        raise OutputError(target, f"could not write {target}: it is a folder; name a file", 2)
    if not folder.is_dir():
        raise OutputError(target, f"could not write {target}: there is no folder {folder}", 2)
    mode = _mode(target)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise _failed(target, exc, existed) from exc
    try:
        with open(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())  # the data is on disk before the name points at it
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise _failed(target, exc, existed) from exc
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut after it keeps the new file); best effort."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
