"""Command-palette provider (Ctrl+P): jump to any watched symbol."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import PerptopApp


class SymbolCommands(Provider):
    """One command per watched symbol: ``go to BTC`` selects its row (clearing a filter that hides it)."""

    def _symbols(self) -> list[str]:
        app = cast("PerptopApp", self.app)
        return list(app.store.symbols)

    async def search(self, query: str) -> Hits:
        """Symbols matching ``query`` (fuzzy)."""
        app = cast("PerptopApp", self.app)
        matcher = self.matcher(query)
        for symbol in self._symbols():
            text = f"go to {symbol}"
            score = max(matcher.match(symbol), matcher.match(text))
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(app.jump_to, symbol), help="select its row")

    async def discover(self) -> Hits:
        """Every symbol, before anything is typed."""
        app = cast("PerptopApp", self.app)
        for symbol in self._symbols():
            yield DiscoveryHit(f"go to {symbol}", partial(app.jump_to, symbol), help="select its row")
