"""Typed values of the config file: durations (``"4h"``), bounded numbers and how a bad value is shown.

Each ``read_*`` function takes the raw TOML value and returns the converted one or raises ``BadValue``
with a message that ``tui.config.loader`` prefixes with the file, line and key.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_HOURS = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}


class BadValue(ValueError):
    """A config value of the wrong type or out of range; the message says what was expected."""


def show(value: object) -> str:
    """A value as the user wrote it in TOML: strings quoted, ``true``/``false``, arrays and tables named."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


@dataclass(frozen=True)
class Bounds:
    """An allowed interval; ``open_lo``/``open_hi`` exclude the end point."""

    lo: float
    hi: float
    open_lo: bool = False
    open_hi: bool = False

    def contains(self, value: float) -> bool:
        above = value > self.lo if self.open_lo else value >= self.lo
        below = value < self.hi if self.open_hi else value <= self.hi
        return above and below  # False for NaN, as it should be

    def describe(self, durations: bool = False) -> str:
        """``"at least 1m and at most 30d"``; ``durations`` spells the ends as durations (hours)."""
        lo = format_duration(self.lo) if durations else _num(self.lo)
        hi = format_duration(self.hi) if durations else _num(self.hi)
        low = f"greater than {lo}" if self.open_lo else f"at least {lo}"
        high = f"less than {hi}" if self.open_hi else f"at most {hi}"
        return f"{low} and {high}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def read_number(value: object, bounds: Bounds, unit: str = "") -> float:
    """A TOML integer or float within ``bounds``.

    Raises:
        BadValue: for a string, boolean, array or table, or a number outside ``bounds``.
    """
    what = f"a number{unit}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadValue(f"expected {what}, got {show(value)}")
    number = float(value)
    if not bounds.contains(number):
        raise BadValue(f"must be {bounds.describe()}, got {show(value)}")
    return number


def parse_duration(text: str) -> float:
    """Hours in a duration such as ``"4h"``, ``"30m"``, ``"90s"``, ``"7d"``, ``"1w"`` or ``"1.5h"``.

    Raises:
        BadValue: if ``text`` is not a number followed by one of s, m, h, d, w.
    """
    match = _DURATION.match(text)
    if not match:
        raise BadValue(f'expected a duration like "4h", "30m" or "7d", got {show(text)}')
    return float(match.group(1)) * _UNIT_HOURS[match.group(2).lower()]


def read_duration(value: object, bounds: Bounds) -> float:
    """A duration string converted to hours, within ``bounds`` (in hours).

    Raises:
        BadValue: for a non-string (a bare number has no unit), a malformed duration or one out of range.
    """
    if not isinstance(value, str):
        raise BadValue(f'expected a duration like "4h", got {show(value)}')
    hours = parse_duration(value)
    if not bounds.contains(hours):
        raise BadValue(f"must be {bounds.describe(durations=True)}, got {show(value)}")
    return hours


def format_duration(hours: float) -> str:
    """The shortest exact spelling of ``hours``: 168 -> ``"7d"``, 0.5 -> ``"30m"``, 4 -> ``"4h"``."""
    seconds = round(hours * 3600, 6)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count = seconds / size
        if count >= 1 and math.isclose(count, round(count), abs_tol=1e-9):
            return f"{round(count)}{unit}"
    return f"{seconds!r}s"


def read_string(value: object, what: str) -> str:
    """A TOML string; ``what`` describes it in the error (``"a theme name"``)."""
    if not isinstance(value, str):
        raise BadValue(f"expected {what}, got {show(value)}")
    return value


def read_url(value: object, schemes: tuple[str, ...]) -> str:
    """A URL string starting with one of ``schemes`` (``("https://", "http://")``); trailing ``/`` removed."""
    text = read_string(value, f"a URL starting with {schemes[0]}")
    if not text.startswith(schemes) or len(text) <= len(text.split("//", 1)[0]) + 2 or " " in text:
        raise BadValue(f"expected a URL starting with {' or '.join(schemes)}, got {show(value)}")
    return text.rstrip("/")
