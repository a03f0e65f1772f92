"""Market regimes of the simulation, how they follow one another, and how the demo's history ends.

A regime sets the drifts and targets the bar dynamics pull towards (price trend, open-interest trend,
funding, long/short ratio, liquidation pressure, spot/futures mix). Regimes rotate at random with a few
realistic sequences favoured (crowded shorts -> squeeze, crowded longs -> cascade), so flags come and go.

``ENDINGS`` scripts the last hours of history for the default demo watchlist so that, right after start,
each flag of SIGNALS.md is on for some symbol: the flags then come from the dynamics, not from a table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class Regime:
    """Targets of one regime. Rates are per hour; funding is per 8 h (funding8h).

    Attributes:
        name: identifier used by ENDINGS and the transition table.
        drift: price drift in units of the symbol's hourly volatility (signed).
        drift_floor: smallest absolute hourly drift (fraction), so calm coins still trend visibly.
        vol: multiplier on the symbol's volatility.
        oi_drift: hourly log-change of open interest.
        funding: funding8h the market's rate is pulled towards.
        funding_speed: pull per hour towards ``funding`` (a squeeze moves the premium fast).
        ls: target long/short accounts ratio; 0 means the symbol's usual ratio times ``ls_mult``.
        ls_mult: multiplier on the usual ratio when ``ls`` is 0.
        liq_long: multiplier on the base rate of long liquidations.
        liq_short: multiplier on the base rate of short liquidations.
        sfr: multiplier on the usual spot/futures volume ratio.
        activity: multiplier on futures volume.
        perp_flow: net perp taker flow (buy - sell over buy + sell) the regime's takers lean to.
        spot_flow: the same on spot: spot takers lead rallies; in a crowded regime they take the other
            side of the perp crowd (flow_divergence).
        top_ls: the top traders' long/short position ratio it pulls towards; 0 means with the crowd, at
            half its lean (1 + (ls - 1) / 2); crowded regimes set one across 1 from the crowd's.
        hours: (shortest, longest) duration.
        weight: how often it is picked when regimes rotate.
    """

    name: str
    drift: float = 0.0
    drift_floor: float = 0.0
    vol: float = 1.0
    oi_drift: float = 0.0
    funding: float = 0.0001
    funding_speed: float = 2.0
    ls: float = 0.0
    ls_mult: float = 1.0
    liq_long: float = 1.0
    liq_short: float = 1.0
    sfr: float = 1.0
    activity: float = 1.0
    perp_flow: float = 0.0
    spot_flow: float = 0.0
    top_ls: float = 0.0
    hours: tuple[float, float] = (3.0, 10.0)
    weight: float = 1.0


# fmt: off
REGIMES: tuple[Regime, ...] = (
    Regime("quiet", vol=0.8, activity=0.9, hours=(3, 12), weight=3.0),
    Regime("bull_trend", drift=1.5, drift_floor=0.008, vol=0.55, oi_drift=0.01, funding=0.00018,
           ls_mult=1.1, liq_long=0.5, liq_short=2.0, activity=1.4, perp_flow=0.03, spot_flow=0.05,
           hours=(4, 10), weight=1.2),
    Regime("weak_rally", drift=1.5, drift_floor=0.008, vol=0.6, oi_drift=-0.01, funding=0.00002,
           ls_mult=0.9, liq_long=0.3, liq_short=3.0, sfr=1.1, activity=1.3, perp_flow=0.02,
           spot_flow=0.06, hours=(3, 8)),
    Regime("crowded_shorts", drift=-0.2, vol=0.7, oi_drift=0.003, funding=-0.00015, ls=0.75,
           perp_flow=-0.06, spot_flow=0.05, top_ls=1.35, hours=(4, 12)),
    Regime("squeeze", drift=2.5, drift_floor=0.012, vol=1.2, oi_drift=-0.015, funding=0.0006,
           funding_speed=8.0, ls=1.0, liq_long=0.3, liq_short=6.0, sfr=1.1, activity=1.8,
           perp_flow=0.10, spot_flow=0.04, top_ls=1.3, hours=(1, 3), weight=0.3),
    Regime("cascade", drift=-4.0, drift_floor=0.025, vol=1.8, oi_drift=-0.025, funding=-0.00002,
           funding_speed=4.0, ls_mult=1.2, liq_long=25.0, liq_short=0.5, sfr=0.9, activity=3.0,
           perp_flow=-0.12, spot_flow=-0.05, top_ls=0.8, hours=(1, 2), weight=0.3),
    Regime("leverage", oi_drift=0.004, funding=0.00015, liq_long=1.5, liq_short=1.5,
           sfr=0.22, activity=2.0, perp_flow=0.03, spot_flow=-0.01, hours=(24, 40), weight=0.4),
    Regime("bear_trend", drift=-1.5, drift_floor=0.008, vol=0.55, oi_drift=0.01, funding=-0.00008,
           ls_mult=1.15, liq_long=2.0, liq_short=0.5, activity=1.4, perp_flow=-0.03, spot_flow=-0.05,
           hours=(4, 10), weight=1.2),
    Regime("weak_selloff", drift=-1.5, drift_floor=0.008, vol=0.6, oi_drift=-0.01, funding=0.00004,
           ls_mult=0.95, liq_long=3.0, liq_short=0.3, activity=1.2, perp_flow=-0.02, spot_flow=-0.05,
           hours=(3, 8)),
    Regime("crowded_longs", vol=0.7, oi_drift=0.006, funding=0.00045, ls=2.6, perp_flow=0.06,
           spot_flow=-0.05, top_ls=0.7, hours=(4, 12), weight=0.8),
    Regime("euphoria", drift=1.0, drift_floor=0.005, vol=1.2, oi_drift=0.006, funding=0.0009, ls=2.2,
           liq_long=0.7, liq_short=2.0, activity=1.8, perp_flow=0.07, spot_flow=0.02, hours=(3, 8),
           weight=0.4),
    Regime("panic", drift=-1.0, drift_floor=0.005, vol=1.3, oi_drift=0.005, funding=-0.0007, ls=0.7,
           liq_long=1.5, activity=1.8, perp_flow=-0.07, spot_flow=-0.02, hours=(2, 6), weight=0.3),
)
# fmt: on

INDEX: dict[str, int] = {r.name: i for i, r in enumerate(REGIMES)}

# Sequences markets are known for: crowded shorts get squeezed, crowded longs and leverage unwind.
_FOLLOW: dict[str, dict[str, float]] = {
    "crowded_shorts": {"squeeze": 6.0},
    "panic": {"squeeze": 3.0, "weak_selloff": 2.0},
    "crowded_longs": {"cascade": 4.0},
    "euphoria": {"cascade": 4.0, "weak_selloff": 2.0},
    "bull_trend": {"cascade": 2.0, "crowded_longs": 2.0},
    "leverage": {"cascade": 3.0},
    "cascade": {"weak_selloff": 3.0, "quiet": 2.0},
    "squeeze": {"weak_rally": 3.0, "quiet": 2.0},
}


def _transition_matrix() -> np.ndarray:
    n = len(REGIMES)
    m = np.array([[r.weight for r in REGIMES]] * n)
    for src, boosts in _FOLLOW.items():
        for dst, factor in boosts.items():
            m[INDEX[src], INDEX[dst]] *= factor
    np.fill_diagonal(m, 0.0)
    probs: np.ndarray = m / m.sum(axis=1, keepdims=True)
    return probs


TRANSITIONS: np.ndarray = _transition_matrix()
"""Row i: probabilities of the regime that follows regime i."""

PARAMS: dict[str, np.ndarray] = {
    f.name: np.array([getattr(r, f.name) for r in REGIMES], dtype=float)
    for f in fields(Regime)
    if f.name not in ("name", "hours")
}
"""Each numeric field of Regime as an array over REGIMES, for gathering per symbol by regime index."""


@dataclass(frozen=True)
class Segment:
    """A scripted stretch of history: ``regime`` for ``hours``, at ``severity`` (1 = as specified)."""

    regime: str
    hours: float
    severity: float = 1.0


ENDINGS: dict[str, tuple[Segment, ...]] = {
    "BTC": (Segment("bull_trend", 6),),  # bull_momentum
    "ETH": (Segment("bear_trend", 6),),  # bear_momentum
    "SOL": (Segment("weak_rally", 6),),  # weak_rally
    # Crowded perps, spot takers and top traders on the other side: flow_divergence, top_trader_divergence
    # (and, for XRP, the venues' funding far apart: funding_dispersion).
    "XRP": (Segment("crowded_longs", 8),),  # long_squeeze_risk
    "DOGE": (Segment("crowded_shorts", 8),),  # short_squeeze_risk
    "AVAX": (Segment("weak_selloff", 6),),  # weak_selloff
    # Longs pile in for most of a day, then the first hour of a hard unwind: cascade_risk.
    "LINK": (Segment("bull_trend", 8, 0.5), Segment("crowded_longs", 14, 1.5), Segment("cascade", 1.2)),
    # Shorts pay for hours, then a squeeze opens on the very last bar: funding_flip.
    "SUI": (Segment("crowded_shorts", 8), Segment("squeeze", 0.0)),
    "HYPE": (Segment("euphoria", 6),),  # funding_extreme, premium_extreme, funding_dispersion
    "PEPE": (Segment("leverage", 36),),  # leverage_driven
}
"""Scripted last hours of history per default symbol (a segment of 0 h lasts exactly one bar)."""


def draw_duration(g: np.random.Generator, regime: int, step_h: float) -> int:
    """A random number of bars for ``regime`` (at least one)."""
    lo, hi = REGIMES[regime].hours
    return max(1, round(g.uniform(lo, hi) / step_h))


def draw_next(g: np.random.Generator, current: int) -> int:
    """The regime that follows ``current``."""
    return int(g.choice(len(REGIMES), p=TRANSITIONS[current]))


def draw_severity(g: np.random.Generator) -> float:
    """How hard a randomly chosen regime plays out (scripted endings set their own)."""
    return float(g.uniform(0.3, 0.8))
