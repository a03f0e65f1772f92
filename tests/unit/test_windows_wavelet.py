"""The wavelet-matrix order statistics (``signals.windows``): the backtest's rolling quantile / median and
the regimes' expanding rank, against hand-worked windows and the sorted-window reference, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from signals.windows import count_earlier_below, rolling_prev_order_stats


def test_rolling_median_of_the_previous_four_by_hand() -> None:
    x = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 9.0, np.nan, 7.0, 6.0, 8.0, 0.0, 2.0])
    lo, hi = rolling_prev_order_stats(x, 4, 0.5)  # ranks 1 and 2 of 4: the middle pair
    # row 4: {5,1,4,2} -> 2, 4; row 5: {1,4,2,3} -> 2, 3; row 6: {4,2,3,9} -> 3, 4;
    # rows 7-10 hold the NaN of row 6; row 11: {7,6,8,0} -> 6, 7
    nan = np.nan
    assert np.array_equal(lo, [nan] * 4 + [2, 2, 3] + [nan] * 4 + [6], equal_nan=True)
    assert np.array_equal(hi, [nan] * 4 + [4, 3, 4] + [nan] * 4 + [7], equal_nan=True)


def test_rolling_quantile_with_ties_by_hand() -> None:
    x = np.array([2.0, 2.0, 0.0, 2.0, 1.0, 1.0])
    lo, hi = rolling_prev_order_stats(x, 3, 0.95)  # q (n - 1) = 1.9: ranks 1 and 2 of 3
    # row 3: {2,2,0} -> 2, 2; row 4: {2,0,2} -> 2, 2; row 5: {0,2,1} -> 1, 2
    assert np.array_equal(lo, [np.nan] * 3 + [2, 2, 1], equal_nan=True)
    assert np.array_equal(hi, [np.nan] * 3 + [2, 2, 2], equal_nan=True)


@pytest.mark.parametrize("seed", range(6))
def test_wavelet_equals_the_sorted_window_on_random_series(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(2, 3000))
    levels = rng.exponential(1e5, 7)
    x = rng.choice(np.concatenate([np.zeros(2), levels]), size) if seed % 2 else rng.normal(0, 1, size)
    x[rng.random(size) < 0.01] = np.nan
    for n, q in ((1, 0.95), (2, 0.5), (5, 0.5), (6, 0.5), (48, 0.95), (int(rng.integers(1, size)), 0.3)):
        want = rolling_prev_order_stats(x, n, q, "sorted")
        got = rolling_prev_order_stats(x, n, q)
        assert np.array_equal(got[0], want[0], equal_nan=True), (n, q)
        assert np.array_equal(got[1], want[1], equal_nan=True), (n, q)


def test_count_earlier_below_by_hand_and_against_brute_force() -> None:
    assert count_earlier_below(np.array([3.0, 1.0, 2.0, 2.0, 5.0, 0.0])).tolist() == [0, 0, 1, 1, 4, 0]
    assert count_earlier_below(np.array([])).tolist() == []
    assert count_earlier_below(np.array([7.0])).tolist() == [0]
    rng = np.random.default_rng(9)
    for v in (rng.integers(0, 4, 700).astype(float), rng.normal(0, 1, 1025)):
        brute = [int((v[:i] < v[i]).sum()) for i in range(v.size)]
        assert count_earlier_below(v).tolist() == brute
