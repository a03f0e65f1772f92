"""The counts a backtest score is made of (``Counts``, ``HorizonScore``, ``FlagScore``, ``SeriesScore``), the
Wilson interval of a hit rate, and the in-place sums a pool adds series into.

Split out of ``signals.scoring`` (which re-exports every name here, so imports from it keep working): the
scoring passes make these, ``signals.scoring.Pooler`` and ``signals.regimes.SplitPooler`` sum them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from signals.bootstrap import BootDraws, BootInterval, add_draws, interval
from signals.flags import DIRECTION, PER_BAR
from signals.significance import Z95


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


def copied(c: Counts) -> Counts:
    """A new ``Counts`` equal to ``c`` (``copy.copy`` costs four times as much)."""
    return Counts(c.n, c.hits, c.ret_sum, c.signed_sum, c.signed_sq)


def owned(hs: HorizonScore) -> HorizonScore:
    """A copy of ``hs`` with counts of its own, for a pool to add into; the bootstrap draws are shared
    (never changed in place: ``add_draws`` makes new ones), and the caller may drop the series' later."""
    return HorizonScore(
        copied(hs.events),
        hs.base_n,
        hs.base_hits,
        copied(hs.leverage_on),
        copied(hs.leverage_off),
        copied(hs.independent),
        hs.base_signed_sum,
        hs.boot,
        hs.boot_ci,
    )


def add_into(acc: HorizonScore, hs: HorizonScore) -> None:
    """``acc + hs`` (``HorizonScore.__add__``) written into ``acc``: the same additions in the same order,
    without the six new objects per flag, horizon and cell that pooling a 100-symbol month made 100,000 of."""
    for a, b in (
        (acc.events, hs.events),
        (acc.leverage_on, hs.leverage_on),
        (acc.leverage_off, hs.leverage_off),
        (acc.independent, hs.independent),
    ):
        a.n += b.n
        a.hits += b.hits
        a.ret_sum += b.ret_sum
        a.signed_sum += b.signed_sum
        a.signed_sq += b.signed_sq
    acc.base_n += hs.base_n
    acc.base_hits += hs.base_hits
    acc.base_signed_sum += hs.base_signed_sum
    acc.boot = add_draws(acc.boot, hs.boot)
    acc.boot_ci = None  # a sum's interval comes from its summed draws, as HorizonScore.__add__ leaves it
