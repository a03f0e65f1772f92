"""``perptop export --csv``: the file is written whole or not at all, and only the file that was named.

A full disk, a folder that cannot be written or a missing folder is one line on stderr; no partial or
empty file is left, no temporary file either, and a CSV already there is left as it was. A target that is
a symbolic link is replaced (the link), never written through. Real read-only and full file systems are
in tests/integration/test_store_mounts.py; here the full disk is an ENOSPC from the file's writes.
"""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.stores import good_store, run_cli


def _exported(tmp_path: Path) -> tuple[Path, Path]:
    store = good_store(tmp_path / "h.sqlite3", bars=200)
    folder = tmp_path / "out"
    folder.mkdir()
    return store, folder


class _FullDisk(io.TextIOWrapper):
    """The temporary CSV on a disk that fills after ``room`` characters."""

    room = 1000

    def write(self, text: str) -> int:
        if len(text) > _FullDisk.room:
            super().write(text[: _FullDisk.room])
            _FullDisk.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        _FullDisk.room -= len(text)
        return super().write(text)


def _full_disk_open(fd: int, mode: str = "r", **kw: Any) -> io.TextIOWrapper:
    return _FullDisk(io.FileIO(fd, mode.replace("t", "")), **kw)


@pytest.mark.parametrize("existing", [False, True])
def test_a_full_disk_leaves_no_partial_file_and_an_existing_csv_as_it_was(
    existing: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, folder = _exported(tmp_path)
    target = folder / "btc.csv"
    if existing:
        target.write_text("the previous export\n")
    monkeypatch.setattr(_FullDisk, "room", 1000)
    monkeypatch.setattr("tui.cli.outfile.open", _full_disk_open, raising=False)
    code, out, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
    kept = f"{target} was left as it was" if existing else "no file was left"
    assert (code, out) == (1, "")  # the machine's trouble, not the command line's
    assert (
        err
        == f"perptop export: could not write {target}: No space left on device (the disk is full); {kept}\n"
    )
    assert os.listdir(folder) == (["btc.csv"] if existing else [])  # no partial file, no temporary file
    if existing:
        assert target.read_text() == "the previous export\n"


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, folder = _exported(tmp_path)
    target = folder / "nowhere" / "btc.csv"
    code, out, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
    assert (code, out) == (2, "")
    assert err == f"perptop export: could not write {target}: there is no folder {folder / 'nowhere'}\n"


def test_a_folder_as_the_target_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, folder = _exported(tmp_path)
    link = tmp_path / "to-folder"
    link.symlink_to(folder)
    for target in (folder, link):
        code, _, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
        assert code == 2 and err == f"perptop export: could not write {target}: it is a folder; name a file\n"
    assert link.is_symlink() and os.listdir(folder) == []


def test_a_read_only_folder_is_one_line_exit_2_and_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes any folder; tests/integration/test_store_mounts.py uses a read-only mount")
    store, folder = _exported(tmp_path)
    target = folder / "btc.csv"
    folder.chmod(0o555)
    try:
        code, out, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
    finally:
        folder.chmod(0o755)
    assert (code, out) == (2, "")
    assert err == f"perptop export: could not write {target}: Permission denied; no file was left\n"
    assert os.listdir(folder) == []


def test_a_symlink_as_the_target_is_replaced_and_the_file_it_pointed_to_is_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, folder = _exported(tmp_path)
    elsewhere = tmp_path / "someone-elses.txt"
    elsewhere.write_text("not an export\n")
    target = folder / "btc.csv"
    target.symlink_to(elsewhere)
    code, out, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
    assert (code, err) == (0, "") and "wrote 200 bars of 1 symbol" in out
    assert elsewhere.read_text() == "not an export\n"
    assert not target.is_symlink() and target.read_text().startswith("time,")
    assert len(target.read_text().splitlines()) == 1 + 200  # the header and every bar


def test_the_temporary_name_is_never_followed_when_a_link_is_planted_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # tempfile draws random names; this draws a name where a link already waits, then a free one.
    import tempfile

    store, folder = _exported(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (folder / ".btc.csv.planted.part").symlink_to(victim)
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: iter(["planted", "free"]))
    target = folder / "btc.csv"
    code, _, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
    assert (code, err) == (0, "")
    assert victim.read_text() == "keep me\n"
    assert sorted(os.listdir(folder)) == [".btc.csv.planted.part", "btc.csv"]


def test_an_export_keeps_the_permissions_of_the_file_it_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, folder = _exported(tmp_path)
    target = folder / "btc.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    assert run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)[0] == 0
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = folder / "new.csv"
    umask = os.umask(0o022)
    try:
        assert run_cli(["export", "--store", str(store), "--csv", str(fresh)], capsys, tmp_path)[0] == 0
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o644  # as a plain open() would make it, not mkstemp's 0600
