"""Each symbol's measured flag records, for the ``record`` of an event and for ``only_with_edge``.

The figures are the drill-down's (``tui.model.hit_rates.measure``: ``perptop backtest``'s scoring on
the symbol's own history). Measuring takes tens of milliseconds a symbol, so the book is refreshed
now and then rather than at each event: ``due`` names the symbols whose record is older than
``every_ms`` (of bar time), and whoever owns the book measures them where it can afford to (a worker
thread in the app, inline in a replay) and hands the results to ``update``.
"""

from __future__ import annotations

from collections.abc import Iterable

from signals.scoring import DIRECTIONAL
from tui.model.hit_rates import FlagRecord, HitRates

REFRESH_MS = 6 * 3_600_000
"""How old (in bar time) a symbol's record may get before it is measured again."""
NOT_YET = "not measured yet"


class RecordBook:
    """The latest ``HitRates`` of each symbol, and when (bar time) it was measured."""

    def __init__(self, every_ms: int = REFRESH_MS) -> None:
        self.every_ms = every_ms
        self._rates: dict[str, HitRates] = {}
        self._at: dict[str, int] = {}
        self._failed: dict[str, str] = {}
        self.version = 0  # grows with every ``update``: the watchlist re-dims its flags when it moves

    def due(self, symbols: Iterable[str], now_ms: int) -> list[str]:
        """The symbols never measured, or measured over ``every_ms`` before ``now_ms``."""
        return [s for s in symbols if s not in self._at or now_ms - self._at[s] >= self.every_ms]

    def mark(self, symbols: Iterable[str], now_ms: int) -> None:
        """Note that ``symbols`` are being measured as of ``now_ms`` (so they are not asked for twice)."""
        for s in symbols:
            self._at[s] = now_ms

    def update(self, rates: HitRates) -> None:
        """Keep a symbol's fresh measurement."""
        self._rates[rates.symbol] = rates
        self._failed.pop(rates.symbol, None)
        self.version += 1  # after the dict is updated: a reader that sees the new version sees the rates

    def edges(self, symbol: str) -> frozenset[str] | None:
        """The flags with a measured edge (verdict "beats") on ``symbol``; None before its first
        measurement. A plain dict read, cheap enough for a paint (the scoring ran on the worker)."""
        rates = self._rates.get(symbol)
        return None if rates is None else rates.edges

    def fail(self, symbol: str, note: str) -> None:
        """A symbol's measurement failed: its events say why (and the last good record is kept)."""
        self._failed[symbol] = note

    def lookup(self, symbol: str, flag: str) -> tuple[FlagRecord | None, str | None]:
        """The flag's record on ``symbol``, or None and why there is none."""
        rates = self._rates.get(symbol)
        if flag not in DIRECTIONAL:
            return None, "a context flag: it predicts no direction, so it has no hit rate"
        if rates is None:
            return None, self._failed.get(symbol, NOT_YET)
        record = rates.records.get(flag)
        if record is not None:
            return record, None
        return None, rates.lines.get(flag, NOT_YET)
