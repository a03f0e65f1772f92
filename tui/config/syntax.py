"""TOML syntax errors of the config file, reported on the line of the statement at fault.

tomllib says where it gave up reading, which for an unclosed string, array or value is past the mistake;
``syntax_error`` turns its message into the config's one-line format, naming the line where the unfinished
statement starts and, if it has one, its key.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]")


def syntax_error(path: Path, text: str, message: str) -> str:
    """One line for a TOML syntax error: the line of the statement at fault and, if it has one, its key.

    tomllib reports where it gave up, which for an unclosed string, array or value is past the mistake:
    the end of the file, or the first thing on a later line after skipping blank lines and comments. The
    line reported is then the one where that unfinished statement starts, with tomllib's own position
    kept in the message.
    """
    detail, _, position = message.rpartition(" (")
    detail = detail or message
    # tomllib counts lines by "\n" alone; splitlines() would also split at form feeds and the like.
    lines = text.split("\n")
    if position.startswith("at line "):
        seen = int(position.split()[2].rstrip(","))
        column = position.rstrip(")").rsplit(" ", 1)[-1]
        at_line_start = not lines[seen - 1][: int(column) - 1].strip() if seen <= len(lines) else False
        number = _statement_start(lines, seen) if seen > 1 and at_line_start else seen
        what = (
            f"{detail} at column {column}"
            if number == seen
            else f"{detail} (at line {seen}, column {column})"
        )
    else:  # "at end of document"
        number = _statement_start(lines, len(lines))
        what = f"{detail} at the end of the file"
    key = ""
    if 0 < number <= len(lines):
        before, eq, _ = lines[number - 1].partition("=")
        name = before.strip()
        if eq and name and not name.startswith(("#", "[")):
            headers = (_HEADER.match(line) for line in reversed(lines[: number - 1]))
            table = next((h.group(1).replace(" ", "") for h in headers if h), "")
            key = f"key '{table + '.' if table else ''}{name}': "
    return f"config error: {path} line {number}: {key}invalid TOML: {what}"


def _statement_start(lines: list[str], seen: int) -> int:
    """The line where the statement tomllib stopped in at line ``seen`` starts.

    That is one past the longest run of lines before ``seen`` that parses on its own: everything before
    the statement does, since tomllib read it without complaint, and a run ending inside the statement
    does not. Config files are short, so parsing a few prefixes costs nothing.
    """
    for k in range(seen - 1, 0, -1):
        try:
            tomllib.loads("\n".join(lines[:k]) + "\n")  # the file's own first k lines, CRs and all
        except tomllib.TOMLDecodeError:
            continue
        return k + 1
    return 1
