"""A fake Binance / Bybit / OKX / Hyperliquid on 127.0.0.1 for perptop's live-feed tests and benchmark.

``FakeExchange`` serves every venue's REST API on one HTTP port and their WebSocket APIs on another, from
a deterministic ``Market`` (same seed, same clock: same numbers on every endpoint), with fault injection
and a request log. ``python -m tests.fake_exchange`` runs it standalone.
"""

from tests.fake_exchange.market import MULTIPLIED, Market, default_symbols
from tests.fake_exchange.server import FakeExchange, Fault, Request

__all__ = ["MULTIPLIED", "FakeExchange", "Fault", "Market", "Request", "default_symbols"]
