"""Symbol normalisation: whatever a user types (``btc``, ``BTCUSDT``, ``BTC-USDT-SWAP``) becomes a base coin.

perptop names every market by its base coin in upper case, and the feeds map that name to each venue's
own instrument. That includes the contract multipliers some venues put in front of cheap coins:
Binance and Bybit list ``1000PEPEUSDT`` and ``1MBABYDOGEUSDT``, Hyperliquid ``kPEPE``, while OKX lists
``PEPE-USDT-SWAP``. These are the same coin quoted per 1000 (or per million) units, and the multiplier
differs per venue, so it is a venue quirk: ``1000PEPE``, ``kPEPE`` and ``PEPE`` all normalise to ``PEPE``
and a feed applies its venue's multiplier when it asks for the instrument and when it parses prices.
"""

from __future__ import annotations

import re

# Shortest base first, so "BTCUSDT" splits as BTC + USDT and a bare "USDT" or "PERP" stays whole.
_SUFFIXES = re.compile(r"^(?P<base>.+?)(?:[-_]?(?:USDT|USDC|BUSD|USD))?(?:[-_]?(?:SWAP|PERP))?$")
# 1000, 10000, ... 100000000 or 1M in front of a letter; "1INCH" is untouched.
_MULTIPLIER = re.compile(r"^(?:10{3,8}|1M)(?=[A-Z])")
_HYPERLIQUID_K = re.compile(r"^k(?=[A-Z0-9])")  # only a lower-case k: KAVA and KSM keep theirs
_VALID = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{1,20}$")

EXAMPLES = "like BTC, ETHUSDT, SOL-USDT-SWAP or 1000PEPEUSDT"


class SymbolError(ValueError):
    """A string that is not a usable symbol; the message says why, in one line."""


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
    base = _HYPERLIQUID_K.sub("", base)
    upper = base.upper()
    match = _SUFFIXES.match(upper)
    stripped = match.group("base") if match else upper
    stripped = _MULTIPLIER.sub("", stripped)
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
