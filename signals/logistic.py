"""A small L2-penalised logistic regression fitted by Newton's method (IRLS), in numpy only.

Why not scikit-learn: the combined model of ``signals.walkforward`` needs one thing, a logistic regression
on about twenty standardised columns, refitted a handful of times per run. scikit-learn (with scipy and
joblib under it) would add tens of megabytes to every install, and the CI runs three fresh installs in a
five-minute budget; Newton's method on a problem this size converges in a few iterations and is about
forty lines, each checkable by hand (``tests/unit/test_walkforward.py`` checks the fit against closed-form
maximum-likelihood estimates and the zero gradient at the solution).

The objective minimised is the negative log-likelihood plus ``l2 / 2 * |w|^2`` over the slopes; the
intercept is not penalised, so with no feature the fit is exactly the log-odds of the training rate.
"""

from __future__ import annotations

import numpy as np

L2 = 1.0
"""Default penalty: a weak prior next to thousands of bars, but enough to keep a separable or constant
column from sending its weight to infinity."""

P_FLOOR = 1e-12
"""Probabilities are kept this far from 0 and 1 in the log-likelihood, so a confident miss costs a finite
amount."""


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))`` without overflow for large ``|z|``."""
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _with_intercept(x: np.ndarray) -> np.ndarray:
    return np.hstack([np.ones((x.shape[0], 1)), x])


def objective(w: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float = L2) -> float:
    """The penalised negative log-likelihood at ``w`` (intercept first) on features ``x`` (no intercept)."""
    p = np.clip(sigmoid(_with_intercept(x) @ w), P_FLOOR, 1 - P_FLOOR)
    nll = -float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))
    return nll + 0.5 * l2 * float(w[1:] @ w[1:])


def gradient(w: np.ndarray, x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """The gradient of ``objective`` at ``w``: ``X'(p - y) + l2 * w`` (no penalty on the intercept)."""
    xa = _with_intercept(x)
    g = xa.T @ (sigmoid(xa @ w) - y)
    g[1:] += l2 * w[1:]
    return np.asarray(g)


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2, max_iter: int = 50, tol: float = 1e-9) -> np.ndarray:
    """Fit the weights: intercept first, then one per column of ``x``.

    Each Newton step solves ``(X' W X + l2 R) d = -g`` with ``W = p (1 - p)`` and ``R`` the identity
    without its intercept entry; a step that does not lower the objective is halved (at most 30 times),
    so the fit never diverges. Stops when the largest change of a weight is below ``tol``.

    Args:
        x: (n, k) features, already standardised (see ``signals.walkforward``).
        y: (n,) 0/1 targets, both classes present (one class alone has no finite intercept).
        l2: the penalty on the slopes.
        max_iter: Newton steps at most.
        tol: convergence threshold on the step.
    """
    xa = _with_intercept(np.asarray(x, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64)
    k = xa.shape[1]
    ridge = l2 * np.eye(k)
    ridge[0, 0] = 0.0
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    w = np.zeros(k)
    w[0] = np.log(rate / (1 - rate))  # start at the intercept-only solution: usually a few steps away
    loss = objective(w, xa[:, 1:], y, l2)
    for _ in range(max_iter):
        p = sigmoid(xa @ w)
        g = xa.T @ (p - y) + ridge @ w
        hess = (xa * (p * (1 - p))[:, None]).T @ xa + ridge
        try:
            step = np.linalg.solve(hess, -g)
        except np.linalg.LinAlgError:  # a column collinear with the intercept and l2 = 0
            step = np.linalg.lstsq(hess, -g, rcond=None)[0]
        t = 1.0
        for _ in range(30):
            new_loss = objective(w + t * step, xa[:, 1:], y, l2)
            if new_loss <= loss + 1e-12 * abs(loss):
                break
            t *= 0.5
        w = w + t * step
        loss = new_loss
        if float(np.max(np.abs(t * step))) < tol:
            break
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The probability of class 1 for each row of ``x`` under weights ``w`` (intercept first)."""
    return sigmoid(_with_intercept(np.asarray(x, dtype=np.float64)) @ w)
