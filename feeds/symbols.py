"""Symbol names, one normaliser: what a user types and what a venue lists both become a base coin.

perptop names every market by its base coin in upper case (``BTC``, ``PEPE``), and the feeds map that
name to each venue's own instrument. That includes the contract multipliers some venues put in front
of cheap coins: Binance and Bybit list ``1000PEPEUSDT`` and ``1MBABYDOGEUSDT``, Hyperliquid ``kPEPE``,
while OKX lists ``PEPE-USDT-SWAP``. These are the same coin quoted per 1000 (or per million) units, so
``1000PEPE``, ``kPEPE`` and ``PEPE`` all normalise to ``PEPE``, and a feed divides its venue's prices by
the multiplier so that they compare per coin.

Two entry points share the multiplier rules:

- ``normalize_symbol`` reads what a user writes (``btc``, ``BTCUSDT``, ``BTC-USDT-SWAP``,
  ``BTC/USDT:USDT``) loosely, and refuses what is not a symbol.
- ``split_instrument`` reads a venue's exact instrument name strictly: only the venue's own quote is
  taken off, so Bybit's USDC perpetual ``BTCPERP`` or a dated future stays a market of its own instead
  of being mistaken for the ``BTC`` USDT perpetual.
"""

from __future__ import annotations

import functools
import re

# 1000, 10000, ... 100000000 or 1M in front of a letter; "1INCH" is untouched.
_MULTIPLIER = re.compile(r"^(?P<prefix>10{3,8}|1M)(?=[A-Z])")
_HYPERLIQUID_K = re.compile(r"^k(?=[A-Z0-9])")  # only a lower-case k: KAVA and KSM keep theirs
# Shortest base first, so "BTCUSDT" splits as BTC + USDT and a bare "USDT" or "PERP" stays whole.
_TYPED_SUFFIXES = re.compile(r"^(?P<base>.+?)(?:[-_]?(?:USDT|USDC|BUSD|USD))?(?:[-_]?(?:SWAP|PERP))?$")
_VALID = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{1,20}$")
_VENUE_QUOTES = ("USDT", "USDC", "USD")

EXAMPLES = "like BTC, ETHUSDT, SOL-USDT-SWAP or 1000PEPEUSDT"

DEFAULT_WATCHLIST: tuple[str, ...] = (
    "BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "AVAX", "LINK", "SUI", "HYPE", "PEPE",
)  # fmt: skip
"""The watchlist of a config that names none (and of ``--demo``, whose regimes cover every flag on it)."""


class SymbolError(ValueError):
    """A string that is not a usable symbol; the message says why, in one line."""


def _without_multiplier(name: str) -> tuple[str, float]:
    """``name`` without a leading contract multiplier, and the multiplier (1.0 when there is none)."""
    if _HYPERLIQUID_K.match(name):
        return name[1:], 1000.0
    match = _MULTIPLIER.match(name)
    if match is None:
        return name, 1.0
    prefix = match.group("prefix")
    return name[len(prefix) :], 1e6 if prefix == "1M" else float(prefix)


def normalize_symbol(text: str) -> str:
    """The base coin named by ``text``, in upper case.

    Args:
        text: a symbol as a user writes it: ``btc``, ``BTCUSDT``, ``BTC-USDT-SWAP``, ``BTC/USDT:USDT``,
            ``BTC-PERP``, ``1000PEPEUSDT``, ``kPEPE``.

    Returns:
        The base coin, e.g. ``BTC`` or ``PEPE``.

    Raises:
        SymbolError: for an empty string or one with characters other than letters, digits and the
            separators of the forms above.
    """
    raw = text.strip()
    if not raw:
        raise SymbolError("empty symbol")
    base = raw.split("/", 1)[0].strip()  # ccxt style BTC/USDT:USDT
    if _HYPERLIQUID_K.match(base):
        base = base[1:]
    upper = base.upper()
    match = _TYPED_SUFFIXES.match(upper)
    stripped, _ = _without_multiplier(match.group("base") if match else upper)
    if not _VALID.match(stripped):
        raise SymbolError(f"{raw!r} is not a symbol: use letters and digits, {EXAMPLES}")
    return stripped


def normalize_symbols(items: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Normalise each symbol and drop repeats, keeping the first occurrence's position.

    Raises:
        SymbolError: for the first symbol that cannot be normalised.
    """
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(normalize_symbol(item), None)
    return tuple(seen)


def parse_symbol_list(text: str) -> tuple[str, ...]:
    """Parse a comma-separated list such as ``BTC,ethusdt, SOL`` (the ``--watchlist`` argument).

    Raises:
        SymbolError: for an empty list, an empty item (``BTC,,ETH``) or a bad symbol.
    """
    items = text.split(",")
    if all(not item.strip() for item in items):
        raise SymbolError(f"no symbols given: write a comma-separated list, {EXAMPLES}")
    for position, item in enumerate(items, start=1):
        if not item.strip():
            raise SymbolError(f"symbol {position} of {len(items)} is empty in {text!r}")
    return normalize_symbols(items)


@functools.lru_cache(maxsize=4096)  # history parsers ask once per row, for a handful of names
def split_instrument(venue: str, instrument: str) -> tuple[str, float]:
    """The base coin and multiplier of ``instrument`` on ``venue`` (binance, bybit, okx, hyperliquid).

    The multiplier is how many base coins one quoted unit stands for, so a price divided by it is per
    one coin. OKX names carry no multiplier (its contracts have ``ctVal`` instead) and split on the dash.

    Args:
        venue: the venue's name.
        instrument: the venue's own symbol, e.g. ``BTCUSDT``, ``BTC-USDT-SWAP``, ``kPEPE``.
    """
    if venue == "okx":
        return instrument.split("-")[0], 1.0
    if venue == "hyperliquid":
        # kPEPE is 1000 PEPE; a lower-case k is the only multiplier there.
        return _without_multiplier(instrument) if _HYPERLIQUID_K.match(instrument) else (instrument, 1.0)
    name = instrument
    for quote in _VENUE_QUOTES:
        if name.endswith(quote) and len(name) > len(quote):
            name = name[: -len(quote)]
            break
    return _without_multiplier(name) if _MULTIPLIER.match(name) else (name, 1.0)
