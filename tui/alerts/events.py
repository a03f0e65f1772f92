"""Events: what happened on a symbol's row at a closed bar, as one JSON object everywhere.

A ``flag_on`` / ``flag_off`` event is the rising / falling edge of a flag between two closed bars of
one series; a ``threshold`` event is a user rule's level crossed. The same object is shown in the
event log, written to the history store, printed by ``perptop watch --jsonl`` and POSTed by a
webhook: ``Event.as_json`` is its one shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from signals.times import iso_utc
from tui.model.hit_rates import FlagRecord

EventKind = Literal["flag_on", "flag_off", "threshold"]
KINDS: tuple[EventKind, ...] = ("flag_on", "flag_off", "threshold")


@dataclass(frozen=True)
class Event:
    """One event.

    Attributes:
        time_ms: open time of the closed bar it happened at (the backtest's event bar).
        wall_ms: when this process saw it.
        symbol: the symbol.
        venue: the venue of the row, ``all`` for the cross-venue row.
        kind: ``flag_on``, ``flag_off`` or ``threshold``.
        flag: the flag's name (None for a threshold event).
        rule: the alert rule's name: the rule of a threshold event, the first rule that alerted on a
            flag event (None when none did).
        direction: +1 bullish, -1 bearish, 0 context (a threshold event: +1 above, -1 below).
        reason: the flag's reason line with its figures, or the threshold crossed with the value.
        confidence: 1.0, or the low confidence while ``leverage_driven`` is on.
        record: the flag's measured record on this symbol, when it has one: the plain figures and the
            dependence-aware ones (``n_independent``, ``ci95_dependent``, ``q_value``, ``verdict``).
        record_note: why there is no record ("not enough history: 4 events", "not measured yet").
        alerted: the rules that delivered it.
        suppressed: rules that matched but held it back (cooldown, rate cap), with the cause.
    """

    time_ms: int
    wall_ms: int
    symbol: str
    venue: str
    kind: EventKind
    flag: str | None
    rule: str | None
    direction: int
    reason: str
    confidence: float = 1.0
    record: FlagRecord | None = None
    record_note: str | None = None
    alerted: tuple[str, ...] = ()
    suppressed: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[int, str, str, str, str]:
        """What makes an event unique: the same edge seen twice (two processes, a restart) is one event."""
        return (self.time_ms, self.symbol, self.venue, self.kind, self.flag or self.rule or "")

    @property
    def label(self) -> str:
        """A few words for a toast, a status line or a notification title."""
        what = self.flag or self.rule or ""
        arrow = {"flag_on": "on", "flag_off": "off", "threshold": "crossed"}[self.kind]
        where = "" if self.venue == "all" else f" ({self.venue})"
        return f"{self.symbol}{where} {what} {arrow}"

    def with_alerts(self, alerted: tuple[str, ...], suppressed: tuple[str, ...]) -> Event:
        """This event after the rules looked at it."""
        rule = self.rule if self.rule is not None else (alerted[0] if alerted else None)
        return replace(self, rule=rule, alerted=alerted, suppressed=suppressed)

    def as_json(self) -> dict[str, Any]:
        """The event as the JSON object of the README: every key always present, null where none."""
        return {
            "time": iso_utc(self.time_ms),
            "wall_time": iso_utc(self.wall_ms),
            "symbol": self.symbol,
            "venue": self.venue,
            "kind": self.kind,
            "flag": self.flag,
            "rule": self.rule,
            "direction": self.direction,
            "reason": self.reason,
            "confidence": self.confidence,
            "record": self.record.as_json() if self.record is not None else None,
            "record_note": self.record_note,
            "alerted": list(self.alerted),
            "suppressed": list(self.suppressed),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any], time_ms: int, wall_ms: int) -> Event:
        """An event read back from the history store (its times come from the store's own columns)."""
        rec = doc.get("record")
        record = None
        if isinstance(rec, dict):
            q = rec.get("q_value")
            record = FlagRecord(
                _num(rec.get("hit_rate")),
                _num(rec.get("baseline")),
                _interval(rec.get("ci95")),
                int(rec.get("n") or 0),
                str(rec.get("horizon") or ""),
                str(rec.get("verdict") or ""),
                # Events stored before the dependence-aware figures have none: 0, null, null, "".
                int(rec.get("n_independent") or 0),
                _interval(rec.get("ci95_dependent")),
                _num(q) if q is not None else None,
                str(rec.get("verdict_plain") or ""),
            )
        return cls(
            time_ms,
            wall_ms,
            str(doc["symbol"]),
            str(doc["venue"]),
            doc["kind"],
            doc.get("flag"),
            doc.get("rule"),
            int(doc.get("direction") or 0),
            str(doc.get("reason") or ""),
            _num(doc.get("confidence"), 1.0),
            record,
            doc.get("record_note"),
            tuple(doc.get("alerted") or ()),
            tuple(doc.get("suppressed") or ()),
        )

    def line(self) -> str:
        """One short line for ``perptop watch`` without ``--jsonl`` and ``perptop events``."""
        extra = f" [{', '.join(self.alerted)}]" if self.alerted else ""
        conf = f" (confidence {self.confidence:.0%})" if self.confidence < 1.0 else ""
        return f"{iso_utc(self.time_ms)}  {self.label}: {self.reason}{conf}{extra}"


def _interval(ci: object) -> tuple[float, float] | None:
    """A JSON ``[low, high]`` as a pair of floats (anything else, or a null end: None)."""
    if isinstance(ci, list) and len(ci) == 2 and None not in ci:
        return _num(ci[0]), _num(ci[1])
    return None


def _num(x: object, default: float = math.nan) -> float:
    """A JSON number as a float (null or anything else: ``default``)."""
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else default
