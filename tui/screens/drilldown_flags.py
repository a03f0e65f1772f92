"""The flag list of the drill-down screen: every flag that is on for a symbol, and why.

Provides ``flags_content``: the cross-venue (ALL) flags in full (direction, code, name, the reason line
with its figures, confidence, and a measured hit rate only when a backtest supplied one), the flags that
could not be computed for lack of inputs, then one compact line per venue, and last every directional
flag's hit rate as measured on the symbol's own history (``tui.model.hit_rates``), each with its
dependence-aware figures (events a horizon apart, their interval, the q-value over the symbol's flags,
the verdict; a flag that is on repeats them beside its measured rate). Text is built with
``Content.assemble`` so reason strings are never parsed as markup, and styles are theme variables.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence

from textual.content import Content

from signals.evaluate import LatestResult
from signals.flags import CODE, CROSS_VENUE_ONLY, FLAG_NAMES, INPUTS, Flag
from tui.model.hit_rates import FlagRecord, HitRates

GLYPH = {1: "▲", -1: "▼", 0: "●"}
STYLE = {1: "$flag-bull", -1: "$flag-bear", 0: "$flag-context"}
WORD = {1: "bullish", -1: "bearish", 0: "context"}


def _ordered(names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [n for n in FLAG_NAMES if n in wanted]


VERDICT_STYLE = {"beats": "bold $success", "worse": "bold $warning"}
"""How a verdict is set off in the text (theme variables); "no edge measured" stays muted."""


def _significance(record: FlagRecord) -> list[tuple[str, str] | str]:
    """`` · apart n=9 (40%-85%) q=0.41: no edge measured``, the verdict styled by what it says."""
    words = record.significance_words()
    head, verdict = words.rsplit(": ", 1)
    return [(f" · {head}: ", "$text-muted"), (verdict, VERDICT_STYLE.get(verdict, "$text-muted"))]


def _flag_block(flag: Flag, hit_rate: str | None, record: FlagRecord | None = None) -> list[Content]:
    d = flag.direction if flag.direction in GLYPH else 0
    head: list[tuple[str, str] | str] = [
        (f"{GLYPH[d]} {flag.code} {flag.name}", f"bold {STYLE[d]}"),
        (f"  {WORD[d]}", STYLE[d]),
    ]
    if flag.confidence < 1.0:
        head.append((f"  low confidence {flag.confidence:.0%}", "$stale"))
    else:
        head.append((f"  confidence {flag.confidence:.0%}", "$text-muted"))
    if hit_rate is not None:
        head.append((f"  measured hit rate {hit_rate}", "$text-muted"))
        if record is not None:
            head.extend(_significance(record))
    return [Content.assemble(*head), Content.assemble("    ", flag.reason)]


def _unavailable_line(names: Iterable[str], absent: Collection[str] | None = None) -> Content | None:
    """The unavailable flags and the inputs they lack: those of ``absent`` (columns with no value in the
    bars evaluated) when it names any of the flag's inputs, else all of them (a window too short)."""
    missing = _ordered(names)
    if not missing:
        return None
    lines = [Content.styled("unavailable (inputs missing):", "$stale")]
    for n in missing:
        lacks = [c for c in INPUTS[n] if absent is not None and c in absent] or list(INPUTS[n])
        lines.append(Content.assemble(f"  {CODE[n]} {n} ", (f"needs {', '.join(lacks)}", "$text-muted")))
    return Content("\n").join(lines)


def _venue_line(venue: str, result: LatestResult | None, width: int) -> Content:
    name = (venue[: width - 1]).ljust(width)
    if result is None:
        return Content.assemble(name, ("no data", "$text-muted"))
    parts: list[tuple[str, str] | str] = [name]
    if not result.flags:
        parts.append(("none on", "$text-muted"))
    for flag in sorted(result.flags, key=lambda f: FLAG_NAMES.index(f.name)):
        d = flag.direction if flag.direction in GLYPH else 0
        low = "?" if flag.confidence < 1.0 else ""
        parts.append((f"{GLYPH[d]}{flag.code}{low} ", STYLE[d]))
    missing = [n for n in _ordered(result.unavailable) if n not in CROSS_VENUE_ONLY]
    if missing:
        parts.append(("  unavailable: " + " ".join(CODE[n] for n in missing), "$text-muted"))
    return Content.assemble(*parts)


def funding_lines(rows: Sequence[tuple[str, float, float, int]], now_ms: int) -> list[Content]:
    """Each venue's current funding: its own rate and interval, and when it is next charged.

    Args:
        rows: (venue, rate per interval, interval in hours, next funding time ms or 0).
        now_ms: the time now, for the countdown.
    """
    lines = [Content(""), Content.styled("Funding per venue  (own interval · next)", "bold")]
    width = max((len(v) for v, *_ in rows), default=4) + 2
    for venue, rate, hours, next_ms in rows:
        if math.isnan(rate):
            lines.append(Content.assemble(venue.ljust(width), ("no data", "$text-muted")))
            continue
        interval = "" if math.isnan(hours) else f"/{hours:g}h"
        left = ""
        if next_ms > now_ms:
            minutes = (next_ms - now_ms) // 60_000
            left = f"  next in {minutes // 60}h{minutes % 60:02d}m"
        lines.append(
            Content.assemble(venue.ljust(width), f"{rate * 100:+.4f}%{interval}", (left, "$text-muted"))
        )
    return lines


def flags_content(
    overall: LatestResult | None,
    venues: Sequence[tuple[str, LatestResult | None]],
    hit_rates: Mapping[str, str] | None = None,
    funding: Sequence[Content] = (),
    measured: HitRates | None = None,
    pending: bool = False,
    absent: Collection[str] | None = None,
) -> Content:
    """The flag panel's text.

    Args:
        overall: the latest flags of the cross-venue series (None when the symbol has no bars).
        venues: (venue, its latest flags, or None where the venue has no bars for the symbol).
        hit_rates: flag name -> a measured hit rate already formatted from a backtest; flags without
            one show none (the figure is never invented).
        funding: the per-venue funding lines.
        measured: every directional flag's measured figure on this symbol's history.
        pending: a measurement is running (says so instead of showing nothing).
        absent: input columns with no value in the cross-venue bars evaluated (named per unavailable flag).
    """
    lines: list[Content] = [Content.styled("Flags · all venues", "bold")]
    if overall is None:
        lines.append(Content.styled("no bars for this symbol yet", "$text-muted"))
    else:
        if not overall.flags:
            lines.append(Content.styled("no flag is on", "$text-muted"))
        for flag in sorted(overall.flags, key=lambda f: FLAG_NAMES.index(f.name)):
            record = measured.records.get(flag.name) if measured is not None else None
            lines.extend(_flag_block(flag, (hit_rates or {}).get(flag.name), record))
        unavailable = _unavailable_line(overall.unavailable, absent)
        if unavailable is not None:
            lines.append(unavailable)
    lines.append(Content(""))
    lines.append(Content.styled("Per venue  (? = low confidence)", "bold"))
    width = max((len(v) for v, _ in venues), default=4) + 2
    lines.extend(_venue_line(v, r, width) for v, r in venues)
    lines.extend(funding)
    lines.extend(_measured_lines(measured, pending))
    return Content("\n").join(lines)


def _measured_lines(measured: HitRates | None, pending: bool) -> list[Content]:
    if measured is None:
        return (
            [Content(""), Content.styled("measuring hit rates on this symbol's history…", "$text-muted")]
            if pending
            else []
        )
    lines = [
        Content(""),
        Content.styled(f"Measured hit rate, {measured.horizon} ahead", "bold"),
        Content.styled(f"on {measured.origin}{_family(measured.tests)}", "$text-muted"),
    ]
    for name, text in measured.lines.items():
        style = "$text-muted" if name not in measured.rates else ""
        record = measured.records.get(name)
        # On the flag's own line (it wraps where the panel is narrow): one line per flag, in flag order.
        extra = _significance(record) if record is not None else []
        lines.append(Content.assemble(f"  {CODE[name]} ", (text, style), *extra))
    return lines


def _family(tests: int) -> str:
    """What "apart" and the q-values mean, said once under the heading."""
    if not tests:
        return ""
    return (
        f" · apart: events a horizon apart · q: Benjamini-Hochberg over this symbol's {tests} "
        f"test{'' if tests == 1 else 's'}"
    )
