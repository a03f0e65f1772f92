"""The CSV lines of a data.binance.vision dump file, streamed: never a whole file in memory.

A dump comes as a ``.csv`` or as a ``.zip`` holding one. A zip can claim any size and expand to far
more than it weighs on disk (a 2 MB zip of a 2 GiB CSV is a "zip bomb"), so what one zip may expand to
is bounded: ``MAX_ZIP_BYTES`` for all its CSV members together, checked against the sizes the zip
declares. A zip cannot expand past what it declares: ``zipfile`` stops a member at its declared size and
then checks its CRC, so a header that understates its data fails that check. The largest real file
the importer reads is one month of 1-minute klines for one symbol: 44,640 rows of at most ~160 bytes
(spot rows, with microsecond times and 8 decimals), about 7 MB; a USD-M futures month of BTCUSDT is about
5.3 MB. The bound is ~9 times that: no real dump comes near it, and the rows of a member that does stay
around 100 MB in memory. A zip over the bound, or a member whose data does not match its zip header, is
refused with ``DumpRefused`` (the import stops: a forged or damaged archive is not skipped silently), as is
a member that cannot be read at all (a broken deflate stream, cut short, encrypted, an unknown method).

Lines are cut at ``MAX_LINE_CHARS``: a dump row is about 160 characters, so a longer line is not a row
and ends the reading of its file with ``LongLine``, instead of growing one string without end.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO

MAX_ZIP_BYTES = 64 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024
_BUFFER = 1024 * 1024
_CHUNK = 64 * 1024


class DumpRefused(ValueError):
    """A zip that expands past ``MAX_ZIP_BYTES`` or whose data does not match its header: one line, the
    zip and the member named."""


class LongLine(ValueError):
    """A line longer than ``MAX_LINE_CHARS``: not a dump row."""


def _mib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def _text(raw: IO[bytes]) -> io.TextIOWrapper:
    """``raw`` (a buffered binary stream) as UTF-8 text: a BOM dropped, line ends kept for ``csv``."""
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    # Decoding 8 KiB at a time (the default) made the whole import ~3% slower than reading each file at once.
    text._CHUNK_SIZE = _CHUNK  # type: ignore[attr-defined]
    return text


def _lines(text: IO[str], zip_member: str | None) -> Iterator[str]:
    """The lines of ``text``, each at most ``MAX_LINE_CHARS``; ``zip_member`` names it in a refusal."""
    try:
        while line := text.readline(MAX_LINE_CHARS):
            if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                raise LongLine(f"longer than {MAX_LINE_CHARS} characters, not a dump row")
            yield line
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # zipfile stops a member at the size its header declares and then checks the CRC: a member that
        # holds more (or other) data than declared ends here, as does a broken or cut-short deflate
        # stream: damage or forgery, never a dump.
        raise DumpRefused(
            f"{zip_member}: its data does not match its zip header ({exc}); refused, nothing written"
        ) from None


def dump_lines(path: Path) -> Generator[tuple[str, Iterator[str]], None, None]:
    """(label, lines) of each CSV in ``path``: the file itself, or each ``.csv`` member of a zip.

    Each member's lines must be read before the next pair is asked for (one member is open at a time).

    Raises:
        DumpRefused: a zip whose CSV members declare more than ``MAX_ZIP_BYTES``, or a member whose data
            does not match its header or cannot be decompressed.
        OSError, zipfile.BadZipFile: a file that cannot be opened, or is not a zip.
        UnicodeDecodeError: bytes that are not UTF-8.
    """
    if path.suffix != ".zip":
        # A plain file is as big as it looks on disk: streamed, not bounded.
        with _text(path.open("rb", buffering=_BUFFER)) as text:
            yield path.name, _lines(text, None)
        return
    with zipfile.ZipFile(path) as z:
        members = [info for info in z.infolist() if info.filename.endswith(".csv")]
        declared = 0
        for info in members:
            declared += info.file_size
            if declared > MAX_ZIP_BYTES:
                raise DumpRefused(
                    f"{path}: member {info.filename} would expand to {_mib(declared)}, over the "
                    f"{_mib(MAX_ZIP_BYTES)} a dump zip may hold; refused as a possible zip bomb, nothing written"
                )
        for info in members:
            where = f"{path}: member {info.filename}"
            try:
                raw = z.open(info)
            except (RuntimeError, NotImplementedError) as exc:  # encrypted, or a compression zipfile lacks
                raise DumpRefused(f"{where}: cannot be read ({exc}); refused, nothing written") from None
            with _text(raw) as text:
                yield f"{path.name}:{info.filename}", _lines(text, where)
