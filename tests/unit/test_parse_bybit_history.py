"""Bybit v5 klines turn into per-coin candles, oldest first, with quote turnover as USD volume (by hand).

No recorded linear/spot kline exists, so payloads copy the SHAPE of the v5 doc example ("Get Kline",
bybit-exchange.github.io/docs/v5/market/kline: {retCode, retMsg, result: {symbol, category, list:
[[startTime, open, high, low, close, volume, turnover], ...]}, retExtInfo, time}, newest first) with our
own values.
"""

from __future__ import annotations

from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import bybit_parse as bybit

HOUR = 3_600_000
T0 = 1_700_000_000_000


def envelope(symbol: str, category: str, rows: list[Any]) -> dict[str, Any]:
    return {
        "retCode": 0,
        "retMsg": "OK",
        "result": {"symbol": symbol, "category": category, "list": rows},
        "retExtInfo": {},
        "time": T0 + 5 * HOUR,
    }


def row(start_ms: int, o: str, h: str, low: str, c: str, volume: str, turnover: str) -> list[str]:
    return [str(start_ms), o, h, low, c, volume, turnover]


def test_linear_klines_come_back_oldest_first_per_one_coin() -> None:
    payload = envelope(
        "1000PEPEUSDT",
        "linear",
        [
            row(T0 + 2 * HOUR, "0.0112", "0.0115", "0.0110", "0.0114", "4000000", "45200"),
            row(T0 + HOUR, "0.0110", "0.0113", "0.0109", "0.0112", "3000000", "33300"),
            row(T0, "0.0100", "0.0120", "0.0095", "0.0110", "5000000", "52500"),
        ],
    )
    parsed = bybit.klines(payload)
    assert parsed.skipped == []
    assert [c.time for c in parsed.records] == [T0, T0 + HOUR, T0 + 2 * HOUR]  # reversed from newest first
    first = parsed.records[0]
    assert (first.venue, first.instrument, first.base) == ("bybit", "1000PEPEUSDT", "PEPE")
    assert first.open == pytest.approx(1.0e-5)  # 0.0100 USDT per 1000 PEPE
    assert first.low == pytest.approx(9.5e-6)  # 0.0095 / 1000
    assert first.close == pytest.approx(1.1e-5)
    assert first.volume_usd == 52500.0  # turnover (USDT), not the 5,000,000 base volume


def test_spot_klines_are_read_too_and_need_no_division() -> None:
    # 2.5 BTC traded at about 37050: turnover 92625 USDT is the USD volume.
    parsed = bybit.klines(
        envelope("BTCUSDT", "spot", [row(T0, "37000", "37100", "36900", "37050", "2.5", "92625")])
    )
    btc = parsed.records[0]
    assert (btc.base, btc.open, btc.high, btc.low, btc.close, btc.volume_usd) == (
        "BTC",
        37000.0,
        37100.0,
        36900.0,
        37050.0,
        92625.0,
    )


def test_inverse_klines_are_refused_because_their_turnover_is_in_coin() -> None:
    payload = envelope("BTCUSD", "inverse", [row(T0, "17071", "17073", "17027", "17055.5", "268611", "15.7")])
    parsed = bybit.klines(payload)
    assert parsed.records == []
    assert parsed.skipped == ["bybit /v5/market/kline: category 'inverse', not 'linear'; 1 items left out"]


def test_a_spot_pair_not_quoted_in_dollars_gives_no_candles() -> None:
    parsed = bybit.klines(envelope("ETHBTC", "spot", [row(T0, "0.05", "0.06", "0.04", "0.05", "10", "0.5")]))
    assert parsed.records == []
    assert parsed.skipped == ["bybit /v5/market/kline ETHBTC: not quoted in USDT/USDC; 1 rows left out"]


def test_a_malformed_row_is_skipped_with_a_line_and_the_rest_kept() -> None:
    payload = envelope(
        "BTCUSDT",
        "linear",
        [
            row(T0 + HOUR, "37050", "37200", "37000", "x", "1", "37100"),
            ["1700000000000", "37000"],
            row(T0, "37000", "37100", "36900", "37050", "2.5", "92625"),
        ],
    )
    parsed = bybit.klines(payload)
    assert [c.time for c in parsed.records] == [T0]
    assert parsed.skipped[0].startswith("bybit /v5/market/kline BTCUSDT: ") and "'x'" in parsed.skipped[0]
    assert parsed.skipped[1].startswith("bybit /v5/market/kline BTCUSDT: row 1 ")


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (
            {"retCode": 10001, "retMsg": "params error: symbol invalid", "result": {}, "time": T0},
            ["symbol invalid"],
        ),
        ({"retCode": 0, "retMsg": "OK", "result": {"category": "linear", "list": []}}, ["no symbol"]),
        ([["1700000000000", "1", "1", "1", "1", "1", "1"]], ["expected"]),
    ],
)
def test_a_payload_of_the_wrong_shape_raises_one_line(payload: Any, words: list[str]) -> None:
    with pytest.raises(PayloadError) as err:
        bybit.klines(payload)
    assert str(err.value).startswith("bybit /v5/market/kline:") and "\n" not in str(err.value)
    assert all(w in str(err.value) for w in words)
