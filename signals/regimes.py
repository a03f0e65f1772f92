"""Flag scores split by market regime and by calendar quarter (issue 12, "Regimes" and "Stability").

Every bar gets a label in each regime, computed only from bars at or before it (no look-ahead: a later bar
never changes an earlier label):

- ``trend``: the trailing 7-day return ``price[t] / price[t - n(168h)] - 1``: ``up`` above +5 %, ``down``
  below -5 %, else ``chop``. 5 % is about half a week's typical move of BTC (weekly volatility ~8-10 %),
  so the three labels each hold a fair share of the bars rather than ``chop`` taking nearly all of them.
- ``volatility``: realised volatility, the sample standard deviation of the bar log returns over the last
  24 h (at least half of them known), ranked against every value known up to and including that bar (an
  expanding window, never the whole series): ``low`` when fewer than a third of those values are below it,
  ``high`` when at least two thirds are, else ``mid``. Bars before a week of values exists are unlabelled.
- ``funding``: the sign of funding8h at the bar: ``positive``, ``negative``, or ``zero_or_missing``.
- ``leverage_driven``: the flag itself at the bar: ``on`` (24 h spot/futures volume ratio at or below
  ``sfr_max``) or ``off`` (above it); bars with the ratio unknown are in neither.

A bar without a label (a window not yet full, a price missing) is in no value of that regime. A regime
whose input column the series lacks altogether is left out. An event belongs to the regime value of the
bar it fires at; the baseline of a value is every bar with that label (and a full horizon), so a flag is
compared with the same bet taken in the same regime. Quarters (``by_period``) bucket bars by the UTC
calendar quarter of their time; the forward window of an event near the end of a quarter may run into
the next one.

Each regime value and quarter is a ``SeriesScore`` made by ``signals.scoring.score_table`` with a bar
mask, so the counts, non-overlapping events and baselines are those of the whole-series score; pooling
several series sums them the same way (``signals.scoring.pool``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from signals.columns import Col
from signals.evaluate import FlagTable, evaluate
from signals.params import SignalParams, n_bars
from signals.scoring import SeriesScore, missing_columns, pool, score_table

TREND_H = 168.0
"""The trend's trailing window: 7 days."""
TREND_UP = 0.05
"""A trailing 7-day return above this is ``up``."""
TREND_DOWN = -0.05
"""A trailing 7-day return below this is ``down``; in between (both ends included) is ``chop``."""
VOL_H = 24.0
"""The window of the realised volatility."""
VOL_HISTORY_H = 168.0
"""Volatility values needed (in hours of bars) before the expanding terciles label a bar."""
TERCILE_CHUNK = 1024
"""Values ranked at a time by ``expanding_terciles``."""

TREND = "trend"
VOLATILITY = "volatility"
FUNDING = "funding"
LEVERAGE = "leverage_driven"
REGIMES: dict[str, tuple[str, ...]] = {
    TREND: ("up", "chop", "down"),
    VOLATILITY: ("low", "mid", "high"),
    FUNDING: ("positive", "negative", "zero_or_missing"),
    LEVERAGE: ("on", "off"),
}
"""Regime -> its values, in the order they are shown."""

DEFINITIONS: dict[str, str] = {
    TREND: f"trailing 7-day return: up above {TREND_UP:+.0%}, down below {TREND_DOWN:+.0%}, else chop",
    VOLATILITY: "24 h realised volatility of bar log returns, terciles over an expanding window "
    "(only values known at the bar)",
    FUNDING: "sign of funding8h at the bar",
    LEVERAGE: "the leverage_driven flag at the bar (24 h spot/futures volume ratio at or below sfr_max)",
}

Labels = dict[str, dict[str, np.ndarray]]
"""Regime -> value -> bool (T,): the bars with that label."""


def trend(price: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """``up`` / ``chop`` / ``down`` from the return over the last ``n`` bars; unlabelled where unknown."""
    ret = np.full(price.shape, np.nan)
    if price.shape[0] > n:
        with np.errstate(divide="ignore", invalid="ignore"):
            ret[n:] = price[n:] / price[:-n] - 1.0
    known = ~np.isnan(ret)
    return {
        "up": ret > TREND_UP,
        "chop": known & (ret >= TREND_DOWN) & (ret <= TREND_UP),
        "down": ret < TREND_DOWN,
    }


def realised_vol(price: np.ndarray, n: int) -> np.ndarray:
    """Sample standard deviation of the log returns ``log(p[i] / p[i-1])`` for ``i`` in ``t-n+1 .. t``.

    NaN where fewer than ``max(2, n // 2)`` of those returns are known (a gap or the start of the series).
    """
    lr = np.full(price.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr[1:] = np.log(price[1:] / price[:-1])
    ok = np.isfinite(lr)
    x = np.where(ok, lr, 0.0)

    def trailing(a: np.ndarray) -> np.ndarray:  # sums over the last n bars, for bars n-1 .. T-1
        c = np.concatenate(([0.0], np.cumsum(a)))
        return c[n:] - c[:-n]

    out = np.full(price.shape, np.nan)
    if price.shape[0] < n:
        return out
    k, s, s2 = trailing(ok.astype(np.float64)), trailing(x), trailing(x * x)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (s2 - s * s / k) / (k - 1)
    std = np.sqrt(np.maximum(var, 0.0))
    out[n - 1 :] = np.where(k >= max(2, n // 2), std, np.nan)
    return out


def expanding_terciles(values: np.ndarray, min_history: int) -> dict[str, np.ndarray]:
    """``low`` / ``mid`` / ``high`` of each value against every known value up to and including its bar.

    With ``k`` values known so far (this one included) and ``r`` of them strictly below it: ``low`` when
    ``r / k < 1/3``, ``high`` when ``r / k >= 2/3``, else ``mid``. Unlabelled while ``k < min_history``
    and where the value is NaN.
    """
    known = ~np.isnan(values)
    v = values[known]
    below = np.empty(v.size, dtype=np.int64)  # r: earlier (or equal-time) values strictly below
    seen = np.empty(0)  # the values before the chunk, sorted
    # In chunks, so a year of minute bars costs a second, not the quadratic time of one insort per bar.
    for lo in range(0, v.size, TERCILE_CHUNK):
        c = v[lo : lo + TERCILE_CHUNK]
        within = np.tril(c[None, :] < c[:, None], -1).sum(axis=1)  # earlier in the chunk and below
        below[lo : lo + c.size] = np.searchsorted(seen, c, side="left") + within
        ordered = np.sort(c)
        seen = np.insert(seen, np.searchsorted(seen, ordered), ordered)
    k = np.arange(1, v.size + 1)  # values known so far, this one included
    ready = k >= min_history
    # r / k < 1/3 and r / k >= 2/3, in integers so a rank at exactly a third is not left to rounding
    parts = {"low": ready & (3 * below < k), "high": ready & (3 * below >= 2 * k)}
    parts["mid"] = ready & ~parts["low"] & ~parts["high"]
    out = {}
    for name in ("low", "mid", "high"):
        full = np.zeros(values.shape, dtype=bool)
        full[known] = parts[name]
        out[name] = full
    return out


def funding_sign(f8: np.ndarray) -> dict[str, np.ndarray]:
    """``positive`` / ``negative`` / ``zero_or_missing`` funding at each bar."""
    return {"positive": f8 > 0, "negative": f8 < 0, "zero_or_missing": ~((f8 > 0) | (f8 < 0))}


def leverage(sfr: np.ndarray, sfr_max: float) -> dict[str, np.ndarray]:
    """``on`` / ``off`` as the leverage_driven flag; a bar with the ratio unknown is in neither."""
    return {"on": sfr <= sfr_max, "off": sfr > sfr_max}


def labels(table: FlagTable, price: np.ndarray, step_ms: float) -> Labels:
    """Every regime's labels for one series (a regime whose inputs the series lacks is left out)."""
    out: Labels = {}
    if not np.isnan(price).all():
        out[TREND] = trend(price, n_bars(TREND_H, step_ms))
        vol = realised_vol(price, n_bars(VOL_H, step_ms))
        out[VOLATILITY] = expanding_terciles(vol, n_bars(VOL_HISTORY_H, step_ms))
    f8 = table.features.f8
    if not np.isnan(f8).all():
        out[FUNDING] = funding_sign(f8)
    sfr = table.features.sfr
    if not np.isnan(sfr).all():
        out[LEVERAGE] = leverage(sfr, table.params.sfr_max)
    return out


def quarters(times_ms: np.ndarray) -> dict[str, np.ndarray]:
    """UTC calendar quarter -> bool (T,) of its bars, e.g. ``{"2025Q1": ..., "2025Q2": ...}``, in order."""
    months = times_ms.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)  # since 1970-01
    q_index = months // 3  # quarters since 1970Q1
    out: dict[str, np.ndarray] = {}
    for q in np.unique(q_index).tolist():
        out[f"{1970 + q // 4}Q{q % 4 + 1}"] = q_index == q
    return out


@dataclass
class RegimeScores:
    """The scores of one series (or pooled) split by regime and by quarter.

    Attributes:
        regimes: regime -> value -> the score of the events and baseline bars with that label.
        periods: ``"2025Q1"`` -> the score of the events and baseline bars of that quarter.
    """

    regimes: dict[str, dict[str, SeriesScore]] = field(default_factory=dict)
    periods: dict[str, SeriesScore] = field(default_factory=dict)


def score_splits(
    table: FlagTable,
    price: np.ndarray,
    times_ms: np.ndarray,
    missing: set[str],
    step_ms: float,
    horizons: Mapping[str, float],
) -> RegimeScores:
    """Score a ``FlagTable`` once per regime value and once per quarter (see the module docstring)."""
    regimes = {
        name: {
            value: score_table(table, price, missing, step_ms, horizons, mask) for value, mask in vals.items()
        }
        for name, vals in labels(table, price, step_ms).items()
    }
    periods = {
        q: score_table(table, price, missing, step_ms, horizons, mask)
        for q, mask in quarters(times_ms).items()
    }
    return RegimeScores(regimes, periods)


def score_series_split(
    bars: np.ndarray, params: SignalParams, step_ms: float, horizons: Mapping[str, float]
) -> tuple[SeriesScore, RegimeScores]:
    """``signals.scoring.score_series`` and ``score_splits`` of one series, evaluating its flags once."""
    table = evaluate(bars, params, step_ms)
    price, missing = bars[:, Col.PRICE], missing_columns(bars)
    whole = score_table(table, price, missing, step_ms, horizons)
    return whole, score_splits(table, price, bars[:, Col.TIME], missing, step_ms, horizons)


def pool_splits(parts: Iterable[RegimeScores]) -> RegimeScores:
    """Pool several series' splits value by value (a value absent from a series adds nothing)."""
    parts = list(parts)
    regimes: dict[str, dict[str, SeriesScore]] = {}
    for name, values in REGIMES.items():
        pooled = {
            v: pool(p.regimes[name][v] for p in parts if name in p.regimes)
            for v in values
            if any(name in p.regimes for p in parts)
        }
        if pooled:
            regimes[name] = pooled
    keys = sorted({q for p in parts for q in p.periods})
    periods = {q: pool(p.periods[q] for p in parts if q in p.periods) for q in keys}
    return RegimeScores(regimes, periods)
