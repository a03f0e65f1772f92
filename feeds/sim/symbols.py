"""Profiles of the simulated symbols and venues: price levels, volatility, open interest, venue traits.

Known symbols carry realistic levels (BTC ~96,500, PEPE ~0.0000123); any other symbol gets plausible
made-up figures derived from a hash of its name and the seed (a price from a cent to a few hundred dollars),
so the same name always looks the same.
The four venues are fictitious ("simA".."simD") so nobody mistakes simulated figures for an exchange's.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

VENUES: tuple[str, ...] = ("simA", "simB", "simC", "simD")
FUNDING_INTERVAL_H: dict[str, float] = {"simA": 8.0, "simB": 8.0, "simC": 4.0, "simD": 1.0}

# Share of the cross-venue open interest each venue holds (before a per-symbol jitter), and how its
# account base leans: venues differ a little, as real ones do, but follow the same market.
_OI_SHARE = np.array([0.38, 0.27, 0.20, 0.15])
_LS_LEAN = np.array([1.00, 1.08, 0.93, 1.04])
_FUNDING_LEAN = np.array([0.0, 0.00001, -0.00001, 0.000005])  # funding8h offset of each venue


@dataclass(frozen=True)
class SymbolProfile:
    """The figures a simulated symbol is built from.

    Attributes:
        symbol: the watchlist name.
        price: reference price (USD) the history ends near.
        vol: annualised volatility (0.5 = 50 %).
        oi_usd: typical cross-venue open interest in USD.
        turnover: futures volume per day as a multiple of open interest.
        sfr: usual spot/futures volume ratio.
        ls: usual long/short accounts ratio.
    """

    symbol: str
    price: float
    vol: float
    oi_usd: float
    turnover: float = 2.0
    sfr: float = 0.5
    ls: float = 1.4


_KNOWN: dict[str, tuple[float, float, float, float, float, float]] = {
    # symbol: (price, annual vol, OI USD, turnover/day, spot/futures ratio, L/S accounts)
    "BTC": (96_500.0, 0.50, 28e9, 1.8, 0.55, 1.25),
    "ETH": (3_400.0, 0.65, 14e9, 2.0, 0.50, 1.45),
    "SOL": (190.0, 0.80, 4.5e9, 2.4, 0.45, 1.55),
    "XRP": (2.3, 0.85, 3.5e9, 2.2, 0.60, 1.60),
    "BNB": (690.0, 0.45, 0.9e9, 1.5, 0.70, 1.35),
    "DOGE": (0.32, 0.95, 2.0e9, 2.5, 0.45, 1.60),
    "ADA": (0.90, 0.85, 0.8e9, 2.0, 0.50, 1.70),
    "AVAX": (35.0, 0.90, 0.5e9, 2.3, 0.40, 1.55),
    "LINK": (20.0, 0.85, 0.7e9, 2.0, 0.50, 1.50),
    "SUI": (4.0, 1.00, 1.3e9, 2.8, 0.40, 1.45),
    "HYPE": (25.0, 1.10, 1.6e9, 2.6, 0.35, 1.35),
    "PEPE": (0.0000123, 1.20, 0.6e9, 3.2, 0.40, 1.50),
    "LTC": (105.0, 0.75, 0.7e9, 1.8, 0.60, 1.80),
    "BCH": (450.0, 0.75, 0.5e9, 1.8, 0.55, 1.60),
    "DOT": (6.5, 0.85, 0.4e9, 1.8, 0.50, 1.90),
    "TRX": (0.25, 0.45, 0.3e9, 1.2, 0.75, 1.40),
    "TON": (5.2, 0.80, 0.3e9, 1.8, 0.45, 1.70),
    "SHIB": (0.000021, 0.95, 0.2e9, 2.2, 0.50, 1.80),
    "UNI": (12.0, 0.90, 0.4e9, 2.0, 0.45, 1.60),
    "AAVE": (280.0, 0.90, 0.5e9, 2.0, 0.40, 1.40),
    "NEAR": (5.0, 0.95, 0.3e9, 2.2, 0.40, 1.70),
    "APT": (9.0, 0.95, 0.3e9, 2.2, 0.40, 1.60),
    "ARB": (0.75, 0.95, 0.3e9, 2.2, 0.40, 1.80),
    "OP": (1.9, 0.95, 0.25e9, 2.2, 0.40, 1.80),
    "WIF": (1.8, 1.30, 0.4e9, 3.2, 0.35, 1.50),
    "ENA": (0.9, 1.20, 0.5e9, 3.0, 0.35, 1.60),
    # More of the coins people add, at early-2025 levels like the rows above, so a demo of them looks real.
    "ATOM": (6.5, 0.85, 0.25e9, 1.8, 0.45, 1.80),
    "ETC": (26.0, 0.80, 0.25e9, 1.6, 0.55, 1.70),
    "FIL": (5.0, 0.90, 0.2e9, 1.8, 0.45, 1.80),
    "INJ": (22.0, 1.00, 0.2e9, 2.2, 0.40, 1.60),
    "TIA": (4.5, 1.10, 0.2e9, 2.4, 0.35, 1.60),
    "SEI": (0.35, 1.10, 0.15e9, 2.4, 0.35, 1.70),
    "XLM": (0.40, 0.85, 0.2e9, 1.8, 0.55, 1.70),
    "HBAR": (0.30, 0.95, 0.2e9, 2.0, 0.50, 1.70),
    "ICP": (9.5, 0.95, 0.15e9, 1.8, 0.45, 1.80),
    "FET": (1.3, 1.10, 0.2e9, 2.4, 0.40, 1.60),
    "RENDER": (6.5, 1.10, 0.15e9, 2.2, 0.40, 1.60),
    "ONDO": (1.4, 1.10, 0.2e9, 2.4, 0.40, 1.60),
    "JUP": (0.9, 1.10, 0.15e9, 2.4, 0.40, 1.60),
    "WLD": (2.2, 1.20, 0.25e9, 2.8, 0.35, 1.50),
    "TAO": (450.0, 1.10, 0.2e9, 2.2, 0.40, 1.50),
    "LDO": (2.0, 1.00, 0.1e9, 2.0, 0.45, 1.60),
    "CRV": (0.9, 1.10, 0.15e9, 2.4, 0.40, 1.60),
    "POL": (0.45, 0.95, 0.1e9, 2.0, 0.45, 1.70),
    "ALGO": (0.38, 0.95, 0.1e9, 2.0, 0.45, 1.70),
    "STX": (1.5, 1.00, 0.1e9, 2.0, 0.45, 1.70),
    "RUNE": (4.5, 1.10, 0.1e9, 2.4, 0.40, 1.60),
    "XMR": (200.0, 0.70, 0.1e9, 1.6, 0.60, 1.50),
    "BONK": (0.00003, 1.30, 0.3e9, 3.2, 0.35, 1.50),
    "FLOKI": (0.00017, 1.30, 0.15e9, 3.0, 0.35, 1.60),
}


UNKNOWN_PRICE_RANGE = (0.01, 500.0)
"""USD prices a symbol outside ``_KNOWN`` is given (log-uniform between the two, fixed by name and seed)."""


def stable_seed(*parts: object) -> int:
    """A seed that depends only on ``parts`` (Python's ``hash`` of a str changes between runs)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def profile_for(symbol: str, seed: int) -> SymbolProfile:
    """The profile of ``symbol``: a known one, or made-up figures fixed by the name and ``seed``.

    Args:
        symbol: the watchlist name (case as given; lookup is case-insensitive).
        seed: the market's seed, so an unknown name looks different under another seed.
    """
    known = _KNOWN.get(symbol.upper())
    if known is not None:
        return SymbolProfile(symbol, *known)
    g = np.random.default_rng(stable_seed("profile", symbol.upper(), seed))
    # Log-uniform levels over where most listed perpetuals trade, a cent to a few hundred dollars; below a
    # cent are the meme coins with thousands-multiplied contracts, which the table names (PEPE, SHIB, BONK),
    # so an unknown name is never priced like one of them.
    price = float(10 ** g.uniform(math.log10(UNKNOWN_PRICE_RANGE[0]), math.log10(UNKNOWN_PRICE_RANGE[1])))
    digits = max(0, 3 - math.floor(math.log10(price)))
    return SymbolProfile(
        symbol,
        price=round(price, digits),
        vol=float(g.uniform(0.7, 1.4)),
        oi_usd=float(10 ** g.uniform(7.3, 9.0)),
        turnover=float(g.uniform(1.5, 3.5)),
        sfr=float(g.uniform(0.3, 0.7)),
        ls=float(g.uniform(1.2, 2.0)),
    )


@dataclass(frozen=True)
class VenueTraits:
    """How one symbol's venues differ: arrays over VENUES."""

    oi_share: np.ndarray  # fraction of the cross-venue OI, sums to 1
    ls_lean: np.ndarray  # multiplier on the market's long/short ratio
    funding_lean: np.ndarray  # offset added to the market's funding8h
    basis: np.ndarray  # steady premium of the venue's price over the index (fraction)


def venue_traits(symbol: str, seed: int) -> VenueTraits:
    """Per-venue differences of ``symbol``, fixed by its name and ``seed``."""
    g = np.random.default_rng(stable_seed("venues", symbol.upper(), seed))
    share = _OI_SHARE * g.uniform(0.8, 1.2, len(VENUES))
    return VenueTraits(
        oi_share=share / share.sum(),
        ls_lean=_LS_LEAN * g.uniform(0.96, 1.04, len(VENUES)),
        funding_lean=_FUNDING_LEAN + g.normal(0.0, 0.000004, len(VENUES)),
        basis=g.normal(0.0, 0.0002, len(VENUES)),
    )
