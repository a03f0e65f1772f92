"""Symbol normalisation: what users type on the command line, in the config or at the ``a`` prompt."""

from __future__ import annotations

import pytest

from feeds.symbols import SymbolError, normalize_symbol, parse_symbol_list


@pytest.mark.parametrize(
    ("typed", "base"),
    [
        ("btc", "BTC"),
        (" sol ", "SOL"),
        ("BTCUSDT", "BTC"),  # Binance / Bybit linear perp
        ("ETHUSDC", "ETH"),
        ("BTC-USDT-SWAP", "BTC"),  # OKX
        ("ETH-USD-SWAP", "ETH"),
        ("BTC/USDT:USDT", "BTC"),  # ccxt
        ("BTC-PERP", "BTC"),
        ("BTCUSD_PERP", "BTC"),
        ("1000PEPEUSDT", "PEPE"),  # Binance/Bybit multiplier: the same coin as OKX PEPE-USDT-SWAP
        ("1MBABYDOGEUSDT", "BABYDOGE"),
        ("10000000AIDOGEUSDT", "AIDOGE"),
        ("kPEPE", "PEPE"),  # Hyperliquid's multiplier prefix
        ("KAVA", "KAVA"),  # an upper-case K is part of the name
        ("1INCHUSDT", "1INCH"),  # a leading 1 that is not a multiplier
        ("PERPUSDT", "PERP"),  # a coin named like a suffix keeps its name
        ("USDT", "USDT"),
    ],
)
def test_symbols_normalise_to_the_base_coin(typed: str, base: str) -> None:
    assert normalize_symbol(typed) == base


@pytest.mark.parametrize("typed", ["", "   ", "BTC$", "---", "BTC ETH", "ÄBC", "1000", "A" * 21])
def test_garbage_is_rejected_with_one_line(typed: str) -> None:
    with pytest.raises(SymbolError) as caught:
        normalize_symbol(typed)
    assert "\n" not in str(caught.value)


def test_list_parsing_keeps_order_and_drops_repeats() -> None:
    assert parse_symbol_list("btc, ETHUSDT,sol,BTCUSDT") == ("BTC", "ETH", "SOL")


@pytest.mark.parametrize(
    ("text", "words"), [("", "no symbols"), (",", "no symbols"), ("BTC,,ETH", "symbol 2 of 3 is empty")]
)
def test_empty_lists_and_items_are_rejected(text: str, words: str) -> None:
    with pytest.raises(SymbolError, match=words):
        parse_symbol_list(text)
