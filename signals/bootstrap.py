"""A moving-block bootstrap interval of a flag's hit rate and excess return (issue 12, "Dependence").

Events an hour apart scored on 24 h forward returns share most of their forward window, so a Wilson interval
over all events is too narrow. ``signals.significance`` answers that with the non-overlapping events (the
verdicts stay on them); this module gives a second dependence-aware interval, opt-in
(``perptop backtest --bootstrap N``), that keeps every event and resamples time in blocks instead.

Method, per series, flag and horizon (H = the horizon in bars, N = the series' bars):

- Three per-bar arrays: ``e[t] = 1`` at an event with a full horizon (the events ``signals.scoring``
  scores), ``h[t] = 1`` at those of them that hit, ``s[t] = dir * fwd`` at those of them (0 elsewhere).
- Block length ``L = max(H, 1)``: a block is at least as long as the horizon, so events whose forward
  windows overlap mostly land in one block and are resampled together. ``k = N // L`` blocks make one
  resample (``k * L`` bars). A block may start at any bar ``0 .. N - L`` (moving blocks, overlapping);
  each block's sums of ``e``, ``h``, ``s`` come from cumulative sums (``block_sums``).
- ``B`` resamples: a ``(B, k)`` matrix of block starts drawn uniformly from ``0 .. N - L`` by numpy's
  ``default_rng`` seeded with ``(seed, crc32(series key), L)`` (``draw_starts``): a symbol's draws do not
  depend on where it sits in the file, nor on which other horizons were asked for. One start matrix is
  shared by every flag of a series at one horizon (and the flags' arrays gathered together,
  ``resample_many``). Each resample sums its ``k`` blocks' ``e``, ``h``, ``s``, kept as three ``(B,)``
  vectors: ``events``, ``hits``, ``signed`` (``BootDraws``).
- Pooling series: the vectors are added elementwise (each series resampled on its own; a pooled replicate
  is the sum of the series' replicates with the same number).
- Interval (``interval``): the 2.5 and 97.5 percentiles (numpy's default, linear between order
  statistics) of ``hits / events`` over the replicates with ``events > 0``; none when fewer than half of
  the replicates have an event (how many had none is reported). The excess return's interval: the same
  percentiles of ``(signed / events - base_mean) * 1e4`` bp, with ``base_mean = base_signed_sum / base_n``
  (the mean signed return over all bars, held fixed).

Vectorised: one cumulative sum per array, one gather of ``(B, k)`` block sums per array, done in chunks of
resamples only to bound memory; no Python loop over bars or single resamples.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BP = 1e4
"""Basis points per unit of return."""

GATHER_CELLS = 1 << 22
"""At most this many block sums gathered at once (32 MB of float64): bounds memory for long series."""


@dataclass
class BootDraws:
    """The bootstrap replicates of one flag at one horizon: per resample, the events, hits and summed signed
    return it drew. ``None + draws`` and ``draws + None`` are ``draws`` (a part scored without them)."""

    events: np.ndarray
    hits: np.ndarray
    signed: np.ndarray

    def __add__(self, other: BootDraws | None) -> BootDraws:
        if other is None:
            return self
        if other.events.shape != self.events.shape:
            raise ValueError(
                f"bootstrap draws of {self.events.size} and {other.events.size} resamples cannot be pooled"
            )
        return BootDraws(self.events + other.events, self.hits + other.hits, self.signed + other.signed)

    def __radd__(self, other: None) -> BootDraws:
        return self

    @property
    def resamples(self) -> int:
        """How many resamples (``B``)."""
        return int(self.events.size)


def add_draws(a: BootDraws | None, b: BootDraws | None) -> BootDraws | None:
    """``a + b``, where either (or both) may be None."""
    return b if a is None else a + b


@dataclass(frozen=True)
class BootInterval:
    """The bootstrap figures of one flag at one horizon.

    Attributes:
        resamples: ``B``.
        no_event: replicates that drew no event (left out of the percentiles).
        hit_ci: 95 % percentile interval of the hit rate; None when fewer than half drew an event.
        excess_ci: 95 % percentile interval of the excess signed return, bp; None likewise or without a
            baseline.
    """

    resamples: int
    no_event: int
    hit_ci: tuple[float, float] | None
    excess_ci: tuple[float, float] | None


def block_length(horizon_bars: int) -> int:
    """``L``: one horizon, at least one bar."""
    return max(int(horizon_bars), 1)


def block_sums(x: np.ndarray, block: int) -> np.ndarray:
    """Sums of ``x[s : s + block]`` for every start ``s`` in ``0 .. len(x) - block`` (empty when the series is
    shorter than a block), from one cumulative sum. ``x`` may be (N,) or (N, m): columns are summed apart."""
    n = x.shape[0]
    if n < block:
        return np.zeros((0, *x.shape[1:]), dtype=x.dtype)
    c = np.concatenate((np.zeros((1, *x.shape[1:]), dtype=x.dtype), np.cumsum(x, axis=0)))
    sums: np.ndarray = c[block:] - c[: n - block + 1]
    return sums


def series_seed(seed: int, key: str, block: int) -> list[int]:
    """The entropy of a series' draws: the run's seed, the CRC-32 of its key (the symbol, "" for a file of one
    series) and the block length."""
    return [int(seed), zlib.crc32(key.encode("utf-8")), int(block)]


def draw_starts(n_bars: int, block: int, resamples: int, seed: int, key: str) -> np.ndarray:
    """The ``(B, k)`` block starts of one series at one block length, ``k = n_bars // block``, each uniform
    on ``0 .. n_bars - block``; ``(B, 0)`` when the series is shorter than one block."""
    k = n_bars // block
    rng = np.random.default_rng(series_seed(seed, key, block))
    if k == 0:
        return np.zeros((resamples, 0), dtype=np.int64)
    return rng.integers(0, n_bars - block + 1, size=(resamples, k), dtype=np.int64)


def resample(
    n_bars: int, idx: np.ndarray, hit: np.ndarray, signed: np.ndarray, block: int, starts: np.ndarray
) -> BootDraws:
    """The replicates of one flag at one horizon on one series.

    Args:
        n_bars: N, the series' bars.
        idx: the events with a full horizon (bar indices).
        hit: bool (N,): the bars whose forward move is in the flag's direction.
        signed: (N,) ``dir * fwd`` (NaN where there is no full horizon: never read at an event).
        block: ``L``.
        starts: ``(B, k)`` from ``draw_starts`` (or given, in tests).
    """
    return resample_many(n_bars, [(idx, hit, signed)], block, starts)[0]


def resample_many(
    n_bars: int,
    flags: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
    block: int,
    starts: np.ndarray,
) -> list[BootDraws]:
    """``resample`` of several flags of one series at one horizon, sharing one start matrix.

    The flags' ``e``, ``h``, ``s`` arrays are stacked as columns, so one gather of ``(B, k)`` rows serves
    them all: the cost is in the number of indices, far more than in the width of a row.
    """
    cols = np.zeros((n_bars, 3 * len(flags)))
    for j, (idx, hit, signed) in enumerate(flags):
        cols[idx, 3 * j] = 1.0
        cols[idx, 3 * j + 1] = hit[idx]
        cols[idx, 3 * j + 2] = signed[idx]
    sums = block_sums(cols, block)  # (N - L + 1, 3F)
    b, k = starts.shape
    out = np.zeros((b, cols.shape[1]))
    if k and cols.shape[1] and any(f[0].size for f in flags):
        # chunks of whole resamples, only so that a long series does not gather gigabytes at once
        step = max(1, GATHER_CELLS // (cols.shape[1] * k))
        for lo in range(0, b, step):
            out[lo : lo + step] = sums[starts[lo : lo + step]].sum(axis=1)
    # counts were summed as floats: exact below 2**53, rounded back to integers
    counts = np.rint(out).astype(np.int64)
    return [
        BootDraws(counts[:, 3 * j], counts[:, 3 * j + 1], out[:, 3 * j + 2].copy()) for j in range(len(flags))
    ]


def interval(draws: BootDraws, base_n: int, base_signed_sum: float) -> BootInterval:
    """The percentile intervals of the hit rate and the excess return (see the module docstring)."""
    have = draws.events > 0
    valid = int(have.sum())
    no_event = draws.resamples - valid
    if valid == 0 or 2 * valid < draws.resamples:
        return BootInterval(draws.resamples, no_event, None, None)
    ev = draws.events[have].astype(np.float64)
    lo, hi = np.percentile(draws.hits[have] / ev, [2.5, 97.5])
    excess: tuple[float, float] | None = None
    if base_n > 0:
        ex = (draws.signed[have] / ev - base_signed_sum / base_n) * BP
        e_lo, e_hi = np.percentile(ex, [2.5, 97.5])
        excess = (float(e_lo), float(e_hi))
    return BootInterval(draws.resamples, no_event, (float(lo), float(hi)), excess)
