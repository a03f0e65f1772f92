"""The ``--json`` document of ``perptop backtest``: the SIGNALS.md shape plus the dependence-aware figures.

Per flag and horizon, beside SIGNALS.md's ``n``, ``hits``, ``hit_rate``, ``ci95``, ``baseline`` and
``mean_return`` (all events, plain Wilson interval): ``n_independent``, ``hits_independent``,
``ci95_dependent``, ``p_value``, ``q_value``, ``excess_return_bp``, ``excess_ci95`` and ``verdict`` ("beats",
"worse", "no edge measured", from ``signals.significance``); ``verdict_plain`` keeps the old comparison of
the plain interval with the baseline. ``significance_of`` runs the q-value correction over a whole run.

Per flag (of the pool, directional flags only), ``regimes`` (regime -> value -> horizon -> the same keys,
each value's baseline taken over that value's bars; ``signals.regimes``) and ``by_period`` (``"2025Q1"``
-> horizon -> ``n``, ``hits``, ``hit_rate``, ``ci95``, ``baseline``, ``n_independent``, ``ci95_dependent``).
The regime cells' q-values are one Benjamini-Hochberg family of their own, over every flag x horizon x
regime value of the pool (``regime_tests`` at the top says how many), apart from the run's main family so
that adding the splits does not change the whole-series q-values.

With ``--bootstrap N`` (``signals.bootstrap``), each whole-series flag and horizon (of every symbol and of
the pool; never of a regime or period) also gets ``ci95_bootstrap`` (the moving-block bootstrap 95 %
interval of the hit rate, ``[lo, hi]`` or null when fewer than half of the resamples drew an event),
``excess_ci95_bootstrap`` (that of the excess return, bp) and ``bootstrap_no_event`` (resamples that drew
no event); the top level gets ``bootstrap`` = ``{"resamples": N, "seed": S, "block": "one horizon"}``.
Without it none of these keys is there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from signals.flags import PER_BAR
from signals.regimes import RegimeScores
from signals.scoring import DIRECTIONAL, Counts, FlagScore, HorizonScore, SeriesScore
from signals.significance import Significance, assess

BOOTSTRAP_BLOCK = "one horizon"
"""The bootstrap's block length, as the JSON and the table say it."""


def significance_of(scores: Iterable[SeriesScore]) -> dict[int, Significance]:
    """``id(HorizonScore)`` -> its ``Significance``, q-values corrected across every directional flag x
    horizon of every series given (each score object once: a pool of one series is that series)."""
    seen: dict[int, HorizonScore] = {}
    for s in scores:
        for name in DIRECTIONAL:
            f = s.flags.get(name)
            if f is not None and f.scorable:
                for hs in f.horizons.values():
                    seen.setdefault(id(hs), hs)
    return dict(zip(seen, assess(list(seen.values())), strict=True))


def tests_of(sig: dict[int, Significance]) -> int:
    """How many tests the q-values were corrected over (those with a p-value)."""
    return sum(s.p_value is not None for s in sig.values())


def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits)


def _sig(x: float | None) -> float | None:
    """Four significant figures: p-values can be 1e-20 and must not round to 0."""
    return None if x is None else float(f"{x:.4g}")


def _pair(ci: tuple[float, float] | None, digits: int = 6) -> list[float | None] | None:
    return None if ci is None else [_r(ci[0], digits), _r(ci[1], digits)]


def counts_json(c: Counts) -> dict[str, Any]:
    """``n``, ``hits``, ``hit_rate``, ``ci95`` (Wilson) and ``mean_return`` of some events."""
    return {
        "n": c.n,
        "hits": c.hits,
        "hit_rate": _r(c.hit_rate),
        "ci95": _pair(c.ci95),
        "mean_return": _r(c.mean_return, 8),
    }


def horizon_json(h: HorizonScore, sig: Significance | None, split: bool) -> dict[str, Any]:
    """One flag at one horizon: the SIGNALS.md keys, the significance keys, the leverage split."""
    doc = counts_json(h.events)
    doc["baseline"] = _r(h.baseline)
    doc["baseline_bars"] = h.base_n
    doc["verdict_plain"] = h.verdict
    if sig is not None:
        doc["n_independent"] = sig.n_independent
        doc["hits_independent"] = sig.hits_independent
        doc["ci95_dependent"] = _pair(sig.ci95_dependent)
        doc["p_value"] = _sig(sig.p_value)
        doc["q_value"] = _sig(sig.q_value)
        doc["excess_return_bp"] = _r(sig.excess_return_bp, 2)
        doc["excess_ci95"] = _pair(sig.excess_ci95, 2)
        doc["verdict"] = sig.verdict
    boot = h.boot_interval()
    if boot is not None:
        doc["ci95_bootstrap"] = _pair(boot.hit_ci)
        doc["excess_ci95_bootstrap"] = _pair(boot.excess_ci, 2)
        doc["bootstrap_no_event"] = boot.no_event
    if split:
        doc["leverage_on"] = counts_json(h.leverage_on)
        doc["leverage_off"] = counts_json(h.leverage_off)
    return doc


def why(f: FlagScore) -> str:
    """Why a flag cannot be scored."""
    return f"needs {', '.join(f.missing)}, not in the file"


def unscorable(score: SeriesScore) -> dict[str, str]:
    """Flag -> why, for the flags that cannot be scored."""
    return {n: why(f) for n, f in score.flags.items() if not f.scorable}


def regime_significance(splits: RegimeScores) -> dict[int, Significance]:
    """The significance of every regime cell, q-values corrected over all of them (one family)."""
    return significance_of(cell for values in splits.regimes.values() for cell in values.values())


def period_json(h: HorizonScore) -> dict[str, Any]:
    """One flag at one horizon in one quarter: the plain figures, the baseline and the non-overlapping n."""
    doc = counts_json(h.events)
    doc["baseline"] = _r(h.baseline)
    doc["baseline_bars"] = h.base_n
    doc["n_independent"] = h.independent.n
    doc["hits_independent"] = h.independent.hits
    doc["ci95_dependent"] = _pair(h.independent.ci95)
    return doc


def splits_json(name: str, splits: RegimeScores, sig: dict[int, Significance]) -> dict[str, Any]:
    """``regimes`` and ``by_period`` of one flag."""
    regimes = {
        regime: {
            value: {
                h: horizon_json(hs, sig.get(id(hs)), split=False)
                for h, hs in cell.flags[name].horizons.items()
            }
            for value, cell in values.items()
        }
        for regime, values in splits.regimes.items()
    }
    periods = {
        q: {h: period_json(hs) for h, hs in cell.flags[name].horizons.items()}
        for q, cell in splits.periods.items()
    }
    return {"regimes": regimes, "by_period": periods}


def flags_json(
    score: SeriesScore,
    sig: dict[int, Significance],
    splits: RegimeScores | None = None,
    split_sig: dict[int, Significance] | None = None,
) -> dict[str, Any]:
    """Every flag of a series (or pool), in the SIGNALS.md shape; with ``splits`` (of the same scores),
    each directional flag also gets ``regimes`` and ``by_period`` (q-values from ``split_sig``)."""
    split = score.flags["leverage_driven"].scorable
    doc: dict[str, Any] = {}
    for name, f in score.flags.items():
        if not f.scorable:
            doc[name] = {
                "direction": f.direction,
                "events": None,
                "horizons": {},
                "scorable": False,
                "missing": list(f.missing),
            }
            continue
        doc[name] = {
            "direction": f.direction,
            "events": f.events,
            "horizons": {h: horizon_json(hs, sig.get(id(hs)), split) for h, hs in f.horizons.items()},
        }
        if f.direction is None:
            doc[name]["direction_rule"] = f"{PER_BAR[name]} at each event"
        if splits is not None and name in DIRECTIONAL:
            doc[name].update(splits_json(name, splits, split_sig or {}))
    return doc
