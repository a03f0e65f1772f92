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

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from signals.bootstrap import BootDraws, add_draws, block_length, draw_starts, resample_many
from signals.columns import COLUMNS, INDEX, Col
from signals.evaluate import FlagTable, evaluate
from signals.flags import DIRECTION, FLAG_NAMES, INPUTS
from signals.params import SignalParams, n_bars
from signals.significance import Z95 as Z95  # re-exported: the interval's z has always lived here too
from signals.significance import non_overlapping

DIRECTIONAL: tuple[str, ...] = tuple(n for n in FLAG_NAMES if DIRECTION[n] != 0 or n == "funding_extreme")
"""Flags scored against forward returns; the others are context (event counts only)."""


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
        base_n: bars with a full horizon (and, for funding_extreme, a funding sign) behind the baseline.
        base_hits: those of them where ``dir * fwd > 0``.
        leverage_on: events where ``leverage_driven`` was on.
        leverage_off: events where it was known to be off (spot/futures ratio above ``sfr_max``); events
            where the ratio is unknown are in neither.
        independent: the events left when one within a horizon of the previous counted one is not
            counted (``signals.significance.non_overlapping``, per series).
        base_signed_sum: sum of ``dir * fwd`` over the ``base_n`` bars.
        boot: the moving-block bootstrap replicates (``signals.bootstrap``); None when the bootstrap is
            off or the score is under a regime or period mask.
    """

    events: Counts = field(default_factory=Counts)
    base_n: int = 0
    base_hits: int = 0
    leverage_on: Counts = field(default_factory=Counts)
    leverage_off: Counts = field(default_factory=Counts)
    independent: Counts = field(default_factory=Counts)
    base_signed_sum: float = 0.0
    boot: BootDraws | None = None

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
        """DIRECTION of the flag; None for funding_extreme, whose direction is set per event."""
        return None if self.name == "funding_extreme" else DIRECTION[self.name]


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
    """
    sfr = table.features.sfr
    lev_on = sfr <= table.params.sfr_max
    lev_off = sfr > table.params.sfr_max  # NaN in neither: unknown leverage is not "off"
    steps = {h: n_bars(hours, step_ms) for h, hours in horizons.items()}
    fwds = {h: forward_returns(price, steps[h]) for h in horizons}
    full = {h: ~np.isnan(f) if mask is None else ~np.isnan(f) & mask for h, f in fwds.items()}
    # Sum of fwd over the bars with a full horizon: the baseline's mean return, signed by dir below.
    fwd_sum = {h: float(f[full[h]].sum()) for h, f in fwds.items()}
    # Limited to ``full`` so that, under a mask, the baseline's hits come from the same bars as its n.
    up = {h: (f > 0) & full[h] for h, f in fwds.items()}
    down = {h: (f < 0) & full[h] for h, f in fwds.items()}
    # Baselines of the fixed directions are shared by every flag: counted once per horizon.
    base = {
        (h, d): (int(full[h].sum()), int((up[h] if d > 0 else down[h]).sum()))
        for h in horizons
        for d in (1, -1)
    }
    # One start matrix per horizon, shared by every flag of the series (drawn once: the costly part is
    # the gather, not the draw, but sharing keeps the flags' replicates comparable).
    starts = (
        {h: draw_starts(len(price), block_length(steps[h]), bootstrap, seed, key) for h in horizons}
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
        edges = rising_edges(table.fired[name])
        edges = edges if mask is None else edges[mask[edges]]
        score = FlagScore(name, True, (), int(edges.size), series=1)
        if name in DIRECTIONAL:
            for h in horizons:
                idx = edges[full[h][edges]]
                fwd = fwds[h]
                if name == "funding_extreme":
                    d = table.direction[name]
                    good = ((d > 0) & up[h]) | ((d < 0) & down[h])
                    has_dir = full[h] & (d != 0)
                    b_n, b_hits = int(has_dir.sum()), int(good.sum())
                    signed = np.where(d != 0, d * fwd, 0.0)
                    b_sum = float(signed[has_dir].sum())
                else:
                    good = up[h] if DIRECTION[name] > 0 else down[h]
                    b_n, b_hits = base[(h, DIRECTION[name])]
                    signed = DIRECTION[name] * fwd
                    b_sum = DIRECTION[name] * fwd_sum[h]
                score.horizons[h] = hs = HorizonScore(
                    _counts(idx, fwd, good, signed),
                    b_n,
                    b_hits,
                    _counts(idx[lev_on[idx]], fwd, good, signed),
                    _counts(idx[lev_off[idx]], fwd, good, signed),
                    _counts(non_overlapping(idx, steps[h]), fwd, good, signed),
                    b_sum,
                )
                if h in pending:
                    pending[h].append((hs, idx, good, signed))
        flags[name] = score
    for h, waiting in pending.items():
        events = [(idx, good, signed) for _, idx, good, signed in waiting]
        draws = resample_many(len(price), events, block_length(steps[h]), starts[h])
        for (hs, *_), drawn in zip(waiting, draws, strict=True):
            hs.boot = drawn
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
    scores = list(scores)
    flags: dict[str, FlagScore] = {}
    for name in FLAG_NAMES:
        parts = [s.flags[name] for s in scores if name in s.flags]
        ok = [p for p in parts if p.scorable]
        if not ok:
            lacks = set(INPUTS[name])
            for p in parts:
                lacks &= set(p.missing)
            flags[name] = FlagScore(name, False, tuple(c for c in INPUTS[name] if c in lacks))
            continue
        merged = FlagScore(name, True, (), sum(p.events for p in ok), series=len(ok))
        for p in ok:
            for h, hs in p.horizons.items():
                merged.horizons[h] = merged.horizons[h] + hs if h in merged.horizons else hs
        flags[name] = merged
    return SeriesScore(sum(s.bars for s in scores), flags, len(scores))
