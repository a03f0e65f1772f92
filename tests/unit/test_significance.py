"""The significance method of issue 12 (non-overlap, binomial p-value, Benjamini-Hochberg, excess return,
verdict), on cases worked out by hand."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from signals.scoring import Counts, HorizonScore
from signals.significance import (
    BEATS,
    NO_EDGE,
    WORSE,
    assess,
    bh_qvalues,
    binomial_sf,
    excess_return,
    non_overlapping,
    verdict,
)


def test_an_event_within_one_horizon_of_the_last_counted_one_is_not_counted() -> None:
    # gap 4: 0 counted; 3 is 3 bars after it (skipped); 6 is 6 after the last *counted* (0), so counted,
    # although only 3 after the skipped 3; 9 is 3 after 6 (skipped); 10 is exactly 4 after 6 (counted:
    # the windows 6..10 and 10..14 only share an end point).
    kept = non_overlapping(np.array([0, 3, 6, 9, 10, 11]), 4)
    assert kept.tolist() == [0, 6, 10]
    assert non_overlapping(np.array([5, 6, 7]), 1).tolist() == [5, 6, 7]  # one-bar horizon: all apart
    assert non_overlapping(np.array([], dtype=np.int64), 24).tolist() == []


def exact_tail(k: int, n: int, p: Fraction) -> float:
    """P[X >= k], X ~ Bin(n, p), in exact rational arithmetic (the definition, term by term)."""
    return float(sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def test_the_binomial_p_value_is_the_exact_upper_tail() -> None:
    # n = 10, k = 8, p = 1/2: (C(10,8) + C(10,9) + C(10,10)) / 2^10 = (45 + 10 + 1) / 1024
    assert binomial_sf(8, 10, 0.5) == pytest.approx(56 / 1024, rel=1e-12)
    assert binomial_sf(20, 20, 0.1) == pytest.approx(1e-20, rel=1e-9)  # all twenty at 10 %: 0.1^20
    assert binomial_sf(0, 7, 0.3) == 1.0  # at least zero hits: certain
    assert binomial_sf(8, 7, 0.3) == 0.0  # more hits than trials: impossible
    assert binomial_sf(3, 7, 0.0) == 0.0 and binomial_sf(3, 7, 1.0) == 1.0
    # a moderate n, against the definition in exact fractions
    assert binomial_sf(40, 90, 0.3) == pytest.approx(exact_tail(40, 90, Fraction(3, 10)), rel=1e-9)
    # a large n stays finite and in [0, 1] (no overflow of C(5000, i))
    big = binomial_sf(2600, 5000, 0.5)
    assert 0.0 < big < 0.01


def test_benjamini_hochberg_on_a_textbook_example() -> None:
    # p = 0.01, 0.04, 0.03, 0.005 (m = 4). Sorted: 0.005, 0.01, 0.03, 0.04 -> m p / rank =
    # 0.02, 0.02, 0.04, 0.04; already monotone. Back in input order:
    assert bh_qvalues([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # Step-up: p = 0.01, 0.03, 0.031 -> 0.03, 0.045, 0.031; q_(2) = min(0.045, 0.031) = 0.031.
    assert bh_qvalues([0.01, 0.03, 0.031]) == pytest.approx([0.03, 0.031, 0.031])
    assert bh_qvalues([]) == []
    assert bh_qvalues([0.7]) == [0.7]  # one test: no correction


def test_excess_return_in_basis_points_with_a_normal_interval() -> None:
    # Event returns (already signed) +2 %, 0 %, +1 %: mean 1 %; all bars' mean 0.25 % -> excess 75 bp.
    # Sample sd of (2, 0, 1) % is 1 %, standard error 1 % / sqrt(3) = 0.57735 %, times 1.96 = 113.16 bp.
    ex = excess_return(3, 0.03, 0.02**2 + 0.01**2, 8, 0.02)
    assert ex is not None
    bp, ci = ex
    assert bp == pytest.approx(75.0)
    assert ci is not None and ci == pytest.approx((75 - 113.16, 75 + 113.16), abs=0.01)
    one = excess_return(1, 0.01, 0.0001, 4, 0.0)  # one event: no interval
    assert one is not None and one[0] == pytest.approx(100.0) and one[1] is None
    assert excess_return(0, 0.0, 0.0, 4, 0.0) is None


def test_verdict_thresholds() -> None:
    assert verdict(0.05, (0.6, 0.7), 0.5) == BEATS  # q at the limit, interval above the baseline
    assert verdict(0.0501, (0.6, 0.7), 0.5) == NO_EDGE  # q just above the limit
    assert verdict(0.001, (0.5, 0.7), 0.5) == NO_EDGE  # lower bound on the baseline is not above it
    assert verdict(0.9, (0.2, 0.49), 0.5) == WORSE  # upper bound below the baseline; q does not matter
    assert verdict(None, (0.2, 0.49), 0.5) == WORSE
    assert verdict(0.9, (0.2, 0.5), 0.5) == NO_EDGE
    assert verdict(None, None, 0.5) == NO_EDGE and verdict(0.01, (0.6, 0.7), None) == NO_EDGE


def test_the_verdict_uses_the_non_overlapping_events_not_all_events() -> None:
    # 20 of 20 events hit against a 10 % baseline: the plain interval (83.9-100 %) beats it. But they are
    # one run of overlapping windows: a single independent event, which hit. Its Wilson interval is
    # 1/(1+1.96^2) = 20.6 %..100 %, above 10 %, yet p = P[Bin(1, 0.1) >= 1] = 0.1, so no edge is measured.
    h = HorizonScore(Counts(20, 20, 0.6), 100, 10, independent=Counts(1, 1, 0.03, 0.03, 0.0009))
    assert h.verdict == "beats"  # the plain verdict, kept for the views that show it
    (s,) = assess([h])
    assert (s.n_independent, s.hits_independent) == (1, 1)
    assert s.ci95_dependent is not None and s.ci95_dependent[0] == pytest.approx(1 / (1 + 1.959964**2))
    assert s.p_value == pytest.approx(0.1) and s.q_value == pytest.approx(0.1)
    assert s.verdict == NO_EDGE


def test_q_values_are_corrected_over_every_test_given_and_untested_ones_are_skipped() -> None:
    # Three tests: 2/2 at baseline 0.5 (p = 0.25), 3/3 at 0.1 (p = 0.001), and one without events.
    a = HorizonScore(Counts(2, 2), 10, 5, independent=Counts(2, 2))
    b = HorizonScore(Counts(3, 3), 10, 1, independent=Counts(3, 3))
    none = HorizonScore(Counts(), 10, 5)
    sa, sb, sn = assess([a, b, none])
    assert sa.p_value == pytest.approx(0.25) and sb.p_value == pytest.approx(0.001)
    # m = 2 (the untested one does not count): q_b = 2 * 0.001 / 1, q_a = 2 * 0.25 / 2
    assert sb.q_value == pytest.approx(0.002) and sa.q_value == pytest.approx(0.25)
    assert sn.p_value is None and sn.q_value is None and sn.verdict == NO_EDGE
    # b: Wilson(3, 3) lower bound 3/(3+3.84) = 0.44 > 0.1 and q <= 0.05
    assert sb.verdict == BEATS and sa.verdict == NO_EDGE


def test_signals_import_without_scipy() -> None:
    # The monitor imports signals at start-up: it must not need (or pay for) scipy.
    code = (
        "import sys; sys.modules['scipy'] = None; sys.modules['statsmodels'] = None\n"
        "import signals.scoring, signals.significance\n"
        "assert signals.significance.binomial_sf(8, 10, 0.5) > 0\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
