"""Stores and exports on real file systems that refuse writes: a read-only mount and a full disk.

Each test mounts a small tmpfs of its own (root only: elsewhere they skip, and the unit tests cover the
same paths through permissions and an injected ENOSPC). A store on a read-only mount is read by every
command and refused by ``record`` as "read-only"; an export onto a read-only or full file system is one
line and leaves no file behind.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stores import good_store, run_cli, run_record_cli


def _mount(point: Path, *options: str) -> None:
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(point)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Path]:
    """An empty tmpfs of 256 KiB at ``tmp_path/mnt``, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    point = tmp_path / "mnt"
    point.mkdir()
    try:
        _mount(point, "size=256k", "mode=755")
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"this machine cannot mount a tmpfs here ({exc})")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


def _read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True, capture_output=True)


def test_a_store_on_a_read_only_mount_is_read_by_every_command_and_refused_by_record(
    mount_point: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = good_store(mount_point / "h.sqlite3", bars=20)
    _read_only(mount_point)
    out_csv = tmp_path / "out.csv"
    code, out, err = run_cli(["export", "--store", str(store), "--csv", str(out_csv)], capsys, tmp_path)
    assert (code, err) == (0, "") and "wrote 20 bars of 1 symbol" in out
    assert len(out_csv.read_text().splitlines()) == 21
    code, out, err = run_cli(["store", "--store", str(store)], capsys, tmp_path)
    assert (code, err) == (0, "") and "20" in out
    code, out, err = run_cli(["events", "--store", str(store), "--since", "30d"], capsys, tmp_path)
    assert (code, err) == (0, "perptop events: none in that range\n")
    code, out, err = run_record_cli(["--demo", "--store", str(store)], tmp_path)
    assert code == 2 and err.count("\n") == 1
    assert err == (
        f"perptop record: history store {store}: read-only (on a read-only file system): "
        "perptop can read it, not write to it\n"
    )


def test_an_export_into_a_read_only_mount_is_one_line_and_leaves_nothing(
    mount_point: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = good_store(tmp_path / "h.sqlite3", bars=20)
    _read_only(mount_point)
    target = mount_point / "btc.csv"
    code, out, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
    assert (code, out) == (2, "")
    assert err == f"perptop export: could not write {target}: Read-only file system; no file was left\n"
    assert os.listdir(mount_point) == []


@pytest.mark.parametrize("existing", [False, True])
def test_an_export_onto_a_full_disk_leaves_no_partial_file(
    existing: bool, mount_point: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = good_store(tmp_path / "h.sqlite3", bars=5000)  # ~700 KB of CSV for a 256 KiB disk
    target = mount_point / "btc.csv"
    if existing:
        target.write_text("the previous export\n")
    code, out, err = run_cli(["export", "--store", str(store), "--csv", str(target)], capsys, tmp_path)
    kept = f"{target} was left as it was" if existing else "no file was left"
    assert (code, out) == (1, "")
    assert (
        err
        == f"perptop export: could not write {target}: No space left on device (the disk is full); {kept}\n"
    )
    assert os.listdir(mount_point) == (["btc.csv"] if existing else [])
    if existing:
        assert target.read_text() == "the previous export\n"
