"""Measured hit rates for the drill-down: each directional flag scored on one symbol's own history.

The figures come from ``signals.scoring.score_series``, the code ``perptop backtest`` runs, on the
symbol's cross-venue series: from the history store when the monitor records (up to its retention),
else from the bars in memory (the simulated week in the demo, the bars replayed so far in a replay).
A flag with fewer than ``MIN_EVENTS`` scored events shows "not enough history: N events" rather than a
rate, since a rate of 3 events says nothing; a flag whose inputs the history lacks says which.

``prepare_*`` run on the event loop and only copy or name what to read; the callable they return
does the reading and scoring, and is meant for a worker thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from feeds.messages import ALL
from signals.columns import COLUMNS
from signals.params import SignalParams
from signals.scoring import DIRECTIONAL, FlagScore, fill_gaps, score_series
from signals.times import DAY_MS
from tui.model.bars import BarStore

MIN_EVENTS = 10
HORIZON = ("24h", 24.0)


@dataclass(frozen=True)
class FlagRecord:
    """A flag's measured record on one symbol (the drill-down's scoring, ``perptop backtest``'s code).

    Attributes:
        hit_rate: share of its scored events that moved the flag's way over ``horizon``.
        baseline: the same bet's hit rate on every bar of the history.
        ci95: the hit rate's 95 % interval (None when undefined).
        n: scored events.
        horizon: the forward horizon (``"24h"``).
        verdict: ``beats`` (the interval lies above the baseline), ``worse`` or ``within``.
    """

    hit_rate: float
    baseline: float
    ci95: tuple[float, float] | None
    n: int
    horizon: str
    verdict: str

    @property
    def has_edge(self) -> bool:
        """Whether the measured interval lies above the baseline."""
        return self.verdict == "beats"

    def as_json(self) -> dict[str, Any]:
        """The ``record`` object of an event."""
        return {
            "hit_rate": _round(self.hit_rate),
            "baseline": _round(self.baseline),
            "ci95": [_round(self.ci95[0]), _round(self.ci95[1])] if self.ci95 else None,
            "n": self.n,
            "horizon": self.horizon,
            "verdict": self.verdict,
        }


def _round(x: float) -> float | None:
    return round(x, 4) if math.isfinite(x) else None


@dataclass(frozen=True)
class HitRates:
    """One symbol's measured flags.

    Attributes:
        symbol: the symbol.
        origin: where the bars came from, in words (``"21.4 days of stored history"``).
        horizon: the forward horizon scored (``"24h"``).
        lines: flag name -> its figure in words, for every directional flag.
        rates: flag name -> the short figure shown beside a flag that is on (flags with a rate only).
        records: flag name -> its figures as numbers (flags with a rate only), for events and alerts.
    """

    symbol: str
    origin: str
    horizon: str
    lines: dict[str, str] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)
    records: dict[str, FlagRecord] = field(default_factory=dict)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def describe(score: FlagScore, horizon: str) -> tuple[str, str | None]:
    """A flag's line, and its short figure when it has enough events for one."""
    if not score.scorable:
        return f"cannot be measured: needs {', '.join(score.missing)}", None
    h = score.horizons[horizon]
    n = h.events.n
    if n < MIN_EVENTS:
        return f"not enough history: {n} event{'' if n == 1 else 's'}", None
    ci = h.events.ci95
    verdict = {"beats": "beats base", "worse": "below base", "within": "≈ base"}[h.verdict]
    interval = f" ({_pct(ci[0])}-{_pct(ci[1])})" if ci else ""
    line = f"{_pct(h.events.hit_rate)} vs {_pct(h.baseline)} base{interval} n={n} {verdict}"
    return line, f"{_pct(h.events.hit_rate)} vs {_pct(h.baseline)} base ({horizon}, {n} events)"


def measure(symbol: str, bars: np.ndarray, step_ms: int, params: SignalParams, origin: str) -> HitRates:
    """Score every directional flag on ``bars`` (the symbol's cross-venue series, oldest first)."""
    label, hours = HORIZON
    bars = bars[~np.isnan(bars[:, 1])] if len(bars) else bars
    result = HitRates(symbol, origin, label)
    if len(bars) < 2:
        result.lines.update(dict.fromkeys(DIRECTIONAL, "not enough history: no bars"))
        return result
    filled, _ = fill_gaps(bars, step_ms)
    score = score_series(filled, params, step_ms, {label: hours})
    for name in DIRECTIONAL:
        line, rate = describe(score.flags[name], label)
        result.lines[name] = line
        if rate is not None:
            result.rates[name] = rate
            h = score.flags[name].horizons[label]
            if h.events.hit_rate is not None and h.baseline is not None:
                result.records[name] = FlagRecord(
                    h.events.hit_rate, h.baseline, h.events.ci95, h.events.n, label, h.verdict
                )
    return result


def span_words(bars: np.ndarray, step_ms: int) -> str:
    """How long the bars reach back, in days (``"21.4 days"``)."""
    if not len(bars):
        return "no bars"
    days = (bars[-1, 0] - bars[0, 0] + step_ms) / DAY_MS
    return f"{days:.1f} days"


def prepare_memory(store: BarStore, symbol: str, params: SignalParams, what: str) -> Callable[[], HitRates]:
    """Score the cross-venue bars the app holds in memory (copied now, on the event loop).

    Args:
        store: the app's ``BarStore``.
        symbol: the symbol.
        params: the flag thresholds.
        what: how to name those bars (``"simulated history in memory"``, ``"bars replayed so far"``).
    """
    bars = np.array(store.series(symbol, ALL))
    step = int(store.step_ms)
    return lambda: measure(symbol, bars, step, params, f"{span_words(bars, step)} of {what}")


def prepare_stored(path: Path, symbol: str, params: SignalParams) -> Callable[[], HitRates]:
    """Score the symbol's cross-venue series as the history store holds it (read on the worker thread)."""

    def run() -> HitRates:
        from feeds.history.store import HistoryStore
        from tui.model.stored import stored_series

        reader = HistoryStore(path, None, readonly=True)
        try:
            series, step = stored_series(reader, [symbol], "all", 0)
        finally:
            reader.close()
        bars = series.get(symbol, np.empty((0, len(COLUMNS))))
        return measure(symbol, bars, step, params, f"{span_words(bars, step)} of stored history")

    return run
