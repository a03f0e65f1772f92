"""``BacktestResult``: a scored history (per-series scores, their pool, significance, regime splits) and
its ``--json`` document; ``HistoryInfo``: what the history held, without its bars.

Apart from ``tui.cli.backtest_report`` (which builds it) so that the table, the scorecard and the sweep
can read it without importing the command that runs them. The result keeps the history's metadata, never
its bars: the backtest streams the series one at a time and lets each go once it is scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signals.params import n_bars
from signals.regimes import DEFINITIONS, RegimeScores
from signals.scoring import SeriesScore
from signals.significance import Significance
from tui.cli.backtest_json import BOOTSTRAP_BLOCK, flags_json, tests_of, unscorable


@dataclass
class HistoryInfo:
    """What a scored history held, gathered while its series streamed past.

    Attributes:
        path: the file or folder.
        columns: the signal columns with a value in it, in COLUMNS order.
        step_ms: the bar step.
        symbols: the series scored, in the order read (``""`` for a file of one unnamed series).
        first_ms: the earliest bar's time (ms); NaN before any series was read.
        last_ms: the latest bar's time (ms); NaN likewise.
        rows: the rows read (before gaps were filled).
        problems: one line per skipped row or ignored column.
        missing: the wanted symbols not in the history.
    """

    path: Path
    columns: tuple[str, ...]
    step_ms: float
    symbols: list[str] = field(default_factory=list)
    first_ms: float = float("nan")
    last_ms: float = float("nan")
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def saw(self, key: str, first_ms: float, last_ms: float, rows: int) -> None:
        """Count one series read (its key, first and last bar time and rows)."""
        self.symbols.append(key)
        self.first_ms = first_ms if not self.first_ms <= first_ms else self.first_ms  # NaN-safe min
        self.last_ms = last_ms if not self.last_ms >= last_ms else self.last_ms
        self.rows += rows


@dataclass
class BacktestResult:
    """A scored history: per-series scores, their pool, and what the history held."""

    history: HistoryInfo
    horizons: dict[str, float]
    per_series: dict[str, SeriesScore]
    pooled: SeriesScore
    rows: int
    missing_bars: int
    significance: dict[int, Significance]
    splits: RegimeScores = field(default_factory=RegimeScores)
    split_significance: dict[int, Significance] = field(default_factory=dict)
    bootstrap: int = 0
    seed: int = 0

    @property
    def tests(self) -> int:
        """How many flag x horizon x series tests the q-values were corrected over."""
        return tests_of(self.significance)

    @property
    def step_ms(self) -> float:
        """The file's bar step."""
        return self.history.step_ms

    def as_json(self) -> dict[str, Any]:
        """The SIGNALS.md ``--json`` shape, plus per-symbol results, ``unscorable`` and ``problems``."""
        doc: dict[str, Any] = {
            "bars": self.rows,
            "step_s": self.step_ms / 1000,
            "flags": flags_json(self.pooled, self.significance, self.splits, self.split_significance),
            "unscorable": unscorable(self.pooled),
            "tests": self.tests,
            "regime_tests": tests_of(self.split_significance),
            "regime_definitions": {r: DEFINITIONS[r] for r in self.splits.regimes},
            "file": str(self.history.path),
            "columns": list(self.history.columns),
            "horizons": {h: {"hours": v, "bars": n_bars(v, self.step_ms)} for h, v in self.horizons.items()},
            "missing_bars": self.missing_bars,
            "problems": self.history.problems,
        }
        if self.bootstrap:
            doc["bootstrap"] = {"resamples": self.bootstrap, "seed": self.seed, "block": BOOTSTRAP_BLOCK}
        if any(self.per_series):
            doc["symbols"] = {
                k: {"bars": s.bars, "flags": flags_json(s, self.significance), "unscorable": unscorable(s)}
                for k, s in self.per_series.items()
            }
        return doc
