"""Command-palette provider (Ctrl+P): jump to any watched symbol."""

from __future__ import annotations

from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider


class SymbolJumps(Protocol):
    """What the palette needs of the app: the watched symbols, and a way to select one's row."""

    def watched_symbols(self) -> list[str]:
        """The watched symbols, in watchlist order."""

    def jump_to(self, symbol: str) -> None:
        """Select ``symbol``'s row."""


class SymbolCommands(Provider):
    """One command per watched symbol: ``go to BTC`` selects its row (clearing a filter that hides it)."""

    def _symbols(self) -> list[str]:
        return cast(SymbolJumps, self.app).watched_symbols()

    async def search(self, query: str) -> Hits:
        """Symbols matching ``query`` (fuzzy)."""
        app = cast(SymbolJumps, self.app)
        matcher = self.matcher(query)
        for symbol in self._symbols():
            text = f"go to {symbol}"
            score = max(matcher.match(symbol), matcher.match(text))
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(app.jump_to, symbol), help="select its row")

    async def discover(self) -> Hits:
        """Every symbol, before anything is typed."""
        app = cast(SymbolJumps, self.app)
        for symbol in self._symbols():
            yield DiscoveryHit(f"go to {symbol}", partial(app.jump_to, symbol), help="select its row")
