"""What the history parsers share: array rows read by field name, one candle from a row, oldest-first order.

Klines, candles and OKX's statistics endpoints send each point as a bare array (``[ts, o, h, l, c, ...]``)
that names neither its fields nor its instrument. ``array_rows`` names the fields so a row is read with
the same ``parse_util`` readers as an object, and reports a row it cannot read as one ``skipped`` line
naming venue, endpoint, instrument and the row's position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from feeds.records import Candle, Parsed
from feeds.venues.parse_util import BadItem, number, time_ms

R = TypeVar("R")

# Longer rows are cut in skipped lines: a line names the problem, it does not reprint the payload.
_SHOWN_CHARS = 60


class _HasTime(Protocol):
    @property
    def time(self) -> int: ...


Timed = TypeVar("Timed", bound=_HasTime)


def array_rows(
    venue: str,
    endpoint: str,
    instrument: str,
    rows: Sequence[object],
    fields: Sequence[str],
    make: Callable[[Mapping[str, Any]], R | None],
    min_fields: int | None = None,
) -> Parsed[R]:
    """Run ``make`` over array ``rows`` as dicts keyed by ``fields``, one ``skipped`` line per unreadable row.

    Args:
        venue: venue name, first word of each skipped line.
        endpoint: endpoint name, second word.
        instrument: what the rows are of (the rows do not say), third word.
        rows: the payload's rows.
        fields: names of the leading array positions; positions beyond them are ignored.
        make: one named row -> a record, or None for a row the caller does not want.
        min_fields: how many leading positions a row must have (default: all of ``fields``);
            absent trailing fields are missing from the dict.
    """
    need = len(fields) if min_fields is None else min_fields
    records: list[R] = []
    skipped: list[str] = []
    for index, row in enumerate(rows):
        try:
            if not isinstance(row, list) or len(row) < need:
                shown = repr(row)
                shown = shown if len(shown) <= _SHOWN_CHARS else shown[: _SHOWN_CHARS - 3] + "..."
                raise BadItem(f"row {index} is {shown}, not [{', '.join(fields[:need])}, ...]")
            made = make(dict(zip(fields, row, strict=False)))
        except BadItem as bad:
            skipped.append(f"{venue} {endpoint} {instrument}: {bad}")
            continue
        if made is not None:
            records.append(made)
    return Parsed(records, skipped)


def candle(
    venue: str,
    instrument: str,
    base: str,
    multiplier: float,
    item: Mapping[str, Any],
    time_key: str,
    volume_usd: float,
) -> Candle:
    """A Candle from ``item``'s ``o``/``h``/``l``/``c`` prices, divided by ``multiplier`` to be per one coin.

    Raises:
        BadItem: a price is missing or not a number, not positive, or the high is below the low.
    """
    opened, high, low, close = (number(item, key) / multiplier for key in ("o", "h", "l", "c"))
    if low <= 0.0:
        raise BadItem(f"low {low:g} is not a positive price")
    if high < low:
        raise BadItem(f"high {high:g} is below low {low:g}")
    return Candle(venue, instrument, base, time_ms(item, time_key), opened, high, low, close, volume_usd)


def oldest_first(parsed: Parsed[Timed]) -> Parsed[Timed]:
    """``parsed`` with its records sorted by time, oldest first (in place; the sort is stable)."""
    parsed.records.sort(key=lambda record: record.time)
    return parsed
