"""Noticing that a venue stopped listing a watched symbol while perptop runs, and that it came back.

A venue's batch answer (Binance and Bybit tickers, OKX swap tickers, Hyperliquid ``metaAndAssetCtxs``)
carries every perpetual it lists. A watched symbol missing from ``MISSING_ANSWERS`` consecutive answers is
taken as delisted: one answer can leave a symbol out without the venue delisting it (an item garbled and
skipped, an answer cut short, an instrument paused for a few seconds around a settlement), and three in a
row span two poll intervals, the time after which a series shows as stale anyway. So one partial answer
never makes a row flap between "not listed" and figures. A symbol that shows up again in one answer is
back at once: the venue carries it, so its figures are real.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MISSING_ANSWERS = 3


@dataclass
class DelistWatch:
    """Counts, per watched listed symbol, the consecutive batch answers that did not carry it.

    Attributes:
        answers: how many consecutive answers without a symbol mean it was delisted.
        missing: symbol -> consecutive answers without it (only symbols not yet taken as delisted).
        gone: symbols taken as delisted while running (they come back when an answer carries them).
    """

    answers: int = MISSING_ANSWERS
    missing: dict[str, int] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)

    def observe(self, carried: set[str], listed: Iterable[str]) -> tuple[list[str], list[str]]:
        """One batch answer carrying ``carried`` bases; ``listed`` are the watched bases held as listed.

        Returns:
            (delisted now, back now): symbols to mark "not listed", and delisted ones the answer carries.
        """
        if not carried:  # an answer carrying nothing is garbled, not every symbol delisted at once
            return [], []
        back = sorted(self.gone & carried)
        self.gone -= carried
        delisted: list[str] = []
        for base in listed:
            if base in carried:
                self.missing.pop(base, None)
                continue
            n = self.missing.get(base, 0) + 1
            if n >= self.answers:
                self.missing.pop(base, None)
                self.gone.add(base)
                delisted.append(base)
            else:
                self.missing[base] = n
        return delisted, back

    def forget(self, base: str) -> None:
        """``base`` left the watchlist: its count starts again if it is added back."""
        self.missing.pop(base, None)
