"""``perptop watch`` when its standard output fails: a reader who left is quiet, a full disk is said."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path

import pytest

from tui.cli.watch import _printer


class _Failing(io.StringIO):
    """Standard output whose writes fail with ``code``; ``fileno`` is a real file the test can read back."""

    def __init__(self, code: int, path: Path) -> None:
        super().__init__()
        self.code = code
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT)

    def write(self, text: str) -> int:
        raise OSError(self.code, os.strerror(self.code))

    def fileno(self) -> int:
        return self.fd


class _Event:
    def line(self) -> str:
        return "2025-01-01 00:05 BTC all flag_on cascade_risk"


@pytest.mark.parametrize("code", [errno.EPIPE, errno.EIO])
def test_a_reader_that_left_is_not_reported(
    code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _Failing(code, tmp_path / "out")
    show = _printer(out, jsonl=False)
    show([_Event()], [])  # type: ignore[list-item]
    show([_Event()], [])  # type: ignore[list-item]
    assert capsys.readouterr().err == ""


def test_a_full_disk_is_said_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _Failing(errno.ENOSPC, tmp_path / "out")
    show = _printer(out, jsonl=False)
    show([_Event()], [])  # type: ignore[list-item]
    assert capsys.readouterr().err == (
        "perptop watch: cannot write the events to standard output (No space left on device); "
        "the alerts go on, the events are no longer printed\n"
    )
