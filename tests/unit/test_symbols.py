"""Venue instrument names map to the base coin a user writes, with the multiplier that makes prices compare."""

from __future__ import annotations

import pytest

from feeds.symbols import normalize_symbol, split_instrument

SPLITS = [
    ("binance", "BTCUSDT", ("BTC", 1.0)),
    ("binance", "1000PEPEUSDT", ("PEPE", 1000.0)),
    ("binance", "1000000BOBUSDT", ("BOB", 1e6)),  # a real Binance perp (shared/data funding list)
    ("binance", "1MBABYDOGEUSDT", ("BABYDOGE", 1e6)),
    ("binance", "1INCHUSDT", ("1INCH", 1.0)),  # a digit that is part of the name
    ("bybit", "10000SATSUSDT", ("SATS", 1e4)),
    ("bybit", "ETHUSDT", ("ETH", 1.0)),
    ("okx", "BTC-USDT-SWAP", ("BTC", 1.0)),
    ("okx", "PEPE-USDT-SWAP", ("PEPE", 1.0)),
    ("hyperliquid", "kPEPE", ("PEPE", 1000.0)),
    ("hyperliquid", "HYPE", ("HYPE", 1.0)),
]


@pytest.mark.parametrize(("venue", "instrument", "expected"), SPLITS)
def test_split(venue: str, instrument: str, expected: tuple[str, float]) -> None:
    assert split_instrument(venue, instrument) == expected


@pytest.mark.parametrize(("venue", "instrument", "expected"), SPLITS)
def test_a_venue_name_typed_by_a_user_is_the_same_coin(
    venue: str, instrument: str, expected: tuple[str, float]
) -> None:
    # One normaliser: pasting a venue's instrument name into --watchlist or the a prompt follows that coin.
    assert normalize_symbol(instrument) == expected[0]


@pytest.mark.parametrize(
    ("venue", "instrument"),
    [("bybit", "BTCPERP"), ("bybit", "BTC-27DEC24"), ("binance", "BTCUSDT_250328")],
)
def test_other_markets_of_a_coin_are_not_taken_for_its_usdt_perpetual(venue: str, instrument: str) -> None:
    # Bybit's USDC perpetual and the dated futures are other markets: they must not map onto "BTC".
    assert split_instrument(venue, instrument)[0] != "BTC"
