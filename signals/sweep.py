"""A grid of ``[signals]`` settings scored on one file (issue 12, "Thresholds"): in-sample, and walk-forward.

- **Grid** (``expand``): the cartesian product of the swept keys' values, in the order the keys were given,
  the last key varying fastest; every other threshold is the config's. A point the config loader would
  refuse as a whole (``ls_short`` above ``ls_long``, ``lookback`` shorter than ``liq_window``) is skipped
  and returned with the reason. At most ``MAX_POINTS`` points.
- **Scores** (``score_point``): each series is evaluated once per point (``signals.evaluate``) and scored
  on every bar with ``signals.scoring.score_table``; for walk-forward the same table is scored again under a
  mask per fold (training, per horizon) and per test block, so the folds cost no extra evaluation.
- **The pick** (``pick``): per flag and horizon, the point with the highest non-overlapping hit rate minus
  its baseline among the points with at least ``MIN_INDEPENDENT`` non-overlapping events; the first such
  point in grid order on a tie. On the whole file that pick is *in-sample*: chosen on the data it is
  scored on.
- **Walk-forward** (``blocks``, ``fold_masks``, ``out_of_sample``): the bar times of every series together
  are cut at quantiles into ``K_FOLDS + 1`` blocks, as ``signals.walkforward`` does. Test block ``k``
  (``k = 1..K_FOLDS``) is scored with the point picked on its training data: the bars before it whose
  forward window ends at or before its first bar (an embargo of one horizon; the two windows may share that
  end point, as in ``signals.walkforward``). ``check_no_leak`` asserts exactly that for every fold, series
  and horizon, and ``fold_masks`` calls it every time. The out-of-sample score is the sum of the test
  blocks' counts. Non-overlapping events are counted within each block, so at most one pair per block
  border and series can overlap.

Pure numpy over ``signals``; no printing (``tui.cli.backtest_sweep`` prints).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from signals.columns import Col
from signals.evaluate import evaluate
from signals.params import SignalParams, n_bars
from signals.scoring import DIRECTIONAL, HorizonScore, SeriesScore, missing_columns, pool, score_table
from signals.walkforward import LeakError

__all__ = [
    "K_FOLDS",
    "MAX_POINTS",
    "MIN_INDEPENDENT",
    "Axis",
    "Block",
    "FoldMasks",
    "LeakError",
    "OutOfSample",
    "Point",
    "PointScore",
    "blocks",
    "check_no_leak",
    "expand",
    "fold_masks",
    "gain",
    "grid_size",
    "horizon_ms",
    "horizon_of",
    "out_of_sample",
    "pick",
    "score_point",
    "train_mask",
]

MAX_POINTS = 200
"""A larger grid is refused: the test count (and the run time) grows with every point."""
MIN_INDEPENDENT = 30
"""A point is a candidate for the pick only with at least this many non-overlapping events."""
K_FOLDS = 5
"""Walk-forward test blocks; one more block before them only trains."""


@dataclass(frozen=True)
class Axis:
    """One swept key.

    Attributes:
        key: the ``[signals]`` key as the user wrote it (``"window"``).
        field: the ``SignalParams`` field it sets (``"window_h"``).
        values: its values in ``SignalParams`` units (hours, fractions), no repeats.
        labels: the same values as the user wrote them (``"2h"``, ``"0.5"``).
    """

    key: str
    field: str
    values: tuple[float, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Point:
    """One setting of the grid: the swept keys' labels, in axis order, and the full thresholds."""

    settings: tuple[tuple[str, str], ...]
    params: SignalParams

    @property
    def label(self) -> str:
        """``window=2h price_change_pct=0.5``."""
        return " ".join(f"{k}={v}" for k, v in self.settings)

    @property
    def short(self) -> str:
        """``2h/0.5``: the values only, for a line that names the keys once."""
        return "/".join(v for _, v in self.settings)


def grid_size(axes: Sequence[Axis]) -> int:
    """How many points the product of ``axes`` holds (before any is skipped)."""
    return math.prod(len(a.values) for a in axes)


def _refused(p: SignalParams) -> str | None:
    """Why the config loader would refuse these thresholds together, or None (its own two rules)."""
    if p.ls_short > p.ls_long:
        return f"ls_short ({p.ls_short:g}) must not exceed ls_long ({p.ls_long:g})"
    if p.lookback_h < p.liq_window_h:
        return "lookback must be at least as long as liq_window"
    return None


def expand(axes: Sequence[Axis], base: SignalParams) -> tuple[list[Point], list[tuple[Point, str]]]:
    """The grid's points in order (last axis fastest), and the points skipped with the reason.

    Args:
        axes: the swept keys, in the order given.
        base: the thresholds of every key not swept.
    """
    kept: list[Point] = []
    skipped: list[tuple[Point, str]] = []
    for combo in itertools.product(*(range(len(a.values)) for a in axes)):
        fields = {a.field: a.values[i] for a, i in zip(axes, combo, strict=True)}
        point = Point(
            tuple((a.key, a.labels[i]) for a, i in zip(axes, combo, strict=True)), replace(base, **fields)
        )
        why = _refused(point.params)
        if why is None:
            kept.append(point)
        else:
            skipped.append((point, why))
    return kept, skipped


# --- walk-forward folds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A test block: bars with ``start <= time < end`` (epoch ms; the last block's end is infinite)."""

    start: float
    end: float


def blocks(times: np.ndarray, k: int = K_FOLDS) -> list[Block]:
    """The ``k`` test blocks of ``times`` (every series' bar times together): cut at the ``j / (k + 1)``
    quantiles, ``j = 1..k``; the bars before the first cut only train. Repeated cuts (few distinct times)
    merge, so fewer than ``k`` blocks can come back."""
    if times.size == 0:
        return []
    s = np.sort(times)
    cuts = np.unique(s[[(j * s.size) // (k + 1) for j in range(1, k + 1)]])
    cuts = cuts[cuts > s[0]]  # a cut at the first time would leave nothing to train on
    ends = np.append(cuts[1:], np.inf)
    return [Block(float(a), float(b)) for a, b in zip(cuts.tolist(), ends.tolist(), strict=True)]


def horizon_ms(hours: float, step_ms: float) -> float:
    """The horizon as the scoring steps it: whole bars (``n_bars``) times the step, in ms."""
    return n_bars(hours, step_ms) * step_ms


def train_mask(time: np.ndarray, start: float, h_ms: float) -> np.ndarray:
    """The training bars of a block starting at ``start``: those whose forward window ends by then."""
    return np.asarray(time + h_ms <= start)


TrainRule = Callable[[np.ndarray, float, float], np.ndarray]
"""``(time, block start, horizon ms) -> bool mask``: how a fold's training bars are chosen."""


@dataclass(frozen=True)
class FoldMasks:
    """The masks of one series in one fold: training per horizon label, and the test block."""

    block: Block
    train: dict[str, np.ndarray]
    test: np.ndarray


def check_no_leak(time: np.ndarray, folds: Sequence[FoldMasks], h_ms: Mapping[str, float]) -> None:
    """Raise ``LeakError`` unless, in every fold, every training bar's forward window ends by the start of
    its test block and every test bar lies in the block."""
    for j, f in enumerate(folds, 1):
        for h, mask in f.train.items():
            if mask.any():
                late = float(time[mask].max())
                if late + h_ms[h] > f.block.start:
                    raise LeakError(
                        f"fold {j}, horizon {h}: a training bar at {late:.0f} ms has its forward window ending "
                        f"at {late + h_ms[h]:.0f} ms, after the test block starts at {f.block.start:.0f} ms"
                    )
        t = time[f.test]
        if t.size and not ((t >= f.block.start) & (t < f.block.end)).all():
            raise LeakError(f"fold {j}: a test bar lies outside its block")


def fold_masks(
    time: np.ndarray, folds: Sequence[Block], h_ms: Mapping[str, float], rule: TrainRule = train_mask
) -> list[FoldMasks]:
    """Training and test masks of one series (its bar ``time``, after gaps are filled) for every block,
    checked by ``check_no_leak`` before they are returned.

    Args:
        time: the series' bar times.
        folds: the test blocks (``blocks``).
        h_ms: horizon label -> horizon in ms (``horizon_ms``).
        rule: how training bars are chosen (``train_mask``; a test passes a leaky one to see it caught).
    """
    out = [
        FoldMasks(
            b,
            {h: rule(time, b.start, ms) for h, ms in h_ms.items()},
            (time >= b.start) & (time < b.end),
        )
        for b in folds
    ]
    check_no_leak(time, out, h_ms)
    return out


# --- scoring ---------------------------------------------------------------------------------------------


@dataclass
class FoldScore:
    """One point in one fold, pooled over the series: training scores per horizon, the test block's."""

    train: dict[str, SeriesScore]
    test: SeriesScore


@dataclass
class PointScore:
    """One point scored: on the whole file (per series and pooled) and, for walk-forward, per fold."""

    point: Point
    per_series: dict[str, SeriesScore]
    pooled: SeriesScore
    folds: list[FoldScore] = field(default_factory=list)


def _pool(scores: list[SeriesScore]) -> SeriesScore:
    """``pool``, except that one series is its own pool (the same objects, so it is tested once)."""
    return scores[0] if len(scores) == 1 else pool(scores)


def score_point(
    point: Point,
    series: Mapping[str, np.ndarray],
    step_ms: float,
    horizons: Mapping[str, float],
    folds: Mapping[str, list[FoldMasks]] | None = None,
    whole: bool = True,
) -> PointScore:
    """Evaluate every series once at ``point`` and score it on the whole file and in each fold.

    Args:
        point: the setting.
        series: key -> bars on a regular grid (``signals.scoring.fill_gaps`` already applied).
        step_ms: the bar step.
        horizons: label -> hours.
        folds: key -> that series' ``fold_masks``; None for no walk-forward.
        whole: also score on every bar (the in-sample sweep); False when only the folds are wanted.
    """
    per_series: dict[str, SeriesScore] = {}
    by_fold: list[tuple[dict[str, list[SeriesScore]], list[SeriesScore]]] = []
    for key, bars in series.items():
        table = evaluate(bars, point.params, step_ms)
        price, missing = bars[:, Col.PRICE], missing_columns(bars)
        if whole:
            per_series[key] = score_table(table, price, missing, step_ms, horizons)
        for j, f in enumerate(folds[key] if folds is not None else []):
            if j == len(by_fold):
                by_fold.append(({h: [] for h in horizons}, []))
            train, test = by_fold[j]
            for h, hours in horizons.items():
                # One horizon per call: each horizon's training bars end one horizon before the block.
                train[h].append(score_table(table, price, missing, step_ms, {h: hours}, f.train[h]))
            test.append(score_table(table, price, missing, step_ms, horizons, f.test))
    pooled = _pool(list(per_series.values())) if per_series else SeriesScore(0, {}, 0)
    fold_scores = [FoldScore({h: _pool(s) for h, s in tr.items()}, _pool(te)) for tr, te in by_fold]
    return PointScore(point, per_series, pooled, fold_scores)


def gain(h: HorizonScore, min_n: int = MIN_INDEPENDENT) -> float | None:
    """Non-overlapping hit rate minus the baseline; None below ``min_n`` non-overlapping events."""
    ind, base = h.independent, h.baseline
    if ind.n < min_n or base is None:
        return None
    return ind.hits / ind.n - base


def pick(candidates: Sequence[HorizonScore | None], min_n: int = MIN_INDEPENDENT) -> int | None:
    """Index of the candidate with the highest ``gain`` (the first on a tie); None when none qualifies."""
    best: int | None = None
    best_gain = -math.inf
    for i, h in enumerate(candidates):
        g = None if h is None else gain(h, min_n)
        if g is not None and g > best_gain:
            best, best_gain = i, g
    return best


def horizon_of(score: SeriesScore, flag: str, h: str) -> HorizonScore | None:
    """The score of ``flag`` at ``h``, None when the flag cannot be scored there."""
    f = score.flags.get(flag)
    return None if f is None or not f.scorable else f.horizons.get(h)


@dataclass
class OutOfSample:
    """One flag at one horizon, walk-forward: the pick per fold (None: no point qualified on its training
    data, and the block is not scored) and the test blocks' scores of the picks, summed."""

    picked: list[int | None]
    score: HorizonScore


def out_of_sample(scores: Sequence[PointScore], horizons: Sequence[str]) -> dict[str, dict[str, OutOfSample]]:
    """Flag -> horizon -> ``OutOfSample``, for every directional flag scorable at some point.

    Each fold's pick reads only that fold's training scores; the test scores are read only for the
    point picked.
    """
    out: dict[str, dict[str, OutOfSample]] = {}
    n_folds = len(scores[0].folds) if scores else 0
    for flag in DIRECTIONAL:
        for h in horizons:
            picked: list[int | None] = []
            total = HorizonScore()
            seen = False
            for j in range(n_folds):
                i = pick([horizon_of(s.folds[j].train[h], flag, h) for s in scores])
                picked.append(i)
                test = horizon_of(scores[i].folds[j].test, flag, h) if i is not None else None
                seen = seen or any(horizon_of(s.folds[j].test, flag, h) is not None for s in scores)
                if test is not None:
                    total = total + test
            if seen:
                out.setdefault(flag, {})[h] = OutOfSample(picked, total)
    return out
