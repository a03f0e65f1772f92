"""A venue's perpetual name -> (base coin, multiplier): ``1000PEPEUSDT`` -> ("PEPE", 1000.0).

The multiplier is how many base coins one quoted unit stands for, so a price divided by it is per one
coin and compares across venues (Binance's 1000PEPEUSDT, Hyperliquid's kPEPE and spot PEPE).
OKX names carry no multiplier (its contracts have ``ctVal`` instead), so they split on the dash.
Cached: history parsers ask once per row, for a handful of names.
"""

from __future__ import annotations

import functools

# Longest first: "1000000" must win over "1000".
_PREFIXES: tuple[tuple[str, float], ...] = (("1000000", 1e6), ("10000", 1e4), ("1000", 1e3), ("1M", 1e6))
_QUOTES = ("USDT", "USDC", "USD")


@functools.lru_cache(maxsize=4096)
def split_instrument(venue: str, instrument: str) -> tuple[str, float]:
    """The base coin and multiplier of ``instrument`` on ``venue`` (binance, bybit, okx, hyperliquid).

    Args:
        venue: the venue's name.
        instrument: the venue's own symbol, e.g. ``BTCUSDT``, ``BTC-USDT-SWAP``, ``kPEPE``.
    """
    if venue == "okx":
        return instrument.split("-")[0], 1.0
    if venue == "hyperliquid":
        # kPEPE is 1000 PEPE; a lower-case k before an upper-case name is the only multiplier there.
        if len(instrument) > 1 and instrument[0] == "k" and instrument[1:].isupper():
            return instrument[1:], 1000.0
        return instrument, 1.0
    name = instrument
    for quote in _QUOTES:
        if name.endswith(quote) and len(name) > len(quote):
            name = name[: -len(quote)]
            break
    for prefix, multiplier in _PREFIXES:
        rest = name[len(prefix) :]
        # 1INCH keeps its digit: a prefix counts only when a letter follows it.
        if name.startswith(prefix) and rest[:1].isalpha() and not rest.isdigit():
            return rest, multiplier
    return name, 1.0
