"""What every venue parser needs to read one JSON item: numbers, times, names, and the skip-a-bad-item loop.

Venues send numbers as numbers or as strings (OKX and Bybit always as strings, sometimes ``""`` for "none"),
and times as int or digit-string ms. A field that cannot be read raises ``BadItem`` with a short reason;
``collect`` turns that into one ``skipped`` line naming venue, endpoint and instrument, and goes on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from feeds.records import NAN, Parsed

R = TypeVar("R")
Item = Mapping[str, Any]


MAX_MS = 4_102_444_800_000  # 2100-01-01: a larger "time" is a garbled field, not a date


class BadItem(Exception):
    """One item cannot be read; the message says which field and why."""


def number(item: Item, key: str) -> float:
    """``item[key]`` as a finite float (a number or a numeric string)."""
    value = item.get(key)
    # The common case first and cheapest (history answers run this a million times): a str or a float.
    if value.__class__ is str or value.__class__ is float or value.__class__ is int:
        try:
            parsed = float(value)
        except ValueError:
            parsed = math.nan
        if parsed - parsed == 0.0:  # finite: inf - inf and nan - nan are nan
            return parsed
    if value is None or value == "":
        raise BadItem(f"{key!r} missing")
    raise BadItem(f"{key!r} is {value!r}, not a number")


def optional_number(item: Item, key: str) -> float:
    """``item[key]`` as a float, ``nan`` where the venue leaves it out, ``null`` or ``""``; malformed still
    raises."""
    return NAN if item.get(key) in (None, "") else number(item, key)


def time_ms(item: Item, key: str, default: int | None = None) -> int:
    """``item[key]`` as epoch ms (an int or a digit string); ``default`` where absent, if given."""
    value = item.get(key)
    if value in (None, "") and default is not None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        ms = value
    elif isinstance(value, str) and value.isdigit():
        ms = int(value)
    else:
        raise BadItem(
            f"{key!r} missing" if value in (None, "") else f"{key!r} is {value!r}, not a time in ms"
        )
    if not 0 <= ms < MAX_MS:
        raise BadItem(f"{key!r} is {value!r}, not a time in ms (outside 1970-2100)")
    return ms


def text(item: Item, key: str) -> str:
    """``item[key]`` as a non-empty string (an instrument name)."""
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise BadItem(f"{key!r} is {value!r}, not a name")
    return value


def collect(
    venue: str,
    endpoint: str,
    items: Sequence[object],
    make: Callable[[Item], R | list[R] | None],
    label: Callable[[Item], object] | None = None,
    notes: Sequence[str] = (),
) -> Parsed[R]:
    """Run ``make`` over ``items``, skipping (with one line each) the items it cannot read.

    Args:
        venue: venue name, first word of each skipped line.
        endpoint: endpoint or channel, second word.
        items: the payload's items.
        make: one item -> a record, a list of records, or None (an item the caller does not want, not an error).
        label: names an item in its skipped line (default: its ``symbol``; ``item N`` when there is none).
        notes: lines to start ``skipped`` with (e.g. why a whole payload gave nothing).
    """
    records: list[R] = []
    skipped = list(notes)
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            skipped.append(f"{venue} {endpoint} item {index}: a {type(item).__name__}, not an object")
            continue
        try:
            made = make(item)
        except BadItem as problem:
            name = label(item) if label is not None else item.get("symbol")
            where = name if isinstance(name, str) and name else f"item {index}"
            skipped.append(f"{venue} {endpoint} {where}: {problem}")
            continue
        if isinstance(made, list):
            records.extend(made)
        elif made is not None:
            records.append(made)
    return Parsed(records, skipped)
