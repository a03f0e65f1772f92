"""``perptop import binance-vision`` on zips that expand past any real dump: refused in one line, never read whole.

A real dump zip holds one month of klines for one symbol, a few MB of CSV. A zip bomb weighs little and
expands to gigabytes; the import reads members line by line and refuses a zip whose CSV would expand past
the bound (declared in its header, or found while reading when the header lies), naming the file and the
member, and writes nothing.
"""

from __future__ import annotations

import argparse
import io
import struct
import zipfile
from pathlib import Path

import pytest

from feeds.history import dump_text
from feeds.history.binance_vision import import_dir
from feeds.history.dump_text import DumpRefused
from tui.cli.importer import add_parser, run
from tui.config.loader import AppConfig

H = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
ROW = f"{T0},100.0,100.0,100.0,100.0,1.0,{T0 + H - 1},1000.0,10,0.5,500.0,0\n"  # one hourly kline


def _bomb(path: Path, member: str, size: int) -> None:
    """A zip whose one CSV member is ``size`` bytes of the same kline row (it compresses ~1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z, z.open(member, "w") as fh:
        block = ROW.encode() * (1024 * 1024 // len(ROW))
        written = 0
        while written < size:
            piece = block[: size - written]
            fh.write(piece)
            written += len(piece)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_a_zip_declaring_more_than_the_bound_is_refused_by_the_command_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dump_text, "MAX_ZIP_BYTES", 4 * 1024 * 1024)  # the same check as at 64 MiB, smaller
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    _bomb(dumps / "BTCUSDT-1h-2024-01.zip", "BTCUSDT-1h-2024-01.csv", 5 * 1024 * 1024)
    out = tmp_path / "history.csv"
    err = io.StringIO()
    code = run(AppConfig(), _parse(["import", "binance-vision", str(dumps), "--out", str(out)]), err)
    said = err.getvalue()
    assert code == 2 and said.count("\n") == 1, said
    assert "BTCUSDT-1h-2024-01.zip: member BTCUSDT-1h-2024-01.csv would expand to 5 MiB" in said
    assert "over the 4 MiB a dump zip may hold; refused as a possible zip bomb" in said
    assert not out.exists()


def _lie_about_size(path: Path, declared: int) -> None:
    """Rewrite the member's uncompressed size in its local and central headers (a forged zip)."""
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))


def test_a_zip_whose_header_understates_its_member_is_refused_not_read_on(tmp_path: Path) -> None:
    path = tmp_path / "ETHUSDT-1h-2024-01.zip"
    _bomb(path, "ETHUSDT-1h-2024-01.csv", 2 * 1024 * 1024)
    _lie_about_size(path, 1000)  # says 1,000 bytes, holds 2 MiB
    with pytest.raises(DumpRefused) as refused:
        import_dir(tmp_path, err=None)
    assert f"{path}: member ETHUSDT-1h-2024-01.csv: its data does not match its zip header" in str(
        refused.value
    )


def test_a_zip_whose_deflate_stream_is_broken_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "SOLUSDT-1h-2024-01.zip"
    _bomb(path, "SOLUSDT-1h-2024-01.csv", 256 * 1024)
    data = bytearray(path.read_bytes())
    start = data.index(b"PK\x03\x04") + 30 + len("SOLUSDT-1h-2024-01.csv")  # the member's compressed bytes
    data[start] = 0b111  # the first deflate block: final, of the reserved type 3 (zlib: invalid block type)
    path.write_bytes(bytes(data))
    with pytest.raises(DumpRefused) as refused:
        import_dir(tmp_path, err=None)
    said = str(refused.value)
    assert f"{path}: member SOLUSDT-1h-2024-01.csv: its data does not match its zip header" in said
    assert "invalid block type" in said


def test_a_line_without_end_is_one_problem_and_the_rows_before_it_are_kept(tmp_path: Path) -> None:
    (tmp_path / "BTCUSDT-1h-2024-01-01.csv").write_text(ROW + "9" * (dump_text.MAX_LINE_CHARS + 10))
    series, _, problems = import_dir(tmp_path, err=None)
    assert len(series["BTC"]) == 1
    long_line = f"longer than {dump_text.MAX_LINE_CHARS} characters, not a dump row"
    assert problems == [f"BTCUSDT-1h-2024-01-01.csv line 2: {long_line}; the rest of it was not read"]
