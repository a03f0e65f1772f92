"""Backtest scoring of the flags, per SIGNALS.md "Events and scoring": pure numpy over a ``FlagTable``.

Provides ``score_series`` (one bar series: rising-edge events, forward returns per horizon, hits, baseline,
mean return, the split by ``leverage_driven``), ``pool`` (several series: counts summed, so the pooled hit
rate and baseline weigh every event and every bar alike), ``wilson`` (the 95 % interval) and ``fill_gaps``
(missing bars put back as NaN rows, so windows counted in bars stay windows in time).

Everything is kept as counts (``Counts``, ``HorizonScore``) and the rates are derived from them: pooling
is then exact addition, never an average of averages. Each score also keeps its non-overlapping events
(``HorizonScore.independent``) and direction-signed return sums, from which ``signals.significance``
derives the dependence-aware interval, p- and q-values, excess return and verdict. With ``bootstrap``
resamples asked for, each score also keeps its moving-block bootstrap replicates (``HorizonScore.boot``,
``signals.bootstrap``), a second dependence-aware interval beside the non-overlapping one. The count
classes and ``wilson`` live in ``signals.score_counts`` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from signals.bootstrap import block_length, draw_starts, resample_many
from signals.columns import COLUMNS, INDEX, Col
from signals.evaluate import FlagTable, evaluate
from signals.flags import DIRECTION, FLAG_NAMES, INPUTS, PER_BAR
from signals.params import SignalParams
from signals.score_counts import Counts as Counts  # re-exported: the counts always lived here
from signals.score_counts import FlagScore as FlagScore
from signals.score_counts import HorizonScore as HorizonScore
from signals.score_counts import SeriesScore as SeriesScore
from signals.score_counts import add_into, copied, owned
from signals.score_counts import wilson as wilson
from signals.score_prep import Prepared, prepare
from signals.score_prep import forward_returns as forward_returns  # re-exported: always lived here
from signals.score_prep import rising_edges as rising_edges  # re-exported likewise
from signals.significance import Z95 as Z95  # re-exported: the interval's z has always lived here too
from signals.significance import non_overlapping

DIRECTIONAL: tuple[str, ...] = tuple(n for n in FLAG_NAMES if DIRECTION[n] != 0 or n in PER_BAR)
"""Flags scored against forward returns (a fixed direction, or one set at each bar: ``flags.PER_BAR``); the
others are context (event counts only)."""


def fill_gaps(bars: np.ndarray, step_ms: float) -> tuple[np.ndarray, int]:
    """Put missing bars back as NaN rows so that row ``t - n`` is ``n`` steps before row ``t``.

    Only gaps that are whole multiples of the step are filled; a series whose times are not on one grid
    is returned as it is.

    Returns:
        ``(bars, missing)``: the bars on the grid and how many rows were inserted.
    """
    t = bars[:, Col.TIME]
    if len(t) < 2 or step_ms <= 0:
        return bars, 0
    slots = (t - t[0]) / step_ms
    idx = np.rint(slots)
    if not np.allclose(slots, idx, rtol=0, atol=1e-6) or np.any(np.diff(idx) <= 0):
        return bars, 0
    size = int(idx[-1]) + 1
    if size == len(t):
        return bars, 0
    out = np.full((size, bars.shape[1]), np.nan)
    out[:, Col.TIME] = t[0] + step_ms * np.arange(size)
    out[idx.astype(np.int64)] = bars
    return out, size - len(t)


def missing_columns(bars: np.ndarray) -> set[str]:
    """Input columns without a single value in ``bars``."""
    absent = np.isnan(bars).all(axis=0)
    return {c for c in COLUMNS if absent[INDEX[c]]}


_SUM = np.add.reduce
"""``x.sum()`` without its Python wrapper (the same reduction, so the same bits): scoring a 100-symbol
month sums small arrays some 150,000 times, where the wrapper was a quarter of each sum's cost."""


def _count(on: np.ndarray) -> int:
    """How many of ``on`` (bool) are set."""
    return int(np.count_nonzero(on))


def _counts(idx: np.ndarray, fwd: np.ndarray, good: np.ndarray, signed: np.ndarray) -> Counts:
    """Counts of the events ``idx`` (already limited to those with a full horizon); ``signed`` is
    ``dir * fwd``."""
    if not idx.size:  # common in the regime cells; numpy's sums of nothing are these same zeros
        return Counts()
    s = signed[idx]
    return Counts(
        idx.size, int(np.count_nonzero(good[idx])), float(_SUM(fwd[idx])), float(_SUM(s)), float(s @ s)
    )


def _independent(
    idx: np.ndarray, gap: int, counted: Counts, fwd: np.ndarray, good: np.ndarray, signed: np.ndarray
) -> Counts:
    """Counts of the non-overlapping events of ``idx``; those of ``idx`` (``counted``) again when it has
    at most one event, which is then kept whatever the gap."""
    if idx.size < 2:
        return copied(counted)
    return _counts(non_overlapping(idx, gap), fwd, good, signed)


def score_table(
    table: FlagTable,
    price: np.ndarray,
    missing: set[str],
    step_ms: float,
    horizons: Mapping[str, float],
    mask: np.ndarray | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
    key: str = "",
    prepared: Prepared | None = None,
    leverage: bool = True,
) -> SeriesScore:
    """Score a ``FlagTable`` already evaluated on a series.

    Args:
        table: ``signals.evaluate.evaluate`` of the series.
        price: the series' price column.
        missing: columns with no value in the series (a flag needing one is not scorable).
        step_ms: the bar step.
        horizons: label -> hours, e.g. ``{"4h": 4.0, "24h": 24.0}``.
        mask: bool (T,): score only the events and baseline bars where it is on (a regime or a period,
            ``signals.regimes``); rising edges and forward returns still see every bar.
        bootstrap: moving-block bootstrap resamples per flag and horizon (``signals.bootstrap``); 0 (the
            default) for none. Ignored under a ``mask``: a regime's bars are not contiguous blocks of time.
        seed: the bootstrap's seed.
        key: the series' key (its symbol), which seeds its draws together with ``seed``.
        prepared: ``signals.score_prep.prepare`` of the same table, price and horizons, shared by several
            passes (made here when None).
        leverage: count the events by ``leverage_driven`` on and off (False leaves those counts empty:
            the regime and period cells, which never show them).
    """
    prep = prepare(table, price, step_ms, horizons, DIRECTIONAL) if prepared is None else prepared
    lev_on, lev_off = prep.lev_on, prep.lev_off
    hz = prep.horizons
    full = {h: v.valid if mask is None else v.valid & mask for h, v in hz.items()}
    # Sum of fwd over the bars with a full horizon: the baseline's mean return, signed by dir below.
    fwd_sum = {h: float(_SUM(v.fwd[full[h]])) for h, v in hz.items()}
    # Baselines of the fixed directions are shared by every flag: counted once per horizon; the hits
    # come from the same bars as n (``full``, under the mask).
    base: dict[tuple[str, int], tuple[int, int]] = {}
    for h, v in hz.items():
        # count_nonzero: a bool array's sum() widens every element first (ten times slower)
        n_full = _count(full[h])
        base[(h, 1)] = (n_full, _count(v.up & full[h]) if mask is not None else _count(v.up))
        base[(h, -1)] = (n_full, _count(v.down & full[h]) if mask is not None else _count(v.down))
    # One start matrix per horizon, shared by every flag of the series (drawn once: the costly part is
    # the gather, not the draw, but sharing keeps the flags' replicates comparable).
    starts = (
        {h: draw_starts(len(price), block_length(v.bars), bootstrap, seed, key) for h, v in hz.items()}
        if bootstrap > 0 and mask is None
        else {}
    )
    # per horizon, the scores still waiting for their replicates and their events, hits and signed returns
    pending: dict[str, list[tuple[HorizonScore, np.ndarray, np.ndarray, np.ndarray]]] = {
        h: [] for h in starts
    }
    flags: dict[str, FlagScore] = {}
    for name in FLAG_NAMES:
        lacks = tuple(c for c in INPUTS[name] if c in missing)
        if lacks:
            flags[name] = FlagScore(name, False, lacks)
            continue
        edges = prep.edges[name]
        events = int(edges.size) if mask is None else int(np.count_nonzero(mask[edges]))
        score = FlagScore(name, True, (), events, series=1)
        if name in DIRECTIONAL:
            for h, v in hz.items():
                idx = v.idx[name] if mask is None else v.idx[name][mask[v.idx[name]]]
                fwd = v.fwd
                if name in PER_BAR:
                    pb = v.per_bar[name]
                    good, signed = pb.good, pb.signed
                    has_dir = full[h] & pb.has_dir
                    b_n, b_hits = _count(has_dir), _count(good & full[h])
                    b_sum = float(_SUM(signed[has_dir]))
                else:
                    good, signed = (v.up, v.long) if DIRECTION[name] > 0 else (v.down, v.short)
                    b_n, b_hits = base[(h, DIRECTION[name])]
                    b_sum = DIRECTION[name] * fwd_sum[h]
                counted = _counts(idx, fwd, good, signed)
                score.horizons[h] = hs = HorizonScore(
                    counted,
                    b_n,
                    b_hits,
                    _counts(idx[lev_on[idx]], fwd, good, signed) if leverage else Counts(),
                    _counts(idx[lev_off[idx]], fwd, good, signed) if leverage else Counts(),
                    _independent(idx, v.bars, counted, fwd, good, signed),
                    b_sum,
                )
                if h in pending:
                    pending[h].append((hs, idx, good, signed))
        flags[name] = score
    for h, waiting in pending.items():
        draws = [(idx, good, signed) for _, idx, good, signed in waiting]
        drawn = resample_many(len(price), draws, block_length(hz[h].bars), starts[h])
        for (hs, *_), d in zip(waiting, drawn, strict=True):
            hs.boot = d
    return SeriesScore(len(price), flags)


def score_series(
    bars: np.ndarray,
    params: SignalParams,
    step_ms: float,
    horizons: Mapping[str, float],
    *,
    bootstrap: int = 0,
    seed: int = 0,
    key: str = "",
) -> SeriesScore:
    """Evaluate the flags on one series and score them.

    Args:
        bars: (T, len(COLUMNS)) per ``signals.columns``, oldest first, on a regular step (see
            ``fill_gaps``).
        params: thresholds and windows.
        step_ms: the bar step.
        horizons: label -> hours.
        bootstrap: moving-block bootstrap resamples (0: none); see ``score_table``.
        seed: the bootstrap's seed.
        key: the series' key, for its draws.
    """
    table = evaluate(bars, params, step_ms)
    return score_table(
        table,
        bars[:, Col.PRICE],
        missing_columns(bars),
        step_ms,
        horizons,
        bootstrap=bootstrap,
        seed=seed,
        key=key,
    )


def pool(scores: Iterable[SeriesScore]) -> SeriesScore:
    """Pool several series' scores: events, hits, returns and baseline bars are summed.

    A flag is scorable when pooled if it was scorable on at least one series; ``missing`` then lists
    the columns no series had.
    """
    acc = Pooler()
    for s in scores:
        acc.add(s)
    return acc.result()


class Pooler:
    """``pool`` one series at a time: only the running sums are kept, never the series' own scores.

    The sums are added in the order the series come, as ``pool`` always did (a left fold), so pooling a
    stream gives the same figures, to the last bit, as pooling the list.
    """

    def __init__(self) -> None:
        self.bars = 0
        self.count = 0
        self._events: dict[str, int] = dict.fromkeys(FLAG_NAMES, 0)
        self._ok: dict[str, int] = dict.fromkeys(FLAG_NAMES, 0)
        self._lacks: dict[str, set[str]] = {n: set(INPUTS[n]) for n in FLAG_NAMES}
        self._horizons: dict[str, dict[str, HorizonScore]] = {n: {} for n in FLAG_NAMES}

    def add(self, score: SeriesScore) -> None:
        """Add one series' (or pool's) scores."""
        self.bars += score.bars
        self.count += 1
        for name, f in score.flags.items():
            if not f.scorable:
                self._lacks[name] &= set(f.missing)
                continue
            self._ok[name] += 1
            self._events[name] += f.events
            merged = self._horizons[name]
            for h, hs in f.horizons.items():
                acc = merged.get(h)
                if acc is None:
                    merged[h] = owned(hs)
                else:
                    add_into(acc, hs)

    def result(self) -> SeriesScore:
        """The pool of every series added so far."""
        flags: dict[str, FlagScore] = {}
        for name in FLAG_NAMES:
            if not self._ok[name]:
                lacks = self._lacks[name]
                flags[name] = FlagScore(name, False, tuple(c for c in INPUTS[name] if c in lacks))
                continue
            merged = FlagScore(name, True, (), self._events[name], series=self._ok[name])
            # copies: the running sums go on changing in place as series are added
            merged.horizons.update({h: owned(hs) for h, hs in self._horizons[name].items()})
            flags[name] = merged
        return SeriesScore(self.bars, flags, self.count)
