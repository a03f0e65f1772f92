"""The per-series work every ``signals.scoring.score_table`` pass shares, done once (``Prepared``).

A series is scored once whole and then once per regime value and per quarter (``signals.regimes``): about
seventeen passes over the same flags, forward returns and directions, which differ only by the bar mask.
Forward returns, their signs, each flag's rising edges, its events with a full horizon and its signed
returns do not depend on the mask, so they are computed here once; a pass then only selects with its
mask. Every figure is taken from the same elements in the same order as before, so the scores are the
same to the last bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from signals.evaluate import FlagTable
from signals.flags import FLAG_NAMES, PER_BAR
from signals.params import n_bars


def rising_edges(fired: np.ndarray) -> np.ndarray:
    """Indices of the bars where ``fired`` is on and was off at the previous bar.

    Bar 0 is never an event: with no previous bar there is no telling whether the flag just came on.
    """
    return np.flatnonzero(fired[1:] & ~fired[:-1]) + 1


def forward_returns(price: np.ndarray, n: int) -> np.ndarray:
    """``fwd[t] = price[t + n] / price[t] - 1``; NaN where the horizon runs past the series (or a price is
    NaN)."""
    out = np.full(price.shape, np.nan)
    if price.shape[0] > n:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:-n] = price[n:] / price[:-n] - 1.0
    return out


@dataclass
class PerBarHits:
    """One per-bar-direction flag (``flags.PER_BAR``) at one horizon, over every bar.

    Attributes:
        good: hits, ``dir * fwd > 0`` with the direction the flag had at the bar.
        signed: ``dir * fwd`` (0 where it has no direction).
        has_dir: bars where the flag has a direction (its figure known and nonzero).
    """

    good: np.ndarray
    signed: np.ndarray
    has_dir: np.ndarray


@dataclass
class Horizon:
    """One horizon's arrays, over every bar (no mask).

    Attributes:
        bars: the horizon in bars.
        fwd: forward returns.
        valid: bars with a full horizon (``fwd`` not NaN).
        up: ``fwd > 0``.
        down: ``fwd < 0``.
        long: ``+1 * fwd`` and ``short``: ``-1 * fwd``: the signed returns of the fixed directions.
        per_bar: each PER_BAR flag in the table -> its hits and signed returns with its per-bar direction.
        idx: flag -> its rising edges with a full horizon.
    """

    bars: int
    fwd: np.ndarray
    valid: np.ndarray
    up: np.ndarray
    down: np.ndarray
    long: np.ndarray
    short: np.ndarray
    per_bar: dict[str, PerBarHits]
    idx: dict[str, np.ndarray]


@dataclass
class Prepared:
    """What every pass of ``score_table`` over one ``FlagTable`` shares.

    Attributes:
        n: the series' bars.
        edges: flag -> its rising edges (every bar).
        lev_on: ``sfr <= sfr_max``; ``lev_off``: ``sfr > sfr_max`` (NaN in neither).
        horizons: label -> ``Horizon``.
    """

    n: int
    edges: dict[str, np.ndarray]
    lev_on: np.ndarray
    lev_off: np.ndarray
    horizons: dict[str, Horizon]


def prepare(
    table: FlagTable,
    price: np.ndarray,
    step_ms: float,
    horizons: Mapping[str, float],
    directional: tuple[str, ...],
) -> Prepared:
    """The shared arrays of ``table`` on ``price`` (see the module docstring)."""
    sfr = table.features.sfr
    edges = {name: rising_edges(table.fired[name]) for name in FLAG_NAMES}
    out: dict[str, Horizon] = {}
    dirs = {name: table.direction[name] for name in PER_BAR if name in table.direction}
    for h, hours in horizons.items():
        steps = n_bars(hours, step_ms)
        fwd = forward_returns(price, steps)
        valid = ~np.isnan(fwd)
        up, down = fwd > 0, fwd < 0
        per_bar = {}
        for name, d in dirs.items():
            has_dir = d != 0
            per_bar[name] = PerBarHits(
                ((d > 0) & up) | ((d < 0) & down), np.where(has_dir, d * fwd, 0.0), has_dir
            )
        idx = {name: edges[name][valid[edges[name]]] for name in directional}
        out[h] = Horizon(steps, fwd, valid, up, down, 1 * fwd, -1 * fwd, per_bar, idx)
    return Prepared(len(price), edges, sfr <= table.params.sfr_max, sfr > table.params.sfr_max, out)
