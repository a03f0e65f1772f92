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
``signals.bootstrap``), a second dependence-aware interval beside the non-overlapping one.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from signals.bootstrap import (
    BootDraws,
    BootInterval,
    add_draws,
    block_length,
    draw_starts,
    interval,
    resample_many,
)
from signals.columns import COLUMNS, INDEX, Col
from signals.evaluate import FlagTable, evaluate
from signals.flags import DIRECTION, FLAG_NAMES, INPUTS, PER_BAR
from signals.params import SignalParams
from signals.score_prep import Prepared, prepare
from signals.score_prep import forward_returns as forward_returns  # re-exported: always lived here
from signals.score_prep import rising_edges as rising_edges  # re-exported likewise
from signals.significance import Z95 as Z95  # re-exported: the interval's z has always lived here too
from signals.significance import non_overlapping

DIRECTIONAL: tuple[str, ...] = tuple(n for n in FLAG_NAMES if DIRECTION[n] != 0 or n in PER_BAR)
"""Flags scored against forward returns (a fixed direction, or one set at each bar: ``flags.PER_BAR``); the
others are context (event counts only)."""


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``hits / n``; None when ``n`` is 0.

    Args:
        hits: successes.
        n: trials.
        z: normal quantile (default: 95 % two-sided).
    """
    if n <= 0:
        return None
    p = hits / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


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


@dataclass
class Counts:
    """Events scored at one horizon: how many had a full horizon, how many hit, their summed ``fwd``, and
    the sum and sum of squares of ``dir * fwd`` (the signed return, for the excess return's interval)."""

    n: int = 0
    hits: int = 0
    ret_sum: float = 0.0
    signed_sum: float = 0.0
    signed_sq: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.n + other.n,
            self.hits + other.hits,
            self.ret_sum + other.ret_sum,
            self.signed_sum + other.signed_sum,
            self.signed_sq + other.signed_sq,
        )

    @property
    def hit_rate(self) -> float | None:
        """``hits / n``, None without events."""
        return self.hits / self.n if self.n else None

    @property
    def ci95(self) -> tuple[float, float] | None:
        """Wilson 95 % interval of the hit rate, None without events."""
        return wilson(self.hits, self.n)

    @property
    def mean_return(self) -> float | None:
        """Mean forward return over the events (not signed by direction), None without events."""
        return self.ret_sum / self.n if self.n else None


@dataclass
class HorizonScore:
    """One flag at one horizon.

    Attributes:
        events: all events with a full horizon.
        base_n: bars with a full horizon (and, for a flag of ``flags.PER_BAR``, a direction) behind the
            baseline.
        base_hits: those of them where ``dir * fwd > 0``.
        leverage_on: events where ``leverage_driven`` was on.
        leverage_off: events where it was known to be off (spot/futures ratio above ``sfr_max``); events
            where the ratio is unknown are in neither.
        independent: the events left when one within a horizon of the previous counted one is not
            counted (``signals.significance.non_overlapping``, per series).
        base_signed_sum: sum of ``dir * fwd`` over the ``base_n`` bars.
        boot: the moving-block bootstrap replicates (``signals.bootstrap``); None when the bootstrap is
            off, the score is under a regime or period mask, or ``settle_boot`` replaced them.
        boot_ci: the bootstrap interval of ``boot``, kept by ``settle_boot`` (a pool sums the draws and
            computes its own, so it is never summed).
    """

    events: Counts = field(default_factory=Counts)
    base_n: int = 0
    base_hits: int = 0
    leverage_on: Counts = field(default_factory=Counts)
    leverage_off: Counts = field(default_factory=Counts)
    independent: Counts = field(default_factory=Counts)
    base_signed_sum: float = 0.0
    boot: BootDraws | None = None
    boot_ci: BootInterval | None = None

    def __add__(self, other: HorizonScore) -> HorizonScore:
        return HorizonScore(
            self.events + other.events,
            self.base_n + other.base_n,
            self.base_hits + other.base_hits,
            self.leverage_on + other.leverage_on,
            self.leverage_off + other.leverage_off,
            self.independent + other.independent,
            self.base_signed_sum + other.base_signed_sum,
            add_draws(self.boot, other.boot),
        )

    def boot_interval(self) -> BootInterval | None:
        """The bootstrap interval: kept by ``settle_boot``, or computed from the draws; None without them."""
        if self.boot_ci is not None:
            return self.boot_ci
        return None if self.boot is None else interval(self.boot, self.base_n, self.base_signed_sum)

    def settle_boot(self) -> None:
        """Keep the bootstrap interval and let the draws go (B numbers per flag and horizon and series:
        a backtest of hundreds of series keeps only the pool's, once each series is added to it)."""
        if self.boot is not None:
            self.boot_ci = self.boot_interval()
            self.boot = None

    @property
    def baseline(self) -> float | None:
        """Share of all bars with a full horizon where ``dir * fwd > 0``; None without such bars."""
        return self.base_hits / self.base_n if self.base_n else None

    @property
    def verdict(self) -> str:
        """``"beats"``, ``"worse"`` (baseline outside the interval), ``"within"`` or ``"no events"``: the
        plain verdict over all events; ``signals.significance.assess`` gives the dependence-aware one."""
        ci, base = self.events.ci95, self.baseline
        if ci is None or base is None:
            return "no events"
        if base < ci[0]:
            return "beats"
        if base > ci[1]:
            return "worse"
        return "within"


@dataclass
class FlagScore:
    """One flag over one series (or pooled over several).

    Attributes:
        name: the flag.
        scorable: whether its input columns were present (in at least one series, when pooled).
        missing: input columns absent (from every series, when pooled); empty when scorable.
        events: rising edges, with or without a full horizon.
        horizons: horizon label -> score; empty for context flags and for unscorable ones.
        series: how many series it was scored on.
    """

    name: str
    scorable: bool
    missing: tuple[str, ...] = ()
    events: int = 0
    horizons: dict[str, HorizonScore] = field(default_factory=dict)
    series: int = 0

    @property
    def direction(self) -> int | None:
        """DIRECTION of the flag; None for a flag of ``flags.PER_BAR``, whose direction is set per event."""
        return None if self.name in PER_BAR else DIRECTION[self.name]


@dataclass
class SeriesScore:
    """Every flag over one series (or pooled).

    Attributes:
        bars: bars scored (after ``fill_gaps``).
        flags: flag name -> score, in FLAG_NAMES order.
        series: how many series this covers.
    """

    bars: int
    flags: dict[str, FlagScore]
    series: int = 1


def missing_columns(bars: np.ndarray) -> set[str]:
    """Input columns without a single value in ``bars``."""
    absent = np.isnan(bars).all(axis=0)
    return {c for c in COLUMNS if absent[INDEX[c]]}


def _counts(idx: np.ndarray, fwd: np.ndarray, good: np.ndarray, signed: np.ndarray) -> Counts:
    """Counts of the events ``idx`` (already limited to those with a full horizon); ``signed`` is
    ``dir * fwd``."""
    s = signed[idx]
    return Counts(int(idx.size), int(good[idx].sum()), float(fwd[idx].sum()), float(s.sum()), float(s @ s))


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
    fwd_sum = {h: float(v.fwd[full[h]].sum()) for h, v in hz.items()}
    # Baselines of the fixed directions are shared by every flag: counted once per horizon; the hits
    # come from the same bars as n (``full``, under the mask).
    base: dict[tuple[str, int], tuple[int, int]] = {}
    for h, v in hz.items():
        n_full = int(full[h].sum())
        base[(h, 1)] = (n_full, int((v.up & full[h]).sum()) if mask is not None else int(v.up.sum()))
        base[(h, -1)] = (n_full, int((v.down & full[h]).sum()) if mask is not None else int(v.down.sum()))
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
                    b_n, b_hits = int(has_dir.sum()), int((good & full[h]).sum())
                    b_sum = float(signed[has_dir].sum())
                else:
                    good, signed = (v.up, v.long) if DIRECTION[name] > 0 else (v.down, v.short)
                    b_n, b_hits = base[(h, DIRECTION[name])]
                    b_sum = DIRECTION[name] * fwd_sum[h]
                score.horizons[h] = hs = HorizonScore(
                    _counts(idx, fwd, good, signed),
                    b_n,
                    b_hits,
                    _counts(idx[lev_on[idx]], fwd, good, signed) if leverage else Counts(),
                    _counts(idx[lev_off[idx]], fwd, good, signed) if leverage else Counts(),
                    _counts(non_overlapping(idx, v.bars), fwd, good, signed),
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
                # a shallow copy of the first: the caller may drop that series' bootstrap draws later
                merged[h] = merged[h] + hs if h in merged else copy.copy(hs)

    def result(self) -> SeriesScore:
        """The pool of every series added so far."""
        flags: dict[str, FlagScore] = {}
        for name in FLAG_NAMES:
            if not self._ok[name]:
                lacks = self._lacks[name]
                flags[name] = FlagScore(name, False, tuple(c for c in INPUTS[name] if c in lacks))
                continue
            merged = FlagScore(name, True, (), self._events[name], series=self._ok[name])
            merged.horizons.update(self._horizons[name])
            flags[name] = merged
        return SeriesScore(self.bars, flags, self.count)
