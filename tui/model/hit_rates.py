"""Measured hit rates for the drill-down: each directional flag scored on one symbol's own history.

The figures come from ``signals.scoring.score_series``, the code ``perptop backtest`` runs, on the
symbol's cross-venue series: from the history store when the monitor records (up to its retention),
else from the bars in memory (the simulated week in the demo, the bars replayed so far in a replay).
A flag with fewer than ``MIN_EVENTS`` scored events shows "not enough history: N events" rather than a
rate, since a rate of 3 events says nothing; a flag whose inputs the history lacks says which.

Beside the plain figure (every rising edge) each flag gets the dependence-aware one of
``signals.significance``: its events at least a horizon apart, their Wilson interval, a Benjamini-Hochberg
q-value and the verdict ("beats", "worse", "no edge measured"). The q-values are corrected over one family
per symbol: every directional flag of that symbol that could be tested at the horizon shown (flag x
horizon; the drill-down scores one horizon, so the family is that symbol's flags at 24h). ``HitRates.edges``
names the flags whose verdict is "beats": the watchlist dims the others (``[display] dim_unproven``).

``prepare_*`` run on the event loop and only copy or name what to read; the callable they return
does the reading and scoring, and is meant for a worker thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from feeds.messages import ALL
from signals.columns import COLUMNS
from signals.params import SignalParams
from signals.scoring import DIRECTIONAL, FlagScore, fill_gaps, score_series
from signals.significance import BEATS, Significance, assess
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
        verdict: the dependence-aware verdict of ``signals.significance``: ``beats`` (q-value at most
            0.05 and the interval of the events a horizon apart above the baseline), ``worse`` (that
            interval below it) or ``no edge measured``.
        n_independent: the events at least a horizon apart (``signals.significance.non_overlapping``).
        ci95_dependent: the Wilson 95 % interval of their hit rate (None without such events).
        q_value: Benjamini-Hochberg q-value over the symbol's flags (None when not tested).
        verdict_plain: the verdict over every event (``beats``, ``worse``, ``within``): too sure of
            itself when events overlap, kept for comparison.
    """

    hit_rate: float
    baseline: float
    ci95: tuple[float, float] | None
    n: int
    horizon: str
    verdict: str
    n_independent: int = 0
    ci95_dependent: tuple[float, float] | None = None
    q_value: float | None = None
    verdict_plain: str = ""

    @property
    def has_edge(self) -> bool:
        """Whether the dependence-aware verdict is ``beats`` (what ``only_with_edge`` alerts on)."""
        return self.verdict == BEATS

    def as_json(self) -> dict[str, Any]:
        """The ``record`` object of an event."""
        return {
            "hit_rate": _round(self.hit_rate),
            "baseline": _round(self.baseline),
            "ci95": _pair(self.ci95),
            "n": self.n,
            "horizon": self.horizon,
            "verdict": self.verdict,
            "n_independent": self.n_independent,
            "ci95_dependent": _pair(self.ci95_dependent),
            "q_value": None if self.q_value is None else _round(self.q_value),
            "verdict_plain": self.verdict_plain,
        }

    def significance_words(self) -> str:
        """The dependence-aware figures in a few words: ``"apart n=9 (40%-85%) q=0.41: no edge measured"``
        (the events a horizon apart, their interval, the q-value, the verdict)."""
        ci = self.ci95_dependent
        interval = f" ({_pct(ci[0])}-{_pct(ci[1])})" if ci else ""
        return f"apart n={self.n_independent}{interval} {q_words(self.q_value)}: {self.verdict}"


def _pair(ci: tuple[float, float] | None) -> list[float | None] | None:
    return [_round(ci[0]), _round(ci[1])] if ci else None


def q_words(q: float | None) -> str:
    """A q-value as shown: ``q=0.41``, ``q=0.032`` near the 0.05 cut, ``q<0.001``, ``q -`` untested."""
    if q is None:
        return "q -"
    if q < 0.001:
        return "q<0.001"
    return f"q={q:.3f}" if q < 0.1 else f"q={q:.2f}"


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
        tests: how many flag x horizon tests the q-values were corrected over (this symbol's family).
    """

    symbol: str
    origin: str
    horizon: str
    lines: dict[str, str] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)
    records: dict[str, FlagRecord] = field(default_factory=dict)
    tests: int = 0

    @property
    def edges(self) -> frozenset[str]:
        """The flags whose dependence-aware verdict on this symbol is ``beats``; every other flag
        (worse, no edge, too few events, not measurable) has no measured edge."""
        return frozenset(name for name, r in self.records.items() if r.has_edge)


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
    interval = f" ({_pct(ci[0])}-{_pct(ci[1])})" if ci else ""
    # No verdict here: the interval over every event is too narrow (overlapping forward windows), and a
    # "beats base" from it beside the dependence-aware "no edge measured" read as a contradiction.
    line = f"{_pct(h.events.hit_rate)} vs {_pct(h.baseline)} base{interval} n={n}"
    return line, f"{_pct(h.events.hit_rate)} vs {_pct(h.baseline)} base ({horizon}, {n} events)"


def measure(symbol: str, bars: np.ndarray, step_ms: int, params: SignalParams, origin: str) -> HitRates:
    """Score every directional flag on ``bars`` (the symbol's cross-venue series, oldest first)."""
    label, hours = HORIZON
    bars = bars[~np.isnan(bars[:, 1])] if len(bars) else bars
    if len(bars) < 2:
        empty = HitRates(symbol, origin, label)
        empty.lines.update(dict.fromkeys(DIRECTIONAL, "not enough history: no bars"))
        return empty
    filled, _ = fill_gaps(bars, step_ms)
    score = score_series(filled, params, step_ms, {label: hours})
    # One BH family per symbol: every directional flag x horizon scored here (one horizon), tested or not
    # (``assess`` corrects over those with a p-value, i.e. with at least one event apart).
    scored = [n for n in DIRECTIONAL if score.flags[n].scorable and label in score.flags[n].horizons]
    sig: dict[str, Significance] = dict(
        zip(scored, assess([score.flags[n].horizons[label] for n in scored]), strict=True)
    )
    result = HitRates(symbol, origin, label, tests=sum(1 for s in sig.values() if s.p_value is not None))
    for name in DIRECTIONAL:
        line, rate = describe(score.flags[name], label)
        result.lines[name] = line
        if rate is not None:
            result.rates[name] = rate
            h = score.flags[name].horizons[label]
            s = sig[name]
            if h.events.hit_rate is not None and h.baseline is not None:
                result.records[name] = FlagRecord(
                    h.events.hit_rate,
                    h.baseline,
                    h.events.ci95,
                    h.events.n,
                    label,
                    s.verdict,
                    s.n_independent,
                    s.ci95_dependent,
                    s.q_value,
                    h.verdict,
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


def prepare_stored(
    path: Path, symbol: str, params: SignalParams, venues: Sequence[str] | None = None
) -> Callable[[], HitRates]:
    """Score the symbol's cross-venue series as the history store holds it (read on the worker thread),
    made of ``venues`` (the monitor's; default: every venue in the store, a scan of all its rows)."""
    run = prepare_stored_many(path, [symbol], params, venues)
    return lambda: run()[0]


def prepare_stored_many(
    path: Path, symbols: Sequence[str], params: SignalParams, venues: Sequence[str] | None = None
) -> Callable[[], list[HitRates]]:
    """``prepare_stored`` of several symbols, read from the store together (``each_stored_series`` reads a
    few symbols a pass; one pass each cost 54 ms a symbol on a packed week); one result a symbol."""

    def run() -> list[HitRates]:
        from feeds.history.store import HistoryStore
        from tui.model.stored import each_stored_series, stored_step

        def score(symbol: str, bars: np.ndarray) -> HitRates:
            return measure(symbol, bars, step, params, f"{span_words(bars, step)} of stored history")

        reader = HistoryStore(path, None, readonly=True)
        try:
            step = stored_step(reader)
            # each symbol's bars scored and let go as its pass comes, not all held at once
            measured = {
                s: score(s, bars) for s, bars in each_stored_series(reader, symbols, "all", 0, step, venues)
            }
        finally:
            reader.close()
        no_bars = np.empty((0, len(COLUMNS)))  # a symbol the store has no priced bar of
        return [measured[s] if s in measured else score(s, no_bars) for s in symbols]

    return run
