"""Window arithmetic: start-independent trailing sums and exact order statistics on both paths.

The batch path gets its quantiles from a wavelet matrix over the ranks (a sorted window and pandas'
rolling skiplist are kept as references) and the latest path from ``np.partition``; these tests hold them
to the same bits on data full of ties, zeros and gaps, and to the textbook statistic (numpy's linear
quantile and median) within rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from signals.formats import fmt_dollars, fmt_funding_8h, fmt_hours
from signals.windows import (
    interpolate,
    midpoint,
    rank,
    rolling_prev_order_stats,
    sum_rows,
    trailing_sum,
    window_order_stats,
)


def tied(n: int, seed: int, nan_share: float = 0.0) -> np.ndarray:
    """Values drawn from a handful of levels (many ties, a third zeros), some NaN."""
    rng = np.random.default_rng(seed)
    x = rng.choice(np.concatenate([np.zeros(3), rng.exponential(1e5, 6)]), n)
    x[rng.random(n) < nan_share] = np.nan
    return x


@pytest.mark.parametrize("method", ["wavelet", "sorted", "pandas"])
@pytest.mark.parametrize(
    ("n", "q"), [(4, 0.95), (5, 0.5), (6, 0.5), (48, 0.95), (7, 0.0), (7, 1.0), (1, 0.95)]
)
def test_rolling_order_stats_equal_the_window_path(n: int, q: float, method: str) -> None:
    x = tied(600, n, nan_share=0.01)
    lo_b, hi_b = rolling_prev_order_stats(x, n, q, method)
    lo_r, hi_r, frac = rank(q, n)
    for t in range(len(x)):
        if t < n:
            assert np.isnan(lo_b[t])  # fewer than n previous bars: undefined
            continue
        prev = x[t - n : t]
        lo_w, hi_w = window_order_stats(prev[:, None], lo_r, hi_r)
        assert np.array_equal([lo_b[t], hi_b[t]], [lo_w[0], hi_w[0]], equal_nan=True), t
        if np.isnan(prev).any():
            assert np.isnan(lo_b[t])
            continue
        s = np.sort(prev)
        assert (lo_b[t], hi_b[t]) == (s[lo_r], s[hi_r])
        q_val = interpolate(np.array([lo_b[t]]), np.array([hi_b[t]]), frac)[0]
        assert q_val == pytest.approx(np.quantile(prev, q), rel=1e-12, abs=1e-9)


def test_median_is_the_mean_of_the_middle_pair() -> None:
    x = tied(400, 1)
    for n in (5, 6):
        lo, hi = rolling_prev_order_stats(x, n, 0.5)
        med = midpoint(lo, hi)
        for t in range(n, len(x)):
            assert med[t] == np.median(x[t - n : t])


def test_rank_edges() -> None:
    assert rank(0.5, 5) == (2, 2, 0.0)
    assert rank(0.5, 6) == (2, 3, 0.5)
    assert rank(1.0, 7) == (6, 6, 0.0)
    assert rank(0.0, 7) == (0, 0, 0.0)
    assert rank(0.95, 1) == (0, 0, 0.0)


def test_trailing_sum_does_not_depend_on_where_the_array_starts() -> None:
    rng = np.random.default_rng(5)
    x = rng.exponential(1e6, 500) * (rng.random(500) < 0.5)
    for n in (1, 2, 12, 97):
        full = trailing_sum(x, n)
        assert np.isnan(full[: n - 1]).all()
        for start in (0, 1, 33, 200):
            part = trailing_sum(x[start:], n)
            assert np.array_equal(part[n - 1 :], full[start + n - 1 :])
        for t in range(n - 1, len(x), 37):
            head = sum_rows(x[t - n + 1 : t][:, None])[0] + x[t] if n > 1 else x[t]
            assert head == full[t]
    # A cumulative-sum difference would not be start-independent; a running sum of these values is
    # large enough that it would differ somewhere (guards the test's own power).
    c = np.cumsum(np.concatenate([[0.0], x]))
    assert not np.array_equal(c[97:] - c[:-97], trailing_sum(x, 97)[96:])


def test_nan_in_a_window_makes_the_sum_undefined() -> None:
    s = trailing_sum(np.array([1.0, np.nan, 2.0, 3.0, 4.0]), 2)
    assert np.array_equal(s, [np.nan, np.nan, np.nan, 5.0, 7.0], equal_nan=True)


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.234e9, "$1.23B"), (45.6e6, "$45.6M"), (12.3e3, "$12.3K"), (999_600, "$1.00M"), (950, "$950"),
     (4.2e6, "$4.20M"), (0.0, "$0"), (2.5e12, "$2.50T")],
)  # fmt: skip
def test_usd_in_reasons(value: float, text: str) -> None:
    assert fmt_dollars(value) == text


def test_funding_and_window_labels() -> None:
    assert fmt_funding_8h(0.00071) == "+0.071%/8h"
    assert fmt_funding_8h(-0.00012) == "-0.012%/8h"
    assert [fmt_hours(h) for h in (4, 1, 0.5, 24, 48, 168, 36)] == [
        "4h",
        "1h",
        "30m",
        "24h",
        "2d",
        "7d",
        "36h",
    ]
