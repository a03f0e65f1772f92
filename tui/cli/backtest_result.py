"""``BacktestResult``: a scored history file (per-series scores, their pool, significance, regime splits) and
its ``--json`` document.

Apart from ``tui.cli.backtest_report`` (which builds it) so that the table, the scorecard and the sweep
can read it without importing the command that runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from feeds.history.csvfile import HistoryFile
from signals.params import n_bars
from signals.regimes import DEFINITIONS, RegimeScores
from signals.scoring import SeriesScore
from signals.significance import Significance
from tui.cli.backtest_json import BOOTSTRAP_BLOCK, flags_json, tests_of, unscorable


@dataclass
class BacktestResult:
    """A scored file: per-series scores, their pool, and what the file held."""

    history: HistoryFile
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
