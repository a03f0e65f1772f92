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
from signals.score_prep import Prepared, prepare
from signals.scoring import DIRECTIONAL, Pooler, SeriesScore, missing_columns, score_table
from signals.windows import count_earlier_below

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
RANK_PANDAS_FROM = 50_000
"""From this many values ``earlier_below`` uses pandas' expanding rank (a skiplist in C, 2.5x faster on a
year of 5-minute bars); below it, numpy only, so a short series never pays pandas' import."""

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


def earlier_below(v: np.ndarray) -> np.ndarray:
    """For each ``v[i]``, how many of ``v[0 .. i-1]`` are strictly below it (int64; no NaN in ``v``).

    Exact integers either way: pandas' expanding ``rank(method="min")`` is 1 + the count strictly below
    among the values so far; the numpy path counts ranks in a wavelet matrix
    (``signals.windows.count_earlier_below``).
    """
    n = v.size
    if n >= RANK_PANDAS_FROM:
        import pandas as pd  # a year of bars only (the wavelet path below is also faster there: 43 vs 56 ms)

        ranks = np.asarray(pd.Series(v).expanding().rank(method="min").to_numpy(), dtype=np.float64)
        counts: np.ndarray = np.rint(ranks).astype(np.int64) - 1
        return counts
    return count_earlier_below(v)  # a wavelet matrix (signals.windows): 2 ms for a month, was 5 ms


def expanding_terciles(values: np.ndarray, min_history: int) -> dict[str, np.ndarray]:
    """``low`` / ``mid`` / ``high`` of each value against every known value up to and including its bar.

    With ``k`` values known so far (this one included) and ``r`` of them strictly below it: ``low`` when
    ``r / k < 1/3``, ``high`` when ``r / k >= 2/3``, else ``mid``. Unlabelled while ``k < min_history``
    and where the value is NaN.
    """
    known = ~np.isnan(values)
    v = values[known]
    below = earlier_below(v)  # r: earlier values strictly below
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
    prepared: Prepared | None = None,
) -> RegimeScores:
    """Score a ``FlagTable`` once per regime value and once per quarter (see the module docstring).

    The forward returns, edges and directions are computed once for every pass (``prepared``, made here
    when None); the cells do not count events by leverage_driven (no report shows it for them).
    """
    prep = prepare(table, price, step_ms, horizons, DIRECTIONAL) if prepared is None else prepared

    def cell(mask: np.ndarray) -> SeriesScore:
        return score_table(table, price, missing, step_ms, horizons, mask, prepared=prep, leverage=False)

    regimes = {
        name: {value: cell(mask) for value, mask in vals.items()}
        for name, vals in labels(table, price, step_ms).items()
    }
    periods = {q: cell(mask) for q, mask in quarters(times_ms).items()}
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
    acc = SplitPooler()
    for p in parts:
        acc.add(p)
    return acc.result()


class SplitPooler:
    """``pool_splits`` one series at a time: the running pools only (the same left fold as ``pool``)."""

    def __init__(self) -> None:
        self._regimes: dict[str, dict[str, Pooler]] = {}
        self._periods: dict[str, Pooler] = {}

    def add(self, part: RegimeScores) -> None:
        """Add one series' splits."""
        for name, values in part.regimes.items():
            pools = self._regimes.setdefault(name, {})
            for v, score in values.items():
                pools.setdefault(v, Pooler()).add(score)
        for q, score in part.periods.items():
            self._periods.setdefault(q, Pooler()).add(score)

    def result(self) -> RegimeScores:
        """The pooled splits: regimes in REGIMES order, quarters in time order."""
        regimes = {
            name: {v: self._regimes[name][v].result() for v in values if v in self._regimes[name]}
            for name, values in REGIMES.items()
            if name in self._regimes
        }
        periods = {q: self._periods[q].result() for q in sorted(self._periods)}
        return RegimeScores({k: v for k, v in regimes.items() if v}, periods)
