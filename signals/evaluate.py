"""The public entry points: flags over a whole series (``evaluate``) and at the last bar of many series
(``evaluate_latest``).

Both gather ``Features`` their own way (``signals.features`` shifts whole columns, ``signals.latest``
reads the tail of a panel with a per-bar cache) and then run the same ``rules.fire`` and ``reasons.reason``
on them, so a flag on screen is the flag the backtest scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from signals.columns import COLUMNS, Col
from signals.features import Features, Windows, batch_features
from signals.flags import FLAG_NAMES, Flag
from signals.latest import LatestCache, latest_features, prev_stats
from signals.params import SignalParams
from signals.reasons import Labels, labels, reason_with
from signals.rules import INPUT_COLUMNS, direction_at, directions, fire

__all__ = [
    "FlagTable",
    "LatestCache",
    "LatestResult",
    "evaluate",
    "evaluate_latest",
    "needed_bars",
    "step_of",
]


def step_of(times_ms: np.ndarray) -> float:
    """The bar step: the median difference of ``time`` (ms).

    Raises:
        ValueError: with fewer than two bars, where there is no step to infer.
    """
    if len(times_ms) < 2:
        raise ValueError("the bar step needs at least two bars; pass step_ms explicitly")
    return float(np.median(np.diff(times_ms)))


@lru_cache(maxsize=64)
def _windows(params: SignalParams, step_ms: float) -> Windows:
    return Windows.of(params, step_ms)


def needed_bars(params: SignalParams, step_ms: float) -> int:
    """Trailing bars (the current one included) ``evaluate_latest`` needs for every window to be full."""
    return _windows(params, step_ms).needed


def short_bars(params: SignalParams, step_ms: float) -> int:
    """Rows before the current one that the change and flow windows reach back: ``evaluate_latest``'s
    ``window`` holds more than these when the older rows come apart (``older``: the lookback's and the
    24 h volume sums')."""
    w = _windows(params, step_ms)
    return max(w.change, w.flow, 1)


def _flags(f: Features, j: int, names: list[str], p: SignalParams, label: Labels | None) -> list[Flag]:
    """The ``Flag`` records of ``names`` (those on at element ``j``), in the order given.

    ``label`` is ``reasons.labels(p)``, passed in so a call over many series formats it once; None
    leaves every reason empty (a caller that shows codes only).
    """
    conf = p.low_confidence if "leverage_driven" in names else 1.0
    out = []
    for name in names:
        d = direction_at(name, f, j)
        why = reason_with(name, f, j, label) if label is not None else ""
        out.append(Flag(name, d, why, 1.0 if name == "leverage_driven" else conf))
    return out


@dataclass
class FlagTable:
    """Flags over every bar of one series.

    Attributes:
        fired: flag name -> bool (T,); False where the flag is unavailable or an input is NaN.
        available: flag name -> whether every input column has a value somewhere in the series.
        direction: flag name -> int8 (T,): DIRECTION, or for the flags of ``flags.PER_BAR`` their rule at
            the bar (e.g. -sign(funding8h) for funding_extreme).
        features: the rule inputs at every bar (for reasons and for the backtest's own figures).
        params: the thresholds the flags were evaluated with.
    """

    fired: dict[str, np.ndarray]
    available: dict[str, bool]
    direction: dict[str, np.ndarray]
    features: Features
    params: SignalParams = field(default_factory=SignalParams)

    def flags_at(self, i: int) -> list[Flag]:
        """The flags on at bar ``i``, with reasons and confidence, in FLAG_NAMES order."""
        names = [n for n in FLAG_NAMES if self.fired[n][i]]
        return _flags(self.features, i, names, self.params, labels(self.params)) if names else []


def _check(bars: np.ndarray, ndim: int) -> None:
    if bars.ndim != ndim or bars.shape[-1] != len(COLUMNS):
        raise ValueError(f"expected a {ndim}-D bar array with {len(COLUMNS)} columns, got {bars.shape}")


def evaluate(
    bars: np.ndarray,
    params: SignalParams = SignalParams(),  # noqa: B008  (frozen, so one shared default is safe)
    step_ms: float | None = None,
) -> FlagTable:
    """Evaluate every flag at every bar of one series.

    Args:
        bars: (T, len(COLUMNS)) float64 per ``signals.columns``, oldest first.
        params: thresholds and windows.
        step_ms: bar step in ms; inferred from ``time`` (``step_of``) when None.
    """
    _check(bars, 2)
    bars = np.asarray(bars, dtype=np.float64)
    step = step_of(bars[:, Col.TIME]) if step_ms is None else float(step_ms)
    f = batch_features(bars, params, _windows(params, step))
    present = ~np.isnan(bars).all(axis=0)
    available = {n: bool(present[list(INPUT_COLUMNS[n])].all()) for n in FLAG_NAMES}
    return FlagTable(fire(f, params), available, directions(f), f, params)


@dataclass(frozen=True)
class LatestResult:
    """The flags of one series at its last bar.

    Attributes:
        flags: the flags on, in FLAG_NAMES order.
        unavailable: flags whose input columns are missing from the series (no value in the window).
    """

    flags: tuple[Flag, ...]
    unavailable: tuple[str, ...]


_BIT = (1 << np.arange(len(FLAG_NAMES), dtype=np.int64))[:, None]
_NO_FLAGS: dict[int, LatestResult] = {}
_NAMES: dict[int, list[str]] = {}


def _no_flags(avail_code: int) -> LatestResult:
    """The shared result of a series with no flag on, per availability pattern."""
    r = _NO_FLAGS.get(avail_code)
    if r is None:
        unavailable = tuple(n for k, n in enumerate(FLAG_NAMES) if not avail_code >> k & 1)
        r = _NO_FLAGS[avail_code] = LatestResult((), unavailable)
    return r


def _names(fired_code: int) -> list[str]:
    """The flag names set in a bit pattern over FLAG_NAMES, in FLAG_NAMES order."""
    names = _NAMES.get(fired_code)
    if names is None:
        names = _NAMES[fired_code] = [n for k, n in enumerate(FLAG_NAMES) if fired_code >> k & 1]
    return names


def evaluate_latest(
    window: np.ndarray,
    params: SignalParams,
    step_ms: float,
    cache: LatestCache | None = None,
    reasons: bool = True,
    older: np.ndarray | None = None,
) -> list[LatestResult]:
    """Evaluate every flag at the last bar of N series.

    Args:
        window: (T, N, len(COLUMNS)): the last T bars of N series, e.g.
            ``BarStore.tail(T).reshape(T, -1, C)``; T >= ``needed_bars`` for every window to be full
            (a shorter window is padded with missing bars, so its long-window flags stay off).
        params: thresholds and windows.
        step_ms: bar step in ms.
        cache: statistics of the bars before the last one, reused while the last bar's time is unchanged;
            it also keeps the last results, so a series whose current bar did not move costs nothing.
        reasons: word each flag's reason; False leaves ``Flag.reason`` empty, for a caller that shows
            codes only (the watchlist's paint: the reason lines were a tenth of its CPU).
        older: (T0, N, C) bars before ``window``'s, kept apart (``BarStore.tail_split``'s float32 rows):
            read only for the 7-day lookback and the 24 h volume sums; ``window`` must then hold the
            change and flow windows (``short_bars``).

    Returns:
        One ``LatestResult`` per series, in the order of axis 1.
    """
    _check(window, 3)
    win = _windows(params, step_ms)
    t, n, c = window.shape
    t0 = 0 if older is None else older.shape[0]
    # The previous bar is part of the key: it is the one most likely to be rewritten late (its final
    # values, or a backfill ending there) while the current bar's time stays the same; 20 KB to compare.
    key = (
        window[-1, :, Col.TIME].tobytes(),
        window[-2].tobytes() if t > 1 else b"",
        t,
        t0,
        n,
        params,
        step_ms,
        reasons,
    )
    if cache is not None and cache.key == key and cache.stats is not None:
        stats = cache.stats
    else:
        full = window
        if older is not None:
            if t0 + t < win.needed:  # the older rows are the ones padded
                older = np.concatenate([np.full((win.needed - t - t0, n, c), np.nan, older.dtype), older])
        elif t < win.needed:
            full = np.concatenate([np.full((win.needed - t, n, c), np.nan), window])
        stats = prev_stats(full, params, win, older)
        if cache is not None:
            cache.clear()
            cache.key, cache.stats = key, stats
    cur = window[-1].copy()  # a copy: the caller mutates its panel in place between calls
    f = latest_features(cur, stats)
    fired = fire(f, params)
    present = stats.present | ~np.isnan(cur)
    avail = np.stack([present[:, list(INPUT_COLUMNS[name])].all(axis=1) for name in FLAG_NAMES])
    on = np.stack([fired[name] for name in FLAG_NAMES])
    avail_codes = (avail * _BIT).sum(axis=0).tolist()
    fired_codes = (on * _BIT).sum(axis=0).tolist()
    for code in set(avail_codes):
        _no_flags(code)
    out = [_NO_FLAGS[code] for code in avail_codes]
    label = labels(params) if reasons else None
    # Results depend only on the current row once the per-bar statistics are fixed: compare bit patterns
    # (NaN-safe, and -0.0 is not 0.0 in a reason) to reuse the last call's results for untouched series.
    last = cache.last if cache is not None else None
    unchanged = (
        (cur.view(np.int64) == last[0].view(np.int64)).all(axis=1).tolist()
        if last is not None and last[0].shape == cur.shape
        else [False] * n
    )
    for j in np.flatnonzero(on.any(axis=0)).tolist():
        if unchanged[j] and last is not None:
            out[j] = last[1][j]
        else:
            flags = _flags(f, j, _names(fired_codes[j]), params, label)
            out[j] = LatestResult(tuple(flags), out[j].unavailable)
    if cache is not None:
        cache.last = (cur, out)
    return out
