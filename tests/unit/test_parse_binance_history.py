"""Binance klines and fundingInfo turn into per-coin candles and funding intervals, worked out by hand.

No recorded klines exist, so payloads are built in the documented row shape (developers.binance.com,
USD-M "Kline/Candlestick Data" and spot "Kline/Candlestick data": [openTime, open, high, low, close,
volume, closeTime, quoteAssetVolume, trades, takerBuyBase, takerBuyQuote, ignore]) with our own values.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import binance_parse as binance
from tests.support.paths import SAMPLES as SHARED_SAMPLES

SAMPLES = SHARED_SAMPLES / "binance"
HOUR = 3_600_000
T0 = 1_700_000_000_000


def kline(open_ms: int, o: str, h: str, low: str, c: str, quote_volume: str) -> list[Any]:
    # Base volume, trades and taker fields are filler: the parser must not read them as the USD volume.
    return [open_ms, o, h, low, c, "999999", open_ms + HOUR - 1, quote_volume, 42, "1", "2", "0"]


def test_futures_klines_are_divided_by_the_1000_multiplier_and_keep_ascending_order() -> None:
    payload = [
        kline(T0, "0.010000", "0.012000", "0.009500", "0.011000", "55000.5"),
        kline(T0 + HOUR, "0.011000", "0.011500", "0.010800", "0.011200", "31000.0"),
    ]
    parsed = binance.klines(payload, "1000PEPEUSDT")
    assert parsed.skipped == []
    assert [c.time for c in parsed.records] == [T0, T0 + HOUR]
    first = parsed.records[0]
    assert (first.venue, first.instrument, first.base) == ("binance", "1000PEPEUSDT", "PEPE")
    # 1000PEPE at 0.010000 USDT is 0.00001 USDT per PEPE; high 0.012 / 1000, low 0.0095 / 1000
    assert first.open == pytest.approx(1.0e-5)
    assert first.high == pytest.approx(1.2e-5)
    assert first.low == pytest.approx(9.5e-6)
    assert first.close == pytest.approx(1.1e-5)
    assert first.volume_usd == 55000.5  # quoteAssetVolume, not the base 999999


def test_spot_klines_of_the_same_coin_agree_per_coin_with_the_futures_ones() -> None:
    spot = binance.klines(
        [kline(T0, "0.00001000", "0.00001200", "0.00000950", "0.00001100", "12.5")],
        "PEPEUSDT",
        endpoint="/api/v3/klines",
    )
    candle = spot.records[0]
    assert (candle.base, candle.close) == ("PEPE", pytest.approx(1.1e-5))  # multiplier 1: no division
    assert candle.volume_usd == 12.5


def test_malformed_kline_rows_are_skipped_with_a_line_naming_the_symbol() -> None:
    payload = [
        kline(T0, "0.01", "abc", "0.009", "0.011", "1"),
        [T0 + HOUR, "0.01"],  # cut short
        kline(T0 + 2 * HOUR, "0.01", "0.008", "0.009", "0.0085", "1"),  # high below low
        kline(T0 + 3 * HOUR, "0.01", "0.02", "0.009", "0.015", "7"),
    ]
    parsed = binance.klines(payload, "1000PEPEUSDT")
    assert [c.time for c in parsed.records] == [T0 + 3 * HOUR]
    assert len(parsed.skipped) == 3
    assert all(line.startswith("binance /fapi/v1/klines 1000PEPEUSDT: ") for line in parsed.skipped)
    assert "'abc'" in parsed.skipped[0]
    assert "row 1" in parsed.skipped[1]
    assert "below low" in parsed.skipped[2]


def test_a_pair_not_quoted_in_dollars_gives_no_candles_and_says_so() -> None:
    parsed = binance.klines(
        [kline(T0, "0.05", "0.06", "0.04", "0.05", "10")], "ETHBTC", endpoint="/api/v3/klines"
    )
    assert parsed.records == []
    assert parsed.skipped == ["binance /api/v3/klines ETHBTC: not quoted in USDT/USDC; 1 rows left out"]


@pytest.mark.parametrize(
    ("payload", "words"),
    [({"code": -1121, "msg": "Invalid symbol."}, ["Invalid symbol."]), ({"rows": []}, ["a dict"])],
)
def test_a_kline_error_body_raises_one_line(payload: Any, words: list[str]) -> None:
    with pytest.raises(PayloadError) as err:
        binance.klines(payload, "BTCUSDT")
    assert str(err.value).startswith("binance /fapi/v1/klines:") and "\n" not in str(err.value)
    assert all(w in str(err.value) for w in words)


def test_funding_info_gives_each_adjusted_usdt_perpetual_its_interval_only() -> None:
    # Shape of the doc example (Get Funding Rate Info); symbols and intervals are ours.
    def row(symbol: str, hours: object) -> dict[str, object]:
        return {
            "symbol": symbol,
            "adjustedFundingRateCap": "0.02500000",
            "adjustedFundingRateFloor": "-0.02500000",
            "fundingIntervalHours": hours,
            "disclaimer": False,
        }

    payload = [
        row("BLZUSDT", 8),
        row("1000PEPEUSDT", 4),
        row("BTCUSDT_260327", 4),
        row("ETHUSDC", 1),
        row("XYZUSDT", "four"),
    ]
    parsed = binance.funding_info(payload)
    assert [t.instrument for t in parsed.records] == [
        "BLZUSDT",
        "1000PEPEUSDT",
    ]  # dated and USDC perps left out
    pepe = parsed.records[1]
    assert (pepe.base, pepe.multiplier, pepe.funding_interval_h, pepe.time) == ("PEPE", 1000.0, 4.0, 0)
    assert math.isnan(pepe.funding) and math.isnan(pepe.price) and pepe.next_funding_ms == 0
    assert parsed.skipped == [
        "binance /fapi/v1/fundingInfo XYZUSDT: 'fundingIntervalHours' is 'four', not a number"
    ]


def test_funding_info_reads_the_official_doc_example() -> None:
    path = SAMPLES / "funding_info_doc.jsonc"
    if not path.exists():
        pytest.skip(f"Binance sample {path} not present (shared reference data is outside the repo)")
    payload = json.loads(re.sub(r"//[^\n]*", "", path.read_text()))  # the doc example carries a comment
    parsed = binance.funding_info(payload)
    assert [(t.instrument, t.funding_interval_h) for t in parsed.records] == [("BLZUSDT", 8.0)]


def test_funding_info_refuses_a_single_object() -> None:
    with pytest.raises(PayloadError, match="binance /fapi/v1/fundingInfo: expected a list"):
        binance.funding_info({"symbol": "BLZUSDT", "fundingIntervalHours": 8})
