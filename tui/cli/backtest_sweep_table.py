"""The output of ``perptop backtest --sweep`` (``tui.cli.backtest_sweep``): the tables and the JSON documents.

The in-sample table lists every setting under each flag and horizon and marks the best one with a line of
its own saying it was chosen on the data it is scored on, so that no reader takes it for an out-of-sample
result. The walk-forward table shows only out-of-sample figures and, per flag, the setting each fold picked.
The JSON shapes are documented in ``tui.cli.backtest_sweep``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, TextIO

from feeds.history.csvfile import HistoryFile
from signals.formats import counted
from signals.params import n_bars
from signals.scoring import HorizonScore
from signals.significance import NO_EDGE, Q_MAX, Significance
from signals.sweep import MIN_INDEPENDENT, Axis, Block, OutOfSample, Point, PointScore, horizon_of
from signals.times import HOUR_MS, utc_text
from tui.cli.backtest_json import horizon_json
from tui.config.values import format_duration

RULE = (
    f"the highest non-overlapping hit rate minus baseline among the settings with at least {MIN_INDEPENDENT} "
    "non-overlapping events (the first in grid order on a tie)"
)
FAMILY_SWEEP = (
    "every setting x directional flag x horizon, for each symbol and for the pool, as the plain backtest "
    "counts its tests: the best setting is picked among all of them, so all of them are corrected together"
)
FAMILY_WALK = "every directional flag x horizon out of sample: the only figures reported"
NO_PICK = f"no setting had {MIN_INDEPENDENT} non-overlapping events"


def in_sample_label(tried: int) -> str:
    """The words that go with an in-sample best, wherever it is shown."""
    return f"in-sample: chosen on the data it is scored on, of {counted(tried, 'setting')} tried"


@dataclass
class SweepResult:
    """The in-sample sweep: every point scored on the whole file, the family's significance and the best."""

    history: HistoryFile
    horizons: dict[str, float]
    axes: list[Axis]
    points: list[PointScore]
    skipped: list[tuple[Point, str]]
    significance: dict[int, Significance]
    best: dict[str, dict[str, int | None]]
    rows: int
    missing_bars: int
    unscorable: dict[str, str]

    @property
    def tests(self) -> int:
        """How many tests the q-values were corrected over."""
        return sum(s.p_value is not None for s in self.significance.values())


@dataclass
class WalkForwardResult:
    """The walk-forward sweep: the out-of-sample score per flag and horizon and what each fold picked."""

    history: HistoryFile
    horizons: dict[str, float]
    axes: list[Axis]
    points: list[Point]
    skipped: list[tuple[Point, str]]
    blocks: list[Block]
    oos: dict[str, dict[str, OutOfSample]]
    significance: dict[int, Significance]
    rows: int
    missing_bars: int
    unscorable: dict[str, str]

    @property
    def tests(self) -> int:
        """How many tests the q-values were corrected over."""
        return sum(s.p_value is not None for s in self.significance.values())


# --- JSON ------------------------------------------------------------------------------------------------


def stats_json(h: HorizonScore, sig: Significance | None) -> dict[str, Any]:
    """The backtest's per-horizon object, plus the non-overlapping hit rate the pick ranks by."""
    doc = horizon_json(h, sig, split=False)
    ind = h.independent
    doc["hit_rate_independent"] = None if not ind.n else round(ind.hits / ind.n, 6)
    return doc


def _header(history: HistoryFile, horizons: dict[str, float], rows: int) -> dict[str, Any]:
    step = history.step_ms
    return {
        "file": str(history.path),
        "bars": rows,
        "step_s": step / 1000,
        "horizons": {h: {"hours": v, "bars": n_bars(v, step)} for h, v in horizons.items()},
    }


def _keys(axes: list[Axis]) -> dict[str, list[str]]:
    return {a.key: list(a.labels) for a in axes}


def _skipped(skipped: list[tuple[Point, str]]) -> list[dict[str, Any]]:
    return [{"settings": dict(p.settings), "reason": why} for p, why in skipped]


def sweep_json(r: SweepResult) -> dict[str, Any]:
    """The ``--json`` document of an in-sample sweep."""
    label = in_sample_label(len(r.points))
    points = []
    for ps in r.points:
        flags: dict[str, Any] = {}
        for flag in r.best:
            hs = {h: horizon_of(ps.pooled, flag, h) for h in r.horizons}
            flags[flag] = {
                h: stats_json(s, r.significance.get(id(s))) for h, s in hs.items() if s is not None
            }
        points.append({"settings": dict(ps.point.settings), "flags": flags})
    best: dict[str, Any] = {}
    for flag, by_h in r.best.items():
        for h, i in by_h.items():
            s = None if i is None else horizon_of(r.points[i].pooled, flag, h)
            best.setdefault(flag, {})[h] = {
                "settings": None if i is None else dict(r.points[i].point.settings),
                "point": i,
                "label": label if i is not None else f"none: {NO_PICK}",
                "stats": None if s is None else stats_json(s, r.significance.get(id(s))),
            }
    doc = _header(r.history, r.horizons, r.rows)
    doc["unscorable"] = r.unscorable
    doc["sweep"] = {
        "keys": _keys(r.axes),
        "skipped": _skipped(r.skipped),
        "points": points,
        "best_in_sample": best,
        "rule": RULE,
        "min_independent": MIN_INDEPENDENT,
        "tests": r.tests,
        "family": FAMILY_SWEEP,
    }
    return doc


def _when(ms: float) -> str | None:
    return None if ms == float("inf") else utc_text(ms)


def walk_forward_json(r: WalkForwardResult) -> dict[str, Any]:
    """The ``--json`` document of a walk-forward sweep: out-of-sample figures only."""
    flags: dict[str, Any] = {}
    for flag, by_h in r.oos.items():
        for h, o in by_h.items():
            doc = stats_json(o.score, r.significance.get(id(o)))
            doc["picked"] = [None if i is None else dict(r.points[i].settings) for i in o.picked]
            flags.setdefault(flag, {})[h] = doc
    out = _header(r.history, r.horizons, r.rows)
    out["unscorable"] = r.unscorable
    out["walk_forward"] = {
        "keys": _keys(r.axes),
        "skipped": _skipped(r.skipped),
        "settings_tried": len(r.points),
        "folds": [
            {"fold": j, "test_from": _when(b.start), "test_to": _when(b.end)}
            for j, b in enumerate(r.blocks, 1)
        ],
        "flags": flags,
        "rule": RULE + ", on each fold's training data",
        "min_independent": MIN_INDEPENDENT,
        "tests": r.tests,
        "family": FAMILY_WALK,
    }
    return out


# --- the tables ------------------------------------------------------------------------------------------

_COLS = "{:>7}{:>7}{:>9}{:>14}{:>9}{:>8}{:>9}  {}"
_HEAD = _COLS.format("events", "n", "hit rate", "95% interval", "baseline", "q", "excess", "verdict")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _cells(h: HorizonScore, sig: Significance | None) -> str:
    """The figures of one row: all events, then the non-overlapping ones with their interval and verdict."""
    ind = h.independent
    ci = ind.ci95
    q = None if sig is None else sig.q_value
    ex = None if sig is None else sig.excess_return_bp
    return _COLS.format(
        f"{h.events.n:,}",
        f"{ind.n:,}",
        _pct(ind.hits / ind.n if ind.n else None),
        "-" if ci is None else f"{ci[0] * 100:.1f}-{ci[1] * 100:.1f}%",
        _pct(h.baseline),
        "-" if q is None else "<0.001" if q < 0.001 else f"{q:.3f}",
        "-" if ex is None else f"{round(ex) + 0:+d} bp",  # + 0: -0 reads +0
        NO_EDGE if sig is None else sig.verdict,
    ).rstrip()


def _file_line(history: HistoryFile, rows: int, missing: int) -> str:
    series = history.series
    t0 = min(b[0, 0] for b in series.values())
    t1 = max(b[-1, 0] for b in series.values())
    step = format_duration(history.step_ms / HOUR_MS)
    gaps = f", {counted(missing, 'missing bar')} left empty" if missing else ""
    return (
        f"{history.path}: {counted(rows, 'bar')} of {step}, {utc_text(t0, suffix='')} to "
        f"{utc_text(t1, suffix='')} UTC, {len(series)} series{gaps}\n"
    )


def _grid_lines(axes: list[Axis], tried: int, skipped: list[tuple[Point, str]]) -> list[str]:
    keys = " x ".join(f"{a.key} ({', '.join(a.labels)})" for a in axes)
    lines = [f"settings: {keys}: {counted(tried, 'setting')} scored\n"]
    for p, why in skipped:
        lines.append(f"  skipped {p.label}: {why}\n")
    return lines


def _unscorable_lines(unscorable: dict[str, str]) -> list[str]:
    if not unscorable:
        return []
    return ["\ncannot be scored on this file:\n", *(f"  {n}: {why}\n" for n, why in unscorable.items())]


def _para(text: str) -> str:
    """A paragraph wrapped to fit 116 columns."""
    return textwrap.fill(text, 116) + "\n"


def write_sweep(r: SweepResult, out: TextIO) -> None:
    """The in-sample table: per horizon and flag a row per setting, the best marked and labelled."""
    tried = len(r.points)
    out.write(_file_line(r.history, r.rows, r.missing_bars))
    out.writelines(_grid_lines(r.axes, tried, r.skipped))
    out.write(
        _para(
            "Every row is scored on the whole file. n, hit rate and interval: the non-overlapping events (one "
            "within a horizon of the last one counted is not counted again); baseline: the same bet on every bar; "
            f"q: Benjamini-Hochberg over all {counted(r.tests, 'test')} of this sweep (every setting x flag x "
            f"horizon, per symbol and pooled); 'beats' needs q <= {Q_MAX:g}."
        )
        + _para(
            f"The row marked * is the best by {RULE}. It is IN-SAMPLE: chosen on the same data it is scored on, "
            "so its figures overstate what it would do on new data; --walk-forward measures that."
        )
    )
    # Wide enough for the longest setting (after its two-character mark) and the longest flag name.
    width = max(max(len(ps.point.label) for ps in r.points) + 4, max(map(len, r.best), default=0) + 2)
    for h, hours in r.horizons.items():
        out.write(f"\nhorizon {h} ({counted(n_bars(hours, r.history.step_ms), 'bar')})\n")
        for flag, by_h in r.best.items():
            out.write(f"{flag:<{width}}{_HEAD}\n")
            for i, ps in enumerate(r.points):
                s = horizon_of(ps.pooled, flag, h)
                if s is None:
                    continue
                mark = "* " if i == by_h[h] else "  "
                out.write(f"{mark}{ps.point.label:<{width - 2}}{_cells(s, r.significance.get(id(s)))}\n")
                if i == by_h[h]:
                    out.write(f"    ^ {in_sample_label(tried)}; not an out-of-sample result\n")
            if by_h[h] is None:
                out.write(f"  no best setting: {NO_PICK}\n")
    out.writelines(_unscorable_lines(r.unscorable))


def write_walk_forward(r: WalkForwardResult, out: TextIO) -> None:
    """The walk-forward table: out-of-sample figures only, and each fold's pick."""
    out.write(_file_line(r.history, r.rows, r.missing_bars))
    out.writelines(_grid_lines(r.axes, len(r.points), r.skipped))
    out.write(
        f"walk-forward: the bar times of every series cut at quantiles into {len(r.blocks) + 1} blocks; the first "
        "only trains,\neach later one is a test block:\n"
    )
    for j, b in enumerate(r.blocks, 1):
        end = "the end" if b.end == float("inf") else utc_text(b.end)
        out.write(f"  block {j}: {utc_text(b.start)} to {end}\n")
    out.write(
        _para(
            f"For each test block, flag and horizon the setting is picked by {RULE}, on the training data only "
            "(every bar before the block whose forward window ends by the block's start), then scored on the "
            "block."
        )
        + _para(
            "ONLY OUT-OF-SAMPLE figures below: the test blocks' counts summed; n, hit rate and interval: "
            f"the non-overlapping events; q: Benjamini-Hochberg over the {counted(r.tests, 'test')} below; "
            f"'beats' needs q <= {Q_MAX:g}."
        )
    )
    keys = "/".join(a.key for a in r.axes)
    for h, hours in r.horizons.items():
        out.write(f"\nhorizon {h} ({counted(n_bars(hours, r.history.step_ms), 'bar')}), out of sample\n")
        out.write(f"{'flag':<21}{_HEAD}\n")
        for flag, by_h in r.oos.items():
            o = by_h.get(h)
            if o is None:
                continue
            if all(i is None for i in o.picked):
                out.write(f"{flag:<21}not scored: {NO_PICK} on any block's training data\n")
                continue
            out.write(f"{flag:<21}{_cells(o.score, r.significance.get(id(o)))}\n")
            picks = ", ".join("-" if i is None else r.points[i].short for i in o.picked)
            out.write(f"  picked per block ({keys}): {picks}\n")
    if any(
        None in o.picked and any(i is not None for i in o.picked)
        for by_h in r.oos.values()
        for o in by_h.values()
    ):
        out.write(f"\n-: {NO_PICK} on that block's training data; the block is not scored for that flag\n")
    out.writelines(_unscorable_lines(r.unscorable))
