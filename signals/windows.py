"""Window arithmetic shared by the batch and the latest-bar paths.

Both paths must produce bit-identical figures, so every statistic here is computed in an order that does
not depend on where the array starts: trailing sums add one bar at a time, oldest first (never cumsum
differences), and order statistics are exact values of the data combined by one numpy formula.
"""

from __future__ import annotations

import bisect
import math

import numpy as np


def trailing_sum(x: np.ndarray, n: int) -> np.ndarray:
    """Sum over the last ``n`` rows (axis 0), row ``i`` included; NaN where fewer than ``n`` rows exist.

    Adds oldest first, one offset at a time: the sum at a row has the same rounding whatever precedes the
    window, so the latest-bar path (``sum_rows`` of the prefix, then ``+ x[-1]``) reproduces it exactly.

    Args:
        x: values, time on axis 0.
        n: window length in rows (>= 1).
    """
    out = np.full(x.shape, np.nan)
    m = x.shape[0] - n + 1
    if m <= 0:
        return out
    acc = x[:m].copy()
    for k in range(1, n):
        acc += x[k : k + m]
    out[n - 1 :] = acc
    return out


def sum_rows(x: np.ndarray) -> np.ndarray:
    """Sum over axis 0, oldest row first: the same rounding as ``trailing_sum`` over the same rows.

    Args:
        x: at least one row.
    """
    acc: np.ndarray = np.array(x[0], dtype=np.float64)
    for row in x[1:]:
        acc += row
    return acc


def change(x: np.ndarray, n: int) -> np.ndarray:
    """``chg(x, n)[t] = x[t] / x[t - n] - 1`` along axis 0; NaN for the first ``n`` rows.

    Args:
        x: levels, time on axis 0.
        n: lag in rows (>= 1).
    """
    out = np.full(x.shape, np.nan)
    if x.shape[0] > n:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[n:] = x[n:] / x[:-n] - 1.0
    return out


def rank(q: float, n: int) -> tuple[int, int, float]:
    """Ranks of the two order statistics a linear quantile ``q`` of ``n`` values interpolates between.

    Returns:
        ``(lo, hi, frac)``: the quantile is ``sorted[lo] + (sorted[hi] - sorted[lo]) * frac``, with
        ``hi == lo`` and ``frac == 0`` when ``q * (n - 1)`` falls on a rank (as pandas and numpy do).
    """
    pos = q * (n - 1)
    lo = min(int(pos), n - 1)
    frac = pos - lo
    hi = lo + 1 if frac > 0 and lo + 1 < n else lo
    return lo, hi, frac if hi != lo else 0.0


def interpolate(lo: np.ndarray, hi: np.ndarray, frac: float) -> np.ndarray:
    """Linear interpolation between two order statistics (exactly ``lo`` when ``frac`` is 0)."""
    out: np.ndarray = lo.copy() if frac == 0.0 else lo + (hi - lo) * frac
    return out


def midpoint(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Median from its two middle order statistics: ``(a + b) / 2`` (``a`` itself when they coincide)."""
    out: np.ndarray = (lo + hi) / 2.0
    return out


def window_order_stats(w: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Order statistics ``lo`` and ``hi`` over axis 0 of ``w``; NaN for a column holding any NaN.

    Args:
        w: (n, ...) values; ``lo <= hi < n``.
        lo: rank of the lower statistic (0 = smallest).
        hi: rank of the upper statistic.
    """
    part = np.partition(w, sorted({lo, hi}), axis=0)
    bad = np.isnan(w).any(axis=0)
    return np.where(bad, np.nan, part[lo]), np.where(bad, np.nan, part[hi])


SORTED_ROWS_LIMIT = 50_000
"""Up to this many rows the rolling order statistics come from a sorted window kept with ``bisect`` (5 ms
for a month of 5-minute bars at a week's window): a monitor measuring its history never imports pandas
(+40 MB of RSS). Longer series (years of 5-minute bars, in backtests) use pandas' skiplist, twice as fast."""


def rolling_prev_order_stats(
    x: np.ndarray, n: int, q: float, method: str = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """For each row t, the order statistics of ``rank(q, n)`` over ``x[t-n .. t-1]`` (row t excluded).

    NaN until ``n`` previous rows exist and wherever one of them is NaN. Both methods return stored
    values untouched (a sorted window; pandas' rolling skiplist with the 'lower' and 'higher'
    interpolations), so the result equals ``window_order_stats`` on the same rows bit for bit.

    Args:
        x: 1-D series.
        n: window length.
        q: quantile in [0, 1].
        method: ``sorted``, ``pandas``, or ``auto`` (sorted up to ``SORTED_ROWS_LIMIT`` rows).
    """
    lo_out = np.full(x.shape, np.nan)
    hi_out = np.full(x.shape, np.nan)
    if x.shape[0] <= n:
        return lo_out, hi_out
    lo_r, hi_r, _ = rank(q, n)
    if method == "sorted" or (method == "auto" and x.shape[0] <= SORTED_ROWS_LIMIT):
        lo_cur, hi_cur = _sorted_window_stats(x, n, lo_r, hi_r)
    else:
        import pandas as pd  # only long batch series pay pandas' import, where its skiplist pays off

        roll = pd.Series(x).rolling(n, min_periods=n)
        if n == 1:
            lo_cur = hi_cur = x
        else:
            # pandas picks rank int(q * (n - 1)) like rank(); asking for the exact rank q_k = k / (n - 1)
            # could round one rank low, so the 'lower'/'higher' pair at q itself is requested.
            lo_cur = roll.quantile(q, interpolation="lower").to_numpy()
            hi_cur = roll.quantile(q, interpolation="higher").to_numpy() if hi_r != lo_r else lo_cur
    lo_out[1:] = lo_cur[:-1]
    hi_out[1:] = hi_cur[:-1]
    return lo_out, hi_out


def _sorted_window_stats(x: np.ndarray, n: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Order statistics ``lo`` and ``hi`` of every window ``x[t-n+1 .. t]`` (NaN before the first full one
    and for a window holding a NaN), from one sorted window moved a row at a time."""
    vals = x.tolist()
    lo_cur = [math.nan] * len(vals)
    hi_cur = [math.nan] * len(vals)
    window = sorted(v for v in vals[:n] if v == v)
    nans = n - len(window)
    insort, find = bisect.insort, bisect.bisect_left
    for t in range(n - 1, len(vals)):
        if t >= n:
            new, old = vals[t], vals[t - n]
            if new == new:
                insort(window, new)
            else:
                nans += 1
            if old == old:
                del window[find(window, old)]
            else:
                nans -= 1
        if not nans:
            lo_cur[t], hi_cur[t] = window[lo], window[hi]
    return np.array(lo_cur), np.array(hi_cur)
