"""Hyperliquid candleSnapshot and spotMetaAndAssetCtxs turn into per-coin candles and spot volumes, by hand.

Payloads copy the SHAPE of the GitBook info-endpoint docs (hyperliquid.gitbook.io/hyperliquid-docs/
for-developers/api/info-endpoint: "Candle snapshot" [{T, c, h, i, l, n, o, s, t, v}], and .../info-endpoint/
spot: "Retrieve spot asset contexts" [{tokens, universe}, [ctx, ...]]) with our own values. Wrapped-token
names come from Unit's mainnet token-metadata table (docs.hyperunit.xyz).
"""

from __future__ import annotations

from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import hyperliquid_parse as hl
from tests.support.jsonc import VENUE_DOCS, load_jsonc

HOUR = 3_600_000
T0 = 1_700_000_000_000
NOW = T0 + 10 * HOUR


def bar(coin: str, start: int, o: str, h: str, low: str, c: str, v: str) -> dict[str, Any]:
    return {
        "T": start + HOUR - 1,
        "c": c,
        "h": h,
        "i": "1h",
        "l": low,
        "n": 189,
        "o": o,
        "s": coin,
        "t": start,
        "v": v,
    }


def test_kpepe_candles_are_per_one_pepe_and_volume_is_base_times_close() -> None:
    payload = [
        bar("kPEPE", T0, "0.0100", "0.0120", "0.0095", "0.0110", "2000000"),
        bar("kPEPE", T0 + HOUR, "0.0110", "0.0112", "0.0108", "0.0111", "1000000"),
    ]
    parsed = hl.candle_snapshot(payload, "kPEPE")
    assert parsed.skipped == []
    assert [c.time for c in parsed.records] == [T0, T0 + HOUR]  # t, the open time
    first = parsed.records[0]
    assert (first.venue, first.instrument, first.base) == ("hyperliquid", "kPEPE", "PEPE")
    assert first.open == pytest.approx(1.0e-5)  # 0.0100 per 1000 PEPE
    assert first.high == pytest.approx(1.2e-5)
    assert first.close == pytest.approx(1.1e-5)
    # 2,000,000 kPEPE units x 0.0110 USDC per unit = 22,000 USDC (the multiplier cancels out)
    assert first.volume_usd == pytest.approx(22_000.0)


def test_btc_candle_volume_from_base_volume() -> None:
    # The doc example's numbers: v 0.98639 BTC x c 29258.0 = 28,859.79862 USDC
    parsed = hl.candle_snapshot(
        [bar("BTC", 1681923600000, "29295.0", "29309.0", "29250.0", "29258.0", "0.98639")], "BTC"
    )
    assert parsed.records[0].volume_usd == pytest.approx(28_859.79862)
    assert parsed.records[0].low == 29250.0


def test_a_candle_of_another_coin_or_malformed_is_skipped_with_a_line() -> None:
    payload = [
        bar("ETH", T0, "2000", "2010", "1990", "2005", "10"),
        bar("BTC", T0 + HOUR, "37000", "37100", "36900", "37050", ""),
        bar("BTC", T0 + 2 * HOUR, "37000", "37100", "36900", "37050", "2"),
    ]
    parsed = hl.candle_snapshot(payload, "BTC")
    assert [c.time for c in parsed.records] == [T0 + 2 * HOUR]
    assert parsed.skipped == [
        "hyperliquid candleSnapshot BTC: candle of 'ETH', asked for 'BTC'",
        "hyperliquid candleSnapshot BTC: 'v' missing",
    ]


def test_a_candle_snapshot_that_is_not_a_list_raises() -> None:
    with pytest.raises(PayloadError, match="hyperliquid candleSnapshot: expected a list"):
        hl.candle_snapshot({"error": "unknown coin"}, "NOPE")


TOKENS = [
    {"name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0, "tokenId": "0x6d", "isCanonical": True},
    {"name": "PURR", "szDecimals": 0, "weiDecimals": 5, "index": 1, "tokenId": "0xc1", "isCanonical": True},
    {
        "name": "HYPE",
        "szDecimals": 2,
        "weiDecimals": 8,
        "index": 150,
        "tokenId": "0x0d",
        "isCanonical": False,
    },
    {
        "name": "UBTC",
        "szDecimals": 5,
        "weiDecimals": 10,
        "index": 197,
        "tokenId": "0x8f",
        "isCanonical": False,
    },
    {
        "name": "USDT0",
        "szDecimals": 2,
        "weiDecimals": 8,
        "index": 268,
        "tokenId": "0x25",
        "isCanonical": False,
    },
    {
        "name": "UFART",
        "szDecimals": 1,
        "weiDecimals": 8,
        "index": 269,
        "tokenId": "0x76",
        "isCanonical": False,
    },
]


def pair(name: str, base: int, quote: int, index: int) -> dict[str, Any]:
    return {"name": name, "tokens": [base, quote], "index": index, "isCanonical": name == "PURR/USDC"}


def test_spot_volumes_pair_by_position_when_ctxs_name_no_pair_as_in_the_doc() -> None:
    universe = [pair("PURR/USDC", 1, 0, 0), pair("@142", 197, 0, 142), pair("@207", 150, 268, 207)]
    ctxs = [
        {"dayNtlVlm": "8906.0", "markPx": "0.14", "midPx": "0.209265", "prevDayPx": "0.20432"},
        {"dayNtlVlm": "43000000.5", "markPx": "97000", "midPx": "97001", "prevDayPx": "96000"},
        {"dayNtlVlm": "1200000", "markPx": "25", "midPx": "25", "prevDayPx": "24"},
    ]
    parsed = hl.spot_meta_and_asset_ctxs([{"tokens": TOKENS, "universe": universe}, ctxs], NOW)
    assert parsed.skipped == []
    # HYPE/USDT0 (@207) is not USDC-quoted: left out without a line.
    assert [(s.instrument, s.base, s.volume_24h_usd, s.time) for s in parsed.records] == [
        ("PURR/USDC", "PURR", 8906.0, NOW),
        ("@142", "BTC", 43_000_000.5, NOW),
    ]  # UBTC is BTC


def test_spot_volumes_match_named_ctxs_by_coin_whatever_their_order() -> None:
    universe = [
        pair("PURR/USDC", 1, 0, 0),
        pair("@107", 150, 0, 107),
        pair("@142", 197, 0, 142),
        pair("@268", 269, 0, 268),
        pair("@300", 999, 0, 300),
    ]
    ctxs = [
        {"coin": "@268", "dayNtlVlm": "350000.0"},
        {"coin": "@142", "dayNtlVlm": "43000000.5"},
        {"coin": "PURR/USDC", "dayNtlVlm": "8906.0"},
        {"coin": "@999", "dayNtlVlm": "1.0"},
        {"coin": "@300", "dayNtlVlm": "5.0"},
    ]
    parsed = hl.spot_meta_and_asset_ctxs([{"tokens": TOKENS, "universe": universe}, ctxs], NOW)
    assert [(s.instrument, s.base, s.volume_24h_usd) for s in parsed.records] == [
        ("PURR/USDC", "PURR", 8906.0),
        ("@142", "BTC", 43_000_000.5),
        ("@268", "FARTCOIN", 350_000.0),
    ]
    assert parsed.skipped == [
        "hyperliquid spotMetaAndAssetCtxs @107: no asset ctx",  # HYPE/USDC has no ctx in this answer
        "hyperliquid spotMetaAndAssetCtxs @300: tokens [999, 0] not in the token list",
    ]


def test_wrapped_unit_tokens_map_to_the_coins_users_write() -> None:
    wrapped = {
        "UBTC": "BTC",
        "UETH": "ETH",
        "USOL": "SOL",
        "UFART": "FARTCOIN",
        "UPUMP": "PUMP",
        "UBONK": "BONK",
    }
    tokens = [{"name": "USDC", "index": 0}] + [{"name": n, "index": i + 1} for i, n in enumerate(wrapped)]
    universe = [pair(f"@{i + 1}", i + 1, 0, i + 1) for i in range(len(wrapped))]
    ctxs = [{"coin": f"@{i + 1}", "dayNtlVlm": "1.0"} for i in range(len(wrapped))]
    parsed = hl.spot_meta_and_asset_ctxs([{"tokens": tokens, "universe": universe}, ctxs], NOW)
    assert [s.base for s in parsed.records] == list(wrapped.values())


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ([{"tokens": TOKENS, "universe": [pair("PURR/USDC", 1, 0, 0)]}, []], ["1 universe pairs but 0 ctxs"]),
        ({"tokens": TOKENS, "universe": []}, ["expected [{tokens"]),
        ([{"universe": []}, []], ["expected [{tokens"]),
    ],
)
def test_a_spot_payload_of_the_wrong_shape_raises_one_line(payload: Any, words: list[str]) -> None:
    with pytest.raises(PayloadError) as err:
        hl.spot_meta_and_asset_ctxs(payload, NOW)
    assert str(err.value).startswith("hyperliquid spotMetaAndAssetCtxs:") and "\n" not in str(err.value)
    assert all(w in str(err.value) for w in words)


def test_spot_prices_are_the_book_mid_or_the_mark_on_an_empty_book() -> None:
    payload = load_jsonc(VENUE_DOCS / "hyperliquid" / "spotMetaAndAssetCtxs.jsonc")
    parsed = hl.spot_meta_and_asset_ctxs(payload, NOW)
    assert parsed.skipped == []
    assert [(s.instrument, s.base, s.price, s.volume_24h_usd) for s in parsed.records] == [
        ("PURR/USDC", "PURR", 0.209265, 8906.0),  # midPx, not the doc's stale-looking markPx 0.14
        ("@142", "BTC", 60005.5, 43_000_000.5),  # UBTC is one BTC: per coin as it stands
        ("@107", "HYPE", 25.1, 1_200_000.0),  # midPx null (empty book): the mark
    ]
