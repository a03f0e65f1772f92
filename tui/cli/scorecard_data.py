"""``Scorecard``: everything a ``backtest --report`` scorecard shows, read by both renderers.

Apart from ``tui.cli.backtest_scorecard`` (which gathers it and picks the renderer) so that
``scorecard_html``, ``scorecard_md``, ``scorecard_charts`` and ``scorecard_rows`` import the data without
importing the command that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from feeds.history.csvfile import symbol_listing
from signals.formats import counted
from signals.regimes import DEFINITIONS
from signals.scoring import DIRECTIONAL
from signals.significance import Q_MAX
from tui import __version__
from tui.cli.backtest_combined import METHOD

SYMBOLS_SHOWN = 30
"""Symbols listed by name in the data section; past that, ``and N more``."""


@dataclass
class Scorecard:
    """Everything a scorecard shows.

    Attributes:
        made: when it was made, ``2025-03-01 14:05:09 UTC``.
        command: the command line, quoted for a shell.
        doc: the ``--json`` document, with ``combined``.
        symbols: the file's symbols (empty for a file without a symbol column).
        span: first and last bar, UTC.
        step: the bar step, ``1h``.
        absent: signal columns the file lacks -> the flags each one leaves unscorable.
        claims: horizon -> ``claim_sentence`` (horizons the combined model could score).
    """

    made: str
    command: str
    doc: dict[str, Any]
    symbols: list[str]
    span: tuple[str, str]
    step: str
    absent: dict[str, list[str]]
    claims: dict[str, str] = field(default_factory=dict)
    version: str = __version__

    @property
    def first(self) -> str:
        """The first horizon: the one the regime and quarter splits are shown at."""
        return str(next(iter(self.doc["horizons"])))

    def directional(self) -> list[str]:
        """The scorable directional flags, in SIGNALS.md order."""
        flags = self.doc["flags"]
        return [n for n in DIRECTIONAL if n in flags and flags[n].get("events") is not None]

    def with_events(self) -> list[str]:
        """The directional flags with at least one event: those the split charts are drawn for."""
        return [n for n in self.directional() if self.doc["flags"][n]["events"]]

    def context(self) -> dict[str, int]:
        """Context flags (no direction to score) that could be scored -> their events."""
        flags = self.doc["flags"]
        return {
            n: f["events"] for n, f in flags.items() if n not in DIRECTIONAL and f.get("events") is not None
        }

    def symbol_text(self) -> str:
        """``BTC, ETH and 3 more`` past ``SYMBOLS_SHOWN``; ``one series (no symbol column)`` without any."""
        if not self.symbols:
            return "one series (no symbol column)"
        return str(symbol_listing(self.symbols, SYMBOLS_SHOWN))

    def method(self) -> list[str]:
        """The method in sentences, in the wording of the table and the JSON document."""
        doc = self.doc
        lines = [
            (
                "An event is a rising edge of a flag; a hit is a forward move in the flag's direction; the "
                "baseline is that same bet on every bar."
            ),
            (
                "The verdict uses the non-overlapping events (an event within one horizon of the last one "
                "counted is not counted again): their Wilson 95 % interval, the one-sided exact binomial p-value "
                "of their hits against the baseline rate, and the Benjamini-Hochberg q-value over all "
                f"{counted(doc['tests'], 'test')} of this run; 'beats' needs q <= {Q_MAX:g} and the interval "
                "above the baseline, 'worse' the interval below it, anything else is 'no edge measured'."
            ),
            (
                "Excess: mean signed forward return at those events minus that of all bars, in basis points, "
                "with its normal-approximation 95 % interval."
            ),
            (
                f"By regime (at {self.first}): each regime value's events against the baseline of the same bet "
                "on that value's bars; their q-values are one family of their own over "
                f"{counted(doc.get('regime_tests', 0), 'regime test')}."
            ),
        ]
        defs = doc.get("regime_definitions") or DEFINITIONS
        lines += [f"{name}: {text}." for name, text in defs.items()]
        lines.append(f"The combined model: {METHOD}.")
        return lines
