"""The "by regime" and "by quarter" section of ``perptop backtest``'s table (``signals.regimes``).

At the first horizon only, so the section stays a few lines per flag: for each directional flag with
events, a line per regime (trend, volatility, funding, leverage_driven) with a cell per value, then its
quarters. Each cell is the hit rate of the non-overlapping events in that regime value against the
baseline of the same bet on that value's bars, their count, and a mark for the verdict (``+`` beats,
``-`` below; the regime cells' own Benjamini-Hochberg family). Every line fits in 120 columns.
"""

from __future__ import annotations

from typing import TextIO

from signals.formats import counted
from signals.regimes import REGIMES, RegimeScores
from signals.scoring import DIRECTIONAL, HorizonScore, SeriesScore
from signals.significance import BEATS, WORSE, Significance
from tui.cli.backtest_json import tests_of

WIDTH = 120
LABEL = "  {:<16}"
"""The regime's name before its cells: 18 columns."""
SHOWN = {"zero_or_missing": "zero/na"}
"""Values whose name is too long for a cell."""
MARK = {BEATS: "+", WORSE: "-"}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def cell(value: str, h: HorizonScore, sig: Significance | None) -> str:
    """``up       55.0% vs 50.1% n   20+``: 32 columns."""
    ind = h.independent
    mark = MARK.get(sig.verdict, " ") if sig is not None else " "
    return f"{SHOWN.get(value, value):<8}{_pct(ind.hit_rate):>6} vs{_pct(h.baseline):>6} n{ind.n:>5}{mark}"


def _line(label: str, cells: list[str], out: TextIO) -> None:
    """The label then the cells, wrapped under the label's width so no line passes ``WIDTH``."""
    head = LABEL.format(label)
    row = head
    for c in cells:
        if len(row) + 2 + len(c) > WIDTH and row.strip() != label:
            out.write(row.rstrip() + "\n")
            row = " " * len(head)
        row += c + "  "
    out.write(row.rstrip() + "\n")


def write_regimes(
    pooled: SeriesScore, splits: RegimeScores, sig: dict[int, Significance], horizon: str, out: TextIO
) -> None:
    """The section, for the pooled scores at ``horizon``."""
    names = [n for n in DIRECTIONAL if pooled.flags[n].scorable and pooled.flags[n].events]
    if not names:
        return
    out.write(
        f"\nby regime and by quarter at {horizon}: hit rate of the events at least one horizon apart vs the "
        "baseline\nof the same bet on that regime's (quarter's) bars, their n; + beats, - below it "
        f"(q over the {counted(tests_of(sig), 'regime test')}).\n"
        "trend: trailing 7-day return above +5% up, below -5% down; volatility: 24 h realised, terciles of "
        "the values\nknown so far; funding: sign of funding8h at the bar. Definitions in --json's "
        "regime_definitions.\n"
    )
    absent = [r for r in REGIMES if r not in splits.regimes]
    for name in names:
        out.write(f"{name}\n")
        for regime, values in splits.regimes.items():
            cells = [
                cell(v, s.flags[name].horizons[horizon], sig.get(id(s.flags[name].horizons[horizon])))
                for v, s in values.items()
                if s.flags[name].horizons
            ]
            _line(regime, cells, out)
        quarters = [
            cell(q, s.flags[name].horizons[horizon], None)
            for q, s in splits.periods.items()
            if s.flags[name].horizons
        ]
        _line("by quarter", quarters, out)
    if absent:
        out.write(f"not split by {', '.join(absent)}: the file lacks its columns\n")
