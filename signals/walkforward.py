"""The combined claim, measured (issue 12): a walk-forward logistic model on every flag and its inputs.

Trading write-ups say combined derivatives signals reach "71.4 % prediction accuracy". This module fits
the model such a claim implies and scores it only on bars it has not seen:

- **Features** at a bar, all known at that bar's close (``design``): each flag's state (0/1) and the rule
  inputs of ``signals.features``, levels turned into stationary figures first (open interest against its
  trailing median, liquidations against their trailing quantile; raw price and OI levels are left out, as a
  level means nothing across years or symbols). Each column is standardised with the *training* fold's
  mean and standard deviation only, clipped at +-5 sd (one liquidation spike must not steer the fit), and a
  missing value becomes the training mean (0 after standardising).
- **Target**: the sign of the forward return over the horizon, up = 1; a bar whose forward return is
  unknown or exactly zero (no sign) is not used.
- **Walk-forward** (``folds``): the usable bars' times are cut at quantiles into ``k + 1`` blocks; block 0
  only trains, and each later block is a test fold, scored by a model fitted on every bar *before* it minus
  an embargo of one horizon: a training bar counts only if its target window ``(t, t + H]`` ends at or
  before the test fold's first bar, so no training target sees a price of the test fold.
  ``check_no_leak`` asserts exactly that for every fold and ``walk_forward`` calls it every time.
- **Several symbols**: the folds are cut on calendar time over all symbols together and one model per fold
  is fitted on every symbol's training bars; the symbols' out-of-sample predictions are pooled. Cutting per
  symbol instead would let a model trained on BTC's October predict ETH's September, and the two move
  together, which is a leak across symbols.
- **Scores** (``CombinedScore``): accuracy with its Wilson interval; the same over non-overlapping test bars
  (one every horizon per symbol), since adjacent bars' forward windows overlap and the plain interval is too
  narrow; the majority-class baseline (each training fold's majority class applied to its test fold);
  balanced accuracy; the Brier score; a reliability table over deciles of the predicted probability.

numpy only (see ``signals.logistic`` for why not scikit-learn).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from signals.columns import Col
from signals.evaluate import FlagTable, evaluate
from signals.flags import FLAG_NAMES
from signals.logistic import fit, predict
from signals.params import SignalParams, n_bars
from signals.scoring import fill_gaps, forward_returns, wilson
from signals.significance import non_overlapping

CLAIMED = 0.714
"""The accuracy the trading write-ups claim for combined derivatives signals."""
K_FOLDS = 5
"""Test folds; one more block before them only trains."""
MIN_TRAIN = 50
"""A fold whose training set (after the embargo) holds fewer bars is not scored."""
CLIP_SD = 5.0
"""Standardised features are clipped to +- this many training standard deviations."""
RELIABILITY_BINS = 10

INPUT_NAMES: tuple[str, ...] = (
    "price_chg",
    "oi_chg",
    "funding8h",
    "funding8h_change",
    "ls_ratio",
    "liq_vs_quantile",
    "oi_vs_median",
    "spot_futures_ratio",
    "premium",
    "perp_flow",
    "spot_flow",
    "top_trader_gap",
    "funding_spread_8h",
)
"""The rule inputs used as features, after the flag states (``design``)."""
FEATURE_NAMES: tuple[str, ...] = tuple(f"flag:{n}" for n in FLAG_NAMES) + INPUT_NAMES


class LeakError(RuntimeError):
    """A training bar's target window reaches into its test fold."""


def design(table: FlagTable) -> np.ndarray:
    """(T, len(FEATURE_NAMES)) features of one evaluated series: flag states, then ``INPUT_NAMES``.

    A flag that is unavailable is all 0 (a constant column, which the penalty keeps at weight 0).
    """
    f = table.features
    with np.errstate(divide="ignore", invalid="ignore"):
        inputs = [
            f.price_chg,
            f.oi_chg,
            f.f8,
            f.f8 - f.f8_prev,
            f.ls,
            np.log1p(f.liq_w) - np.log1p(f.liq_q),  # liquidations in log units above their quantile
            f.oi / f.oi_med - 1.0,
            f.sfr,
            f.premium,
            f.perp_flow,
            f.spot_flow,
            f.ls_top - f.ls,  # top traders' position ratio against the accounts': the divergence's figure
            f.spread,
        ]
    cols = [table.fired[n].astype(np.float64) for n in FLAG_NAMES] + inputs
    x = np.column_stack(cols)
    x[~np.isfinite(x)] = np.nan
    return x


@dataclass(frozen=True)
class Samples:
    """The usable bars of every series at one horizon, pooled.

    Attributes:
        x: (n, k) features (NaN where unknown).
        y: (n,) 1 where the forward return is positive, 0 where negative.
        time: (n,) bar time, epoch ms.
        series: (n,) which series (0, 1, ...).
        bar: (n,) the bar's row in its series (after ``fill_gaps``).
    """

    x: np.ndarray
    y: np.ndarray
    time: np.ndarray
    series: np.ndarray
    bar: np.ndarray


def samples(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], h: int) -> Samples:
    """Pool ``(features, price, time)`` of each series into ``Samples`` for a horizon of ``h`` bars."""
    xs, ys, ts, ss, bs = [], [], [], [], []
    for i, (x, price, time) in enumerate(parts):
        fwd = forward_returns(price, h)
        ok = np.flatnonzero(~np.isnan(fwd) & (fwd != 0))
        xs.append(x[ok])
        ys.append((fwd[ok] > 0).astype(np.int8))
        ts.append(time[ok])
        ss.append(np.full(ok.size, i, dtype=np.int64))
        bs.append(ok)
    width = parts[0][0].shape[1] if parts else len(FEATURE_NAMES)
    if not xs:
        return Samples(
            np.empty((0, width)), np.empty(0, np.int8), np.empty(0), np.empty(0, np.int64), np.empty(0)
        )
    return Samples(
        np.concatenate(xs), np.concatenate(ys), np.concatenate(ts), np.concatenate(ss), np.concatenate(bs)
    )


@dataclass(frozen=True)
class Fold:
    """One test fold: its time span ``[start, end)`` and the rows (of ``Samples``) it trains and tests on."""

    start: float
    end: float
    train: np.ndarray
    test: np.ndarray


def folds(time: np.ndarray, h_ms: float, k: int = K_FOLDS, embargo: bool = True) -> list[Fold]:
    """Expanding-window folds in time order over the rows' ``time``.

    The times are cut at the ``j / (k + 1)`` quantiles (``j = 1..k``); fold ``j`` tests on ``[cut_j,
    cut_{j+1})`` and trains on every row with ``time + h_ms <= cut_j`` (with ``embargo``; without it,
    ``time < cut_j``, which lets the last training targets run into the test fold: kept only so a test can
    show that ``check_no_leak`` catches it).
    """
    if time.size == 0:
        return []
    s = np.sort(time)
    cuts = np.unique(s[[(j * s.size) // (k + 1) for j in range(1, k + 1)]])
    cuts = cuts[cuts > s[0]]  # a cut at the first time would leave nothing to train on
    ends = np.append(cuts[1:], np.inf)
    out = []
    for start, end in zip(cuts.tolist(), ends.tolist(), strict=True):
        train = np.flatnonzero(time + h_ms <= start if embargo else time < start)
        test = np.flatnonzero((time >= start) & (time < end))
        out.append(Fold(float(start), float(end), train, test))
    return out


def check_no_leak(fold_list: Sequence[Fold], time: np.ndarray, h_ms: float) -> None:
    """Raise ``LeakError`` unless every training row's target window ends by the start of its test fold
    and every test row lies in its fold."""
    for j, f in enumerate(fold_list, 1):
        if f.train.size and float(time[f.train].max()) + h_ms > f.start:
            late = float(time[f.train].max())
            raise LeakError(
                f"fold {j}: a training bar at {late:.0f} ms has its target ending at {late + h_ms:.0f} ms, "
                f"after the test fold starts at {f.start:.0f} ms"
            )
        if f.test.size and not ((time[f.test] >= f.start) & (time[f.test] < f.end)).all():
            raise LeakError(f"fold {j}: a test bar lies outside the fold")


def standardise(train: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays standardised with ``train``'s column means and standard deviations, missing -> 0, and
    clipped at ``CLIP_SD``; a column constant or empty in ``train`` becomes 0 in both."""
    with np.errstate(all="ignore"):
        known = ~np.isnan(train)
        count = known.sum(axis=0)
        mu = np.where(count > 0, np.nansum(train, axis=0) / np.maximum(count, 1), 0.0)
        sd = np.sqrt(np.where(count > 0, np.nansum((train - mu) ** 2, axis=0) / np.maximum(count, 1), 0.0))
    keep = sd > 0
    safe = np.where(keep, sd, 1.0)

    def z(a: np.ndarray) -> np.ndarray:
        out = np.where(keep, (a - mu) / safe, 0.0)
        return np.asarray(np.clip(np.nan_to_num(out, nan=0.0), -CLIP_SD, CLIP_SD))

    return z(train), z(other)


@dataclass(frozen=True)
class FoldScore:
    """One scored fold: its span, training and test rows, hits of the model and of the majority class."""

    start_ms: float
    end_ms: float
    train_n: int
    test_n: int
    hits: int
    majority: int
    baseline_hits: int


@dataclass(frozen=True)
class Bin:
    """One row of the reliability table: a decile of the predicted probability."""

    p_low: float
    p_high: float
    mean_predicted: float
    observed: float
    n: int


@dataclass(frozen=True)
class CombinedScore:
    """The out-of-sample scores of the combined model at one horizon (see the module's docstring)."""

    horizon_bars: int
    n: int
    hits: int
    baseline_hits: int
    balanced_accuracy: float | None
    brier: float | None
    reliability: tuple[Bin, ...]
    folds: tuple[FoldScore, ...]
    n_independent: int
    hits_independent: int

    @property
    def accuracy(self) -> float | None:
        """Share of test bars whose sign the model got right."""
        return self.hits / self.n if self.n else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        """Wilson 95 % interval of the accuracy (over every test bar: too narrow, their windows overlap)."""
        return wilson(self.hits, self.n)

    @property
    def baseline(self) -> float | None:
        """Accuracy of always saying each training fold's majority class."""
        return self.baseline_hits / self.n if self.n else None

    @property
    def accuracy_independent(self) -> float | None:
        """Accuracy over the non-overlapping test bars (one every horizon per symbol)."""
        return self.hits_independent / self.n_independent if self.n_independent else None

    @property
    def ci95_dependent(self) -> tuple[float, float] | None:
        """Wilson 95 % interval over the non-overlapping test bars: the one to believe."""
        return wilson(self.hits_independent, self.n_independent)


def reliability(p: np.ndarray, y: np.ndarray, bins: int = RELIABILITY_BINS) -> tuple[Bin, ...]:
    """Equal-count bins of the predicted probability (deciles: a weak model's predictions crowd near 0.5,
    so fixed-width bins would leave two of ten in use): mean predicted against observed rate."""
    order = np.argsort(p, kind="stable")
    out = []
    for chunk in np.array_split(order, min(bins, p.size)):
        if chunk.size:
            pc = p[chunk]
            out.append(
                Bin(float(pc.min()), float(pc.max()), float(pc.mean()), float(y[chunk].mean()), chunk.size)
            )
    return tuple(out)


def walk_forward(s: Samples, h: int, h_ms: float, k: int = K_FOLDS) -> CombinedScore:
    """Fit on each fold's past, predict its test rows, and score the pooled predictions.

    Args:
        s: the pooled usable bars.
        h: the horizon in bars (for the non-overlapping test bars).
        h_ms: the horizon in ms (for the embargo).
        k: test folds.
    """
    fl = folds(s.time, h_ms, k)
    check_no_leak(fl, s.time, h_ms)
    probs, rows, scored = [], [], []
    for f in fl:
        if f.train.size < MIN_TRAIN or f.test.size == 0:
            continue
        y_tr, y_te = s.y[f.train], s.y[f.test]
        ups = int(y_tr.sum())
        majority = 1 if 2 * ups >= y_tr.size else 0
        if 0 < ups < y_tr.size:
            z_tr, z_te = standardise(s.x[f.train], s.x[f.test])
            p = predict(fit(z_tr, y_tr), z_te)
        else:  # one class only: no finite fit; the smoothed training rate
            p = np.full(f.test.size, (ups + 0.5) / (y_tr.size + 1))
        hits = int(((p >= 0.5) == (y_te == 1)).sum())
        scored.append(
            FoldScore(
                f.start,
                f.end,
                int(f.train.size),
                int(f.test.size),
                hits,
                majority,
                int((y_te == majority).sum()),
            )
        )
        probs.append(p)
        rows.append(f.test)
    if not rows:
        return CombinedScore(h, 0, 0, 0, None, None, (), (), 0, 0)
    p = np.concatenate(probs)
    idx = np.concatenate(rows)
    y = s.y[idx].astype(np.float64)
    right = (p >= 0.5) == (y == 1)
    up, down = y == 1, y == 0
    balanced = 0.5 * (right[up].mean() + right[down].mean()) if up.any() and down.any() else None
    n_ind = hits_ind = 0
    for series in np.unique(s.series[idx]).tolist():
        mine = np.flatnonzero(s.series[idx] == series)
        bars = s.bar[idx][mine]
        order = np.argsort(bars, kind="stable")
        pick = mine[order][np.isin(bars[order], non_overlapping(bars[order], h))]
        n_ind += int(pick.size)
        hits_ind += int(right[pick].sum())
    return CombinedScore(
        h,
        int(p.size),
        int(right.sum()),
        sum(f.baseline_hits for f in scored),
        None if balanced is None else float(balanced),
        float(np.mean((p - y) ** 2)),
        reliability(p, y),
        tuple(scored),
        n_ind,
        hits_ind,
    )


def combined(
    series: Mapping[str, np.ndarray],
    params: SignalParams,
    step_ms: float,
    horizons: Mapping[str, float],
    k: int = K_FOLDS,
) -> dict[str, CombinedScore]:
    """The combined model's out-of-sample scores per horizon label, over every series of a history file.

    Args:
        series: symbol -> bars (n, len(COLUMNS)), oldest first (gaps are filled here, as the scoring does).
        params: the thresholds the flags are evaluated with.
        step_ms: the bar step.
        horizons: label -> hours.
        k: test folds.
    """
    parts = []
    for bars in series.values():
        grid, _ = fill_gaps(bars, step_ms)
        table = evaluate(grid, params, step_ms)
        parts.append((design(table), grid[:, Col.PRICE], grid[:, Col.TIME]))
    out = {}
    for label, hours in horizons.items():
        h = n_bars(hours, step_ms)
        out[label] = walk_forward(samples(parts, h), h, h * step_ms, k)
    return out
