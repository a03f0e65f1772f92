"""The series of the scorecard's charts, read from the ``--json`` document of a ``Scorecard``.

Both renderers draw the same marks (``scorecard_plots`` with matplotlib for HTML, ``scorecard_md`` with
plotext for Markdown): per horizon each directional flag, per flag each regime value and each calendar
quarter at the first horizon, and the combined model's reliability bins. Every mark is the hit rate of
the events at least one horizon apart (the ones the verdict uses) with their interval, n and baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tui.cli.scorecard_data import Scorecard


@dataclass(frozen=True)
class Point:
    """One mark of a chart: a hit rate with its 95 % interval and n, against its baseline."""

    label: str
    rate: float | None
    ci: tuple[float, float] | None
    baseline: float | None
    n: int


@dataclass(frozen=True)
class Chart:
    """Hit rates (non-overlapping events) against their baselines: one group of marks per chart."""

    title: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Calibration:
    """The combined model's reliability at one horizon: (mean predicted, observed, n) per bin, and the claim."""

    horizon: str
    bins: tuple[tuple[float, float, int], ...]
    claim: str


def chart_horizons(card: Scorecard) -> list[Chart]:
    """Per horizon, each directional flag's non-overlapping hit rate and interval against its baseline."""
    charts = []
    for h in card.doc["horizons"]:
        points = [_point(n, card.doc["flags"][n]["horizons"].get(h)) for n in card.with_events()]
        charts.append(Chart(f"hit rate vs baseline, events apart, horizon {h}", _shown(points)))
    return charts


def chart_regimes(card: Scorecard) -> list[Chart]:
    """Per flag with events, at the first horizon: every regime value's hit rate against its baseline."""
    charts = []
    for name in card.with_events():
        points = [
            _point(f"{regime}:{value}", cell.get(card.first))
            for regime, values in card.doc["flags"][name].get("regimes", {}).items()
            for value, cell in values.items()
        ]
        charts.append(Chart(f"{name} by regime, horizon {card.first}", _shown(points)))
    return charts


def chart_periods(card: Scorecard) -> list[Chart]:
    """Per flag with events, at the first horizon: each calendar quarter's hit rate against its baseline."""
    charts = []
    for name in card.with_events():
        periods = card.doc["flags"][name].get("by_period", {})
        points = [_point(q, cell.get(card.first)) for q, cell in periods.items()]
        charts.append(Chart(f"{name} by quarter, horizon {card.first}", _shown(points)))
    return charts


def calibrations(card: Scorecard) -> list[Calibration]:
    """The combined model's reliability table per horizon it could score."""
    out = []
    for h, c in card.doc["combined"]["horizons"].items():
        if c["n"] and h in card.claims:
            bins = tuple((b["mean_predicted"], b["observed"], b["n"]) for b in c["reliability"])
            out.append(Calibration(h, bins, card.claims[h]))
    return out


def _point(label: str, cell: dict[str, Any] | None) -> Point:
    """A chart mark from a JSON horizon cell: its non-overlapping events (the ones the verdict uses)."""
    if not cell:
        return Point(label, None, None, None, 0)
    n = int(cell.get("n_independent", 0) or 0)
    hits = cell.get("hits_independent", 0) or 0
    ci = cell.get("ci95_dependent")
    return Point(
        label, hits / n if n else None, None if ci is None else (ci[0], ci[1]), cell.get("baseline"), n
    )


def _shown(points: Sequence[Point]) -> tuple[Point, ...]:
    """The marks with at least one event: an empty cell has neither rate nor interval to draw."""
    return tuple(p for p in points if p.n)
