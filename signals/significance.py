"""Significance of the flag scores (issue 12, "the method"): dependence, many tests, effect size, verdict.

The plain score of ``signals.scoring`` counts every rising edge; forward returns of events closer together
than the horizon overlap, so those events are not independent and a Wilson interval over them is too
narrow. This module adds, per flag and horizon:

- ``non_overlapping``: the events kept when an event within one horizon (in bars) of the previously
  *counted* event is not counted again; the dependence-aware interval is the Wilson interval over them.
- ``binomial_sf``: the one-sided exact binomial p-value of their hits against the baseline rate.
- ``bh_qvalues``: Benjamini-Hochberg q-values across every test of one run.
- ``excess_return``: mean direction-signed forward return at those events minus the mean over all bars,
  in basis points, with a normal-approximation 95 % interval.
- ``verdict``: "beats" / "worse" / "no edge measured", from the dependence-aware figures only.

``assess`` puts them together over the ``HorizonScore``s of one run (read through ``HorizonCounts``).
Pure ``math`` and numpy: no scipy, so importing ``signals`` costs the monitor nothing more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class EventCounts(Protocol):
    """What is read of ``signals.scoring.Counts`` (scoring imports this module, so not the class itself)."""

    @property
    def n(self) -> int: ...
    @property
    def hits(self) -> int: ...
    @property
    def signed_sum(self) -> float: ...
    @property
    def signed_sq(self) -> float: ...
    @property
    def ci95(self) -> tuple[float, float] | None: ...


class HorizonCounts(Protocol):
    """What is read of ``signals.scoring.HorizonScore``: its non-overlapping events and baseline."""

    @property
    def independent(self) -> EventCounts: ...
    @property
    def baseline(self) -> float | None: ...
    @property
    def base_n(self) -> int: ...
    @property
    def base_signed_sum(self) -> float: ...


Z95 = 1.959963984540054
"""The standard normal quantile of 0.975: the z of a two-sided 95 % interval."""

Q_MAX = 0.05
"""A flag "beats" its baseline only with a Benjamini-Hochberg q-value at most this."""

BEATS = "beats"
WORSE = "worse"
NO_EDGE = "no edge measured"
VERDICTS: tuple[str, ...] = (BEATS, WORSE, NO_EDGE)

BP = 1e4
"""Basis points per unit of return."""


def non_overlapping(idx: np.ndarray, gap: int) -> np.ndarray:
    """The events of ``idx`` (sorted bar indices) whose forward windows do not overlap a counted one.

    Greedy in time: the first event is counted; a later one is counted when it is at least ``gap`` bars
    after the last *counted* event (at exactly ``gap`` the two windows only share an end point). An event
    skipped does not push the next one further away.

    Args:
        idx: event bars, ascending (already limited to those with a full horizon).
        gap: the horizon in bars.
    """
    kept: list[int] = []
    for t in idx.tolist():
        if not kept or t - kept[-1] >= gap:
            kept.append(int(t))
    return np.array(kept, dtype=np.int64)


def binomial_sf(k: int, n: int, p: float) -> float:
    """``P[X >= k]`` for ``X ~ Binomial(n, p)``: the one-sided p-value of ``k`` hits in ``n`` at rate ``p``.

    Exact sum of the terms ``C(n, i) p^i (1-p)^(n-i)``, ``i = k..n``, each taken in log space
    (``log C`` from ``math.lgamma`` then a running sum of ``log((n-i)/(i+1))``) and added after
    factoring out the largest, so neither large ``n`` nor tiny tails overflow or underflow.
    """
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    i = np.arange(k, n + 1, dtype=np.float64)
    log_c0 = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    steps = np.log(n - i[:-1]) - np.log(i[:-1] + 1)  # log C(n, i+1) - log C(n, i)
    log_c = log_c0 + np.concatenate(([0.0], np.cumsum(steps)))
    log_terms = log_c + i * math.log(p) + (n - i) * math.log1p(-p)
    top = float(log_terms.max())
    total = math.exp(top) * math.fsum(np.exp(log_terms - top).tolist())
    return min(1.0, max(0.0, total))


def bh_qvalues(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg q-values of ``p_values`` (one family of tests), in their order.

    Step-up: with the p-values sorted ascending, ``q_(i) = min over j >= i of m p_(j) / j``, capped at 1;
    a test's q is the smallest false-discovery rate at which it would be called a discovery.
    """
    m = len(p_values)
    if m == 0:
        return []
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    monotone = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(monotone, 1.0)
    return [float(x) for x in q]


def excess_return(
    n: int, signed_sum: float, signed_sq: float, base_n: int, base_signed_sum: float
) -> tuple[float, tuple[float, float] | None] | None:
    """Mean signed forward return at the events minus the mean over all bars, in basis points.

    Signed means ``dir * fwd`` (the sign the hit rule uses: for a bearish flag a fall counts positive).
    The interval is a normal approximation: ``excess +- 1.96 * s / sqrt(n)``, with ``s`` the sample
    standard deviation of the event returns; the all-bar mean is taken as known (it is over many more
    bars). Fat tails and few events make it rough; it is an effect size, not the test.

    Returns:
        ``(excess_bp, (low_bp, high_bp))``; the interval is None below two events; None without events
        or without bars.
    """
    if n <= 0 or base_n <= 0:
        return None
    mean = signed_sum / n
    excess = (mean - base_signed_sum / base_n) * BP
    if n < 2:
        return excess, None
    var = max(0.0, (signed_sq - n * mean * mean) / (n - 1))
    half = Z95 * math.sqrt(var / n) * BP
    return excess, (excess - half, excess + half)


def verdict(q: float | None, ci: tuple[float, float] | None, baseline: float | None) -> str:
    """``"beats"`` when ``q <= Q_MAX`` and the interval's lower bound is above the baseline, ``"worse"`` when
    its upper bound is below it, else ``"no edge measured"``. Pass the dependence-aware interval."""
    if ci is None or baseline is None:
        return NO_EDGE
    if q is not None and q <= Q_MAX and ci[0] > baseline:
        return BEATS
    if ci[1] < baseline:
        return WORSE
    return NO_EDGE


@dataclass(frozen=True)
class Significance:
    """The dependence-aware figures of one flag at one horizon.

    Attributes:
        n_independent: non-overlapping events (see ``non_overlapping``).
        hits_independent: their hits.
        ci95_dependent: Wilson 95 % interval of their hit rate; None without events.
        p_value: ``P[X >= hits]``, ``X ~ Bin(n_independent, baseline)``; None when not tested (no event).
        q_value: Benjamini-Hochberg over every test of the run; None when not tested.
        excess_return_bp: mean signed forward return at those events minus that of all bars, in bp.
        excess_ci95: its normal-approximation 95 % interval, bp.
        verdict: one of ``VERDICTS``.
    """

    n_independent: int
    hits_independent: int
    ci95_dependent: tuple[float, float] | None
    p_value: float | None
    q_value: float | None
    excess_return_bp: float | None
    excess_ci95: tuple[float, float] | None
    verdict: str


def p_value(h: HorizonCounts) -> float | None:
    """The one-sided binomial p-value of a score's non-overlapping hits against its baseline; None when
    there is nothing to test (no non-overlapping event, or no baseline)."""
    base = h.baseline
    if base is None or h.independent.n == 0:
        return None
    return binomial_sf(h.independent.hits, h.independent.n, base)


def assess(scores: Sequence[HorizonCounts]) -> list[Significance]:
    """The ``Significance`` of each score, with q-values corrected over all of them that could be tested.

    Pass every flag x horizon x series of one run, each once; the count of tests is the number of
    results whose ``p_value`` is not None.
    """
    ps = [p_value(h) for h in scores]
    tested = [(i, p) for i, p in enumerate(ps) if p is not None]
    qs: list[float | None] = [None] * len(scores)
    for (i, _), q_i in zip(tested, bh_qvalues([p for _, p in tested]), strict=True):
        qs[i] = q_i
    out = []
    for h, p, q in zip(scores, ps, qs, strict=True):
        ind = h.independent
        ci = ind.ci95
        ex = excess_return(ind.n, ind.signed_sum, ind.signed_sq, h.base_n, h.base_signed_sum)
        out.append(
            Significance(
                ind.n,
                ind.hits,
                ci,
                p,
                q,
                None if ex is None else ex[0],
                None if ex is None else ex[1],
                verdict(q, ci, h.baseline),
            )
        )
    return out
