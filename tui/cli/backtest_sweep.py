"""``perptop backtest FILE --sweep KEY=LIST ... [--walk-forward]``: a grid of ``[signals]`` settings scored.

``--sweep window=2h,4h,8h price_change_pct=0.5,1,2`` scores every point of the grid (``signals.sweep``; the
keys not swept keep the config's values) on the whole file and marks, per directional flag and horizon, the
best point, labelled *in-sample*: it was chosen on the data it is scored on. ``--walk-forward`` instead
picks the point on each fold's past and scores it on the fold only, and reports only those out-of-sample
figures. Values are read by the config loader's rules (``tui.config.loader.SIGNAL_KEYS``): durations as
``"4h"``, percentages in percent.

``--json`` prints one document (shape below; every ``stats`` is ``tui.cli.backtest_json.horizon_json``'s
object: ``n``, ``hits``, ``hit_rate``, ``ci95``, ``baseline``, ``n_independent``, ``hits_independent``,
``ci95_dependent``, ``p_value``, ``q_value``, ``excess_return_bp``, ``excess_ci95``, ``verdict`` ..., plus
``hit_rate_independent``)::

    {"file", "bars", "step_s", "horizons": {label: {"hours", "bars"}}, "unscorable": {flag: why},
     "sweep": {"keys": {key: [value as written, ...]}, "skipped": [{"settings", "reason"}],
               "points": [{"settings": {key: value}, "flags": {flag: {horizon: stats}}}],
               "best_in_sample": {flag: {horizon: {"settings": {...} | null, "point": index | null,
                                                   "label": "in-sample: ...", "stats": stats | null}}},
               "rule", "min_independent", "tests", "family"}}

or, with ``--walk-forward``, ``"walk_forward"`` in place of ``"sweep"``::

    {"walk_forward": {"keys", "skipped", "settings_tried",
                      "folds": [{"fold", "test_from", "test_to"}],
                      "flags": {flag: {horizon: {...stats, "picked": [{key: value} | null per fold]}}},
                      "rule", "min_independent", "tests", "family"}}

Exit status 0, or 2 with one line on stderr for a bad file or argument.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import numpy as np

from signals.columns import Col
from signals.formats import counted
from signals.scoring import DIRECTIONAL, fill_gaps
from signals.significance import assess
from signals.sweep import (
    MAX_POINTS,
    Axis,
    Block,
    FoldMasks,
    OutOfSample,
    PointScore,
    blocks,
    expand,
    fold_masks,
    grid_size,
    horizon_ms,
    horizon_of,
    out_of_sample,
    pick,
    score_point,
)
from tui.cli.backtest_input import (
    EXIT_OK,
    PROG,
    Progress,
    UsageError,
    fail,
    parse_horizons,
    parse_symbols,
    read_history,
)
from tui.cli.backtest_json import significance_of, unscorable
from tui.cli.backtest_sweep_table import (
    SweepResult,
    WalkForwardResult,
    sweep_json,
    walk_forward_json,
    write_sweep,
    write_walk_forward,
)
from tui.config.loader import SIGNAL_KEYS, AppConfig
from tui.config.values import BadValue, Bounds, read_duration, read_number

_NOT_WITH_SWEEP = (
    ("plot", "--plot"),
    ("combined", "--combined"),
    ("report", "--report"),
    ("bootstrap", "--bootstrap"),
)


def _value(spec_kind: str, bounds: Bounds, text: str) -> float:
    """One value of a swept key, read as the config loader reads that key (its message on a bad one)."""
    if spec_kind == "duration":
        return read_duration(text, bounds)
    raw: object = text
    # Not a number: read_number then says 'expected a number, got "abc"', as the loader would.
    with contextlib.suppress(ValueError):
        raw = float(text)
    unit = " in percent" if spec_kind == "percent" else ""
    number = read_number(raw, bounds, unit)
    return number / 100 if spec_kind == "percent" else number


def parse_axes(items: Sequence[str]) -> list[Axis]:
    """``["window=2h,4h", "price_change_pct=0.5,1"]`` -> one ``Axis`` per key, in the order given.

    Raises:
        UsageError: a malformed item, an unknown or repeated key, a bad value (the loader's message, with
            the key), or a grid of more than ``MAX_POINTS`` points.
    """
    specs = {s.key: s for s in SIGNAL_KEYS}
    axes: list[Axis] = []
    for item in items:
        key, sep, rest = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--sweep: expected KEY=LIST like window=2h,4h,8h, got {item!r}")
        spec = specs.get(key)
        if spec is None:
            raise UsageError(f"--sweep: unknown key '{key}'; the [signals] keys are {', '.join(specs)}")
        if any(a.key == key for a in axes):
            raise UsageError(f"--sweep: key '{key}' is given twice; give all its values in one list")
        values: list[float] = []
        labels: list[str] = []
        for text in (t.strip() for t in rest.split(",")):
            if not text:
                continue
            try:
                value = _value(spec.kind, spec.bounds, text)
            except BadValue as exc:
                raise UsageError(f"--sweep: key '{key}': {exc}") from None
            if value not in values:  # "4h,240m" is one setting, scored once
                values.append(value)
                labels.append(text)
        if not values:
            raise UsageError(f"--sweep: key '{key}': no value given")
        axes.append(Axis(key, spec.field, tuple(values), tuple(labels)))
    size = grid_size(axes)
    if size > MAX_POINTS:
        sizes = " x ".join(str(len(a.values)) for a in axes)
        raise UsageError(f"--sweep: {sizes} = {size} settings; at most {MAX_POINTS}, sweep fewer values")
    return axes


def _check_args(args: argparse.Namespace) -> None:
    """Refuse what a sweep does not do, rather than ignore it."""
    if not getattr(args, "sweep", None):
        raise UsageError("--walk-forward needs --sweep KEY=LIST ... (the settings to choose among)")
    for attr, flag in _NOT_WITH_SWEEP:
        if getattr(args, attr, None):
            raise UsageError(f"--sweep cannot be combined with {flag}; run that without --sweep")


def run_sweep(
    config: AppConfig, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``perptop backtest --sweep`` (optionally ``--walk-forward``) and return the exit status.

    Args:
        config: the resolved config (the keys not swept keep its ``signals`` values).
        args: ``file``, ``sweep``, ``walk_forward``, ``horizons``, ``symbols``, ``json``.
        out: where results go (default stdout).
        err: where progress, file problems and errors go (default stderr).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    quiet = bool(getattr(args, "json", False))
    walk = bool(getattr(args, "walk_forward", False))
    try:
        _check_args(args)
        axes = parse_axes(args.sweep)
        horizons = parse_horizons(getattr(args, "horizons", None) or "4h,24h")
        wanted = parse_symbols(getattr(args, "symbols", None))
    except UsageError as exc:
        return fail(err, str(exc))
    points, skipped = expand(axes, config.signals)
    if not points:
        return fail(err, f"--sweep: every one of the {len(skipped)} settings is refused: {skipped[0][1]}")
    progress = Progress(err, enabled=not quiet)
    started = time.perf_counter()
    try:
        history = read_history(args, wanted, err)
    except UsageError as exc:
        return fail(err, str(exc))
    if history.problems and not quiet:
        err.write(
            f"{PROG}: {counted(len(history.problems), 'problem')} in the file, those rows skipped "
            f"(plain `{PROG}` lists them)\n"
        )
    for point, why in skipped:
        progress.note(f"skipped {point.label}: {why}")
    rows = sum(len(b) for b in history.series.values())
    progress.note(f"read {args.file}: {counted(rows, 'row')} in {time.perf_counter() - started:.1f} s")
    step = history.step_ms
    series: dict[str, np.ndarray] = {}
    missing = 0
    for key, bars in history.series.items():
        # Windows count bars, so a hole in the file is put back as empty bars rather than closed up.
        series[key], added = fill_gaps(bars, step)
        missing += added
    folds: dict[str, list[FoldMasks]] | None = None
    test_blocks: list[Block] = []
    if walk:
        # Cut on calendar time over every symbol together: per-symbol cuts would let one symbol's training
        # data lie after another's test block, and symbols move together.
        test_blocks = blocks(np.concatenate([b[:, Col.TIME] for b in history.series.values()]))
        h_ms = {h: horizon_ms(hours, step) for h, hours in horizons.items()}
        if not test_blocks:
            return fail(err, f"--walk-forward: {args.file} has too few distinct bar times to cut into folds")
        folds = {k: fold_masks(g[:, Col.TIME], test_blocks, h_ms) for k, g in series.items()}
    scores: list[PointScore] = []
    for i, point in enumerate(points):
        progress.step(i, len(points), point.label)
        scores.append(score_point(point, series, step, horizons, folds, whole=not walk))
    progress.done(
        f"scored {counted(len(points), 'setting')} on {counted(rows, 'bar')} of {len(series)} series"
        + (f" in {len(test_blocks)} walk-forward folds" if walk else "")
        + f" in {time.perf_counter() - started:.1f} s"
    )
    if walk:
        oos = out_of_sample(scores, list(horizons))
        cells: list[OutOfSample] = [o for by_h in oos.values() for o in by_h.values()]
        sig = dict(zip((id(o) for o in cells), assess([o.score for o in cells]), strict=True))
        cannot = unscorable(scores[0].folds[0].test)
        wf = WalkForwardResult(
            history, horizons, axes, points, skipped, test_blocks, oos, sig, rows, missing, cannot
        )
        if quiet:
            _dump(walk_forward_json(wf), out)
        else:
            write_walk_forward(wf, out)
        return EXIT_OK
    best = {
        flag: {h: pick([horizon_of(s.pooled, flag, h) for s in scores]) for h in horizons}
        for flag in DIRECTIONAL
        if any(horizon_of(s.pooled, flag, next(iter(horizons))) is not None for s in scores)
    }
    # One family: every point x flag x horizon, for each series and the pool, as the plain backtest counts.
    family = significance_of(s for ps in scores for s in (*ps.per_series.values(), ps.pooled))
    cannot = unscorable(scores[0].pooled)
    result = SweepResult(history, horizons, axes, scores, skipped, family, best, rows, missing, cannot)
    if quiet:
        _dump(sweep_json(result), out)
    else:
        write_sweep(result, out)
    return EXIT_OK


def _dump(doc: object, out: TextIO) -> None:
    json.dump(doc, out, indent=1)
    out.write("\n")
