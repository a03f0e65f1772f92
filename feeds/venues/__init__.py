"""The live venue adapters, by name: Binance USD-M, Bybit v5 linear, OKX v5 SWAP, Hyperliquid."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the adapters pull in httpx; naming the venues (config, --help) must not
    from feeds.venues.base import VenueAdapter

VENUE_NAMES: tuple[str, ...] = ("binance", "bybit", "okx", "hyperliquid")


def make_adapter(name: str) -> VenueAdapter:
    """A fresh adapter for venue ``name`` (one of ``VENUE_NAMES``)."""
    if name == "binance":
        from feeds.venues.binance import Binance

        return Binance()
    if name == "bybit":
        from feeds.venues.bybit import Bybit

        return Bybit()
    if name == "okx":
        from feeds.venues.okx import Okx

        return Okx()
    if name == "hyperliquid":
        from feeds.venues.hyperliquid import Hyperliquid

        return Hyperliquid()
    raise ValueError(f"unknown venue {name!r}: expected one of {', '.join(VENUE_NAMES)}")
