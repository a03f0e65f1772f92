"""Venue instrument names map to the base coin a user writes, with the multiplier that makes prices compare."""

import pytest

from feeds.instruments import split_instrument


@pytest.mark.parametrize(
    ("venue", "instrument", "expected"),
    [
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
    ],
)
def test_split(venue: str, instrument: str, expected: tuple[str, float]) -> None:
    assert split_instrument(venue, instrument) == expected
