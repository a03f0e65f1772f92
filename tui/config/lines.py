"""Line numbers of the keys of a TOML document, for error messages that point at the right line.

``tomllib`` returns plain dicts without positions, so this scans the text once: table headers
(``[venue.binance]``, ``[[x]]``), plain, quoted and dotted keys (``signals.window = "4h"``) and keys of
inline tables (``signals = { window = "4h" }``). Strings, multi-line strings, arrays and comments are
skipped so their content is never taken for a key. The text must already have parsed with ``tomllib``;
on text that does not, the result is best effort and never raises.

``key_lines`` gives the first line of each key path, which is all a plain table needs. An array of tables
(``[[alerts]]``, or ``alerts = [{...}, {...}]``) repeats its keys, so ``item_lines`` also numbers the
elements: ``("alerts", 2, "flags")`` is ``flags`` in the third ``[[alerts]]`` table. The index is an ``int``,
never a ``str``, so it cannot be mistaken for a table named ``"2"``.
"""

from __future__ import annotations

import bisect
import re

KeyPath = tuple[str, ...]
ItemPath = tuple[str | int, ...]
"""A key path in which each array element is named by its 0-based index (an ``int``)."""

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\", "e": "\x1b"}


class _Scanner:
    """A cursor over the text that records where each key path (and each indexed item path) first appears."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.lines: dict[KeyPath, int] = {}
        self.items: dict[ItemPath, int] = {}
        self.arrays: dict[ItemPath, int] = {}  # elements seen so far of each array of tables

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_blank(self, newlines: bool) -> None:
        """Skip spaces, tabs, comments and (if ``newlines``) line breaks."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.pos += 1
            elif ch == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def record(self, path: ItemPath, pos: int) -> None:
        line = self.line(pos)
        for depth in range(1, len(path) + 1):
            self.items.setdefault(path[:depth], line)
        keys = tuple(part for part in path if isinstance(part, str))
        for depth in range(1, len(keys) + 1):
            self.lines.setdefault(keys[:depth], line)

    def indexed(self, path: KeyPath) -> ItemPath:
        """``path`` with the index of the current element after each part that is an array of tables.

        ``[alerts.sinks]`` after the third ``[[alerts]]`` is ``("alerts", 2, "sinks")``, as TOML has it.
        """
        out: list[str | int] = []
        for part in path:
            out.append(part)
            count = self.arrays.get(tuple(out))
            if count is not None:
                out.append(count - 1)
        return tuple(out)

    def new_element(self, path: KeyPath) -> ItemPath:
        """The item path of a ``[[path]]`` header: the next element of that array."""
        array = (*self.indexed(path[:-1]), *path[-1:])
        count = self.arrays.get(array, 0) + 1
        self.arrays[array] = count
        return (*array, count - 1)

    def key(self) -> KeyPath:
        """Read a dotted key (bare or quoted parts), stopping before ``=`` or ``]``."""
        parts: list[str] = []
        while self.pos < len(self.text):
            self.skip_blank(newlines=False)
            ch = self.peek()
            if ch == '"':
                parts.append(self.basic_string())
            elif ch == "'":
                parts.append(self.literal_string())
            else:
                match = _BARE.match(self.text, self.pos)
                if not match:
                    break
                parts.append(match.group())
                self.pos = match.end()
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                break
            self.pos += 1
        return tuple(parts)

    def basic_string(self) -> str:
        out: list[str] = []
        self.pos += 1
        text = self.text
        while self.pos < len(text) and text[self.pos] not in '"\n':
            ch = text[self.pos]
            if ch == "\\" and self.pos + 1 < len(text):
                code = text[self.pos + 1]
                if code in "uU":
                    width = 4 if code == "u" else 8
                    digits = text[self.pos + 2 : self.pos + 2 + width]
                    try:
                        out.append(chr(int(digits, 16)))
                    except ValueError:
                        out.append(digits)
                    self.pos += 2 + width
                    continue
                out.append(_ESCAPES.get(code, code))
                self.pos += 2
                continue
            out.append(ch)
            self.pos += 1
        self.pos += 1
        return "".join(out)

    def literal_string(self) -> str:
        end = self.text.find("'", self.pos + 1)
        end = len(self.text) if end < 0 else end
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return value

    def multiline_string(self, quote: str) -> None:
        text = self.text
        self.pos += 3
        while self.pos < len(text):
            if quote == '"' and text[self.pos] == "\\":
                self.pos += 2
                continue
            if text.startswith(quote * 3, self.pos):
                self.pos += 3
                # Up to two quotes may sit right before the closing delimiter ("""a"""" ends in a quote).
                extra = 0
                while extra < 2 and self.peek() == quote:
                    self.pos += 1
                    extra += 1
                return
            self.pos += 1

    def value(self, path: ItemPath | None) -> None:
        """Skip one value; record the keys of inline tables under ``path`` (None: do not record)."""
        ch = self.peek()
        if self.peek(3) in ('"""', "'''"):
            self.multiline_string(ch)
        elif ch == '"':
            self.basic_string()
        elif ch == "'":
            self.literal_string()
        elif ch == "[":
            self.pos += 1
            self.elements("]", path)
        elif ch == "{":
            self.pos += 1
            self.elements("}", path)
        else:
            match = _SCALAR_END.search(self.text, self.pos)
            self.pos = match.start() if match else len(self.text)

    def elements(self, close: str, path: ItemPath | None) -> None:
        """Skip array elements (``close`` is ``]``) or inline-table pairs (``}``) up to ``close``.

        An array's elements are recorded under ``path`` plus their index, so that the keys of inline tables
        in an array (``alerts = [{ name = "a" }, { name = "b" }]``) get their own lines.
        """
        index = 0
        while self.pos < len(self.text):
            self.skip_blank(newlines=True)
            ch = self.peek()
            if ch == close:
                self.pos += 1
                return
            if ch == ",":
                self.pos += 1
                continue
            start = self.pos
            if close == "}":
                key = self.key()
                if path is not None and key:
                    self.record(path + key, start)
                self.skip_blank(newlines=False)
                if self.peek() == "=":
                    self.pos += 1
                self.skip_blank(newlines=False)
                self.value(None if path is None else path + key)
            else:
                self.value(None if path is None else (*path, index))
                index += 1
            if self.pos == start:  # malformed input: move on rather than loop
                self.pos += 1

    def document(self) -> None:
        table: ItemPath = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            start = self.pos
            if self.peek() == "[":
                double = self.peek(2) == "[["
                self.pos += 2 if double else 1
                name = self.key()
                table = self.new_element(name) if double else self.indexed(name)
                self.record(table, start)
                self.pos += 2 if double else 1
            else:
                key = self.key()
                if key:
                    self.record(table + key, start)
                self.skip_blank(newlines=False)
                if self.peek() == "=":
                    self.pos += 1
                    self.skip_blank(newlines=False)
                    self.value(table + key)
            # Anything left on the line (a comment, or junk in malformed text) is not a key.
            end = self.text.find("\n", self.pos)
            self.pos = len(self.text) if end < 0 else end + 1


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map each key path (and each table path) of a TOML document to the 1-based line it first appears on.

    Args:
        text: the TOML text.

    Returns:
        ``{("signals", "window"): 7, ("signals",): 6, ...}``; parent paths map to the line of their
        header, or of the first dotted key that creates them.
    """
    scanner = _Scanner(text)
    scanner.document()
    return scanner.lines


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, else of its nearest recorded parent, else None."""
    for depth in range(len(path), 0, -1):
        found = lines.get(path[:depth])
        if found is not None:
            return found
    return None


def item_lines(text: str) -> dict[ItemPath, int]:
    """Map each item path of a TOML document to the 1-based line it first appears on.

    Like ``key_lines``, with each element of an array named by its 0-based index after the array's key:
    the second ``[[alerts]]`` table is ``("alerts", 1)`` and its ``cooldown`` key ``("alerts", 1, "cooldown")``.
    """
    scanner = _Scanner(text)
    scanner.document()
    return scanner.items


def item_line_of(lines: dict[ItemPath, int], path: ItemPath) -> int | None:
    """The line of ``path`` in ``item_lines``'s map, else of its nearest recorded parent, else None."""
    for depth in range(len(path), 0, -1):
        found = lines.get(path[:depth])
        if found is not None:
            return found
    return None
