"""Hyperliquid payloads (the saved samples) turn into records per one base coin, worked out by hand."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import hyperliquid_parse as hl
from tests.support.paths import SAMPLES as SHARED_SAMPLES

SAMPLES = SHARED_SAMPLES / "hyperliquid"
NOW = 1_700_000_000_000  # 472222.2 h since the epoch: the next full hour is 472223 h = 1_700_002_800_000


def load(name: str) -> Any:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"Hyperliquid sample {path} not present (shared reference data is outside the repo)")
    return json.loads(path.read_text())


def test_meta_and_asset_ctxs_pairs_names_with_ctxs() -> None:
    parsed = hl.meta_and_asset_ctxs(load("metaAndAssetCtxs.json"), NOW)
    assert parsed.skipped == []
    assert [t.instrument for t in parsed.records] == ["BTC", "ETH", "HPOS"]
    btc = parsed.records[0]  # the doc's illustrative values: markPx 14.3161, prevDayPx 15.322
    assert (btc.mark, btc.price) == (14.3161, 14.314)  # markPx, midPx
    assert btc.change_24h == pytest.approx(-0.0656507, abs=1e-7)  # 14.3161 / 15.322 - 1
    assert btc.oi == 688.11  # openInterest, base coin
    assert btc.oi_usd == pytest.approx(9851.0516)  # 688.11 x 14.3161
    assert btc.volume_24h_usd == 1169046.29406  # dayNtlVlm
    assert btc.time == NOW


def test_funding_is_hourly_with_the_next_full_hour() -> None:
    eth = hl.meta_and_asset_ctxs(load("metaAndAssetCtxs.json"), NOW).records[1]
    assert eth.funding == 0.0000125  # "funding": "0.0000125" per HOUR, not per 8 h
    assert eth.funding_interval_h == 1.0
    assert eth.next_funding_ms == 1_700_002_800_000


def test_hip3_dex_names_are_left_out_unless_asked_for() -> None:
    payload = load("metaAndAssetCtxs_hip3_dex.json")
    assert hl.meta_and_asset_ctxs(payload, NOW).records == []  # xyz:XYZ100, xyz:TSLA, xyz:NVDA: not crypto
    parsed = hl.meta_and_asset_ctxs(payload, NOW, include_hip3=True)
    assert parsed.skipped == []
    nvda = parsed.records[2]
    assert (nvda.instrument, nvda.mark) == ("xyz:NVDA", 177.06)
    assert math.isnan(nvda.price)  # midPx null: an empty book is nan, never 0
    assert nvda.change_24h == pytest.approx(0.000338983, abs=1e-9)  # 177.06 / 177.0 - 1 = 0.06 / 177
    assert nvda.oi_usd == pytest.approx(1669.6758)  # openInterest 9.43 x 177.06


def test_delisted_assets_are_left_out_without_a_line() -> None:
    payload = load("metaAndAssetCtxs.json")
    payload[0]["universe"][1]["isDelisted"] = True
    parsed = hl.meta_and_asset_ctxs(payload, NOW)
    assert [t.instrument for t in parsed.records] == ["BTC", "HPOS"]
    assert parsed.skipped == []


def test_a_malformed_ctx_is_skipped_with_a_line() -> None:
    payload = load("metaAndAssetCtxs.json")
    payload[1][0]["openInterest"] = "lots"
    del payload[1][1]["funding"]
    payload[1][2]["markPx"] = ["8.4542"]
    parsed = hl.meta_and_asset_ctxs(payload, NOW)
    assert parsed.records == []
    assert parsed.skipped == [
        "hyperliquid metaAndAssetCtxs BTC: 'openInterest' is 'lots', not a number",
        "hyperliquid metaAndAssetCtxs ETH: 'funding' missing",
        "hyperliquid metaAndAssetCtxs HPOS: 'markPx' is ['8.4542'], not a number",
    ]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[0],  # meta alone
        lambda p: {"error": "bad request"},
        lambda p: [p[0], p[1][:2]],  # 3 names, 2 ctxs: positions no longer pair up
    ],
)
def test_a_meta_payload_of_the_wrong_shape_raises(mangle: Any) -> None:
    with pytest.raises(PayloadError) as err:
        hl.meta_and_asset_ctxs(mangle(load("metaAndAssetCtxs.json")), NOW)
    assert str(err.value).startswith("hyperliquid") and "\n" not in str(err.value)


def _ws_names() -> list[str | None]:
    # Main-dex asset ids 0 and 1 are BTC and ETH; id 15 is kPEPE (its price 0.003632 is 1000 PEPE, and
    # dayBaseVlm 492354415 x ~0.0036 = dayNtlVlm 1.76M confirms sizes are in kPEPE units). Other slots
    # are not named in any sample, so they stay None and are not parsed.
    return ["BTC", "ETH", *[None] * 13, "kPEPE"]


def test_ws_all_dexs_asset_ctxs_reads_the_main_dex_by_index() -> None:
    parsed = hl.ws_all_dexs_asset_ctxs(load("ws_allDexsAssetCtxs.json"), NOW, _ws_names())
    assert [t.instrument for t in parsed.records] == ["BTC", "ETH", "kPEPE"]
    btc = parsed.records[0]
    assert (btc.mark, btc.price, btc.oi) == (77562.0, 77558.5, 27353.17682)
    assert btc.change_24h == pytest.approx(0.0163135, abs=1e-7)  # 77562 / 76317 - 1 = 1245 / 76317
    assert btc.funding == -0.0000015186
    # 230 main-dex ctxs, 16 named: one line for the 214 the caller has no name for.
    assert parsed.skipped == [
        "hyperliquid allDexsAssetCtxs: 214 ctxs beyond the 16 known names (refresh metaAndAssetCtxs)"
    ]


def test_kpepe_prices_and_sizes_are_per_one_pepe() -> None:
    kpepe = hl.ws_all_dexs_asset_ctxs(load("ws_allDexsAssetCtxs.json"), NOW, _ws_names()).records[2]
    assert (kpepe.base, kpepe.multiplier) == ("PEPE", 1000.0)
    assert kpepe.mark == pytest.approx(0.000003632)  # markPx 0.003632 per kPEPE / 1000
    assert kpepe.price == pytest.approx(0.000003631)  # midPx 0.003631 / 1000
    assert kpepe.oi == pytest.approx(5.235352696e12)  # openInterest 5235352696 kPEPE x 1000
    assert kpepe.oi_usd == pytest.approx(19_014_801.0, rel=1e-7)  # 5235352696 x 0.003632
    assert kpepe.change_24h == pytest.approx(0.0159441, abs=1e-7)  # 0.003632 / 0.003575 - 1 = 57 / 3575


def test_universe_names_marks_slots_to_skip() -> None:
    payload = load("metaAndAssetCtxs.json")
    payload[0]["universe"][2]["isDelisted"] = True
    assert hl.universe_names(payload) == ["BTC", "ETH", None]
    assert hl.universe_names(load("metaAndAssetCtxs_hip3_dex.json")) == [None, None, None]


def test_a_ws_push_of_another_channel_raises() -> None:
    payload = load("ws_allDexsAssetCtxs.json")
    payload["channel"] = "pong"
    with pytest.raises(PayloadError, match="allDexsAssetCtxs"):
        hl.ws_all_dexs_asset_ctxs(payload, NOW, _ws_names())


def test_recorded_2023_funding_history_was_eight_hourly() -> None:
    parsed = hl.funding_history(load("fundingHistory.json"))
    assert parsed.skipped == [] and len(parsed.records) == 34
    first = parsed.records[0]
    assert (first.base, first.time, first.rate) == ("BTC", 1683849600048, -0.00061334)
    # rows 1683878400388 - 1683849600048 = 28,800,340 ms apart: 8 h (the 2023 rates were per 8 h)
    assert {p.interval_h for p in parsed.records} == {8.0}


def test_current_funding_history_is_hourly() -> None:
    parsed = hl.funding_history(load("fundingHistory_nautilus.json"))
    assert [(p.time, p.rate) for p in parsed.records] == [
        (1769908800000, 0.0000125),
        (1769912400000, -0.0000081),
        (1769916000000, 0.0000033),  # the row without "premium" still parses
    ]
    assert {p.interval_h for p in parsed.records} == {1.0}  # 1769912400000 - 1769908800000 = 3,600,000 ms


def test_a_malformed_funding_row_is_skipped_and_a_wrong_shape_raises() -> None:
    rows = load("fundingHistory_nautilus.json")
    rows.append(copy.deepcopy(rows[0]) | {"time": "1769919600000"})
    rows.append(copy.deepcopy(rows[0]) | {"fundingRate": None, "time": 1769923200000})
    parsed = hl.funding_history(rows)
    assert len(parsed.records) == 3
    assert parsed.skipped == [
        "hyperliquid fundingHistory BTC: time '1769919600000' is not an int ms",
        "hyperliquid fundingHistory BTC: 'fundingRate' missing",
    ]
    with pytest.raises(PayloadError, match="fundingHistory"):
        hl.funding_history({"error": "rate limited"})


def test_the_oracle_price_is_the_index_per_one_coin() -> None:
    btc = hl.meta_and_asset_ctxs(load("metaAndAssetCtxs.json"), NOW).records[0]
    assert btc.index == 14.32  # oraclePx
    assert btc.mark / btc.index - 1 == pytest.approx(-0.000272346, abs=1e-9)  # 14.3161 / 14.32 - 1
    kpepe = hl.ws_all_dexs_asset_ctxs(load("ws_allDexsAssetCtxs.json"), NOW, _ws_names()).records[2]
    assert kpepe.index == pytest.approx(0.000003633)  # oraclePx 0.003633 per kPEPE / 1000


def _predicted() -> Any:
    path = SAMPLES / "predictedFundings.jsonc"
    if not path.exists():
        pytest.skip(f"Hyperliquid sample {path} not present (shared reference data is outside the repo)")
    return json.loads(path.read_text().replace("],...", "]"))  # the doc example is cut short with "..."


def test_predicted_fundings_take_hyperliquids_own_prediction_and_its_time() -> None:
    parsed = hl.predicted_fundings(_predicted(), NOW)
    assert parsed.skipped == []
    (avax,) = parsed.records
    # HlPerp's row, not BinPerp's or BybitPerp's 0.0001 (their 8-hourly rates)
    assert (avax.instrument, avax.base, avax.funding_next) == ("AVAX", "AVAX", 0.0000125)
    assert avax.next_funding_ms == 1733958000000
    assert math.isnan(avax.funding) and math.isnan(avax.price)  # only the prediction: the ctx keeps the rest


def test_predicted_fundings_scale_to_an_hour_and_skip_what_they_cannot_read() -> None:
    payload = [
        [
            "BTC",
            [
                [
                    "HlPerp",
                    {"fundingRate": "0.00008", "nextFundingTime": 1733961600000, "fundingIntervalHours": 8},
                ]
            ],
        ],
        [
            "kPEPE",
            [["BinPerp", {"fundingRate": "0.0001", "nextFundingTime": 1733961600000}], ["HlPerp", None]],
        ],
        ["xyz:TSLA", [["HlPerp", {"fundingRate": "0.00001", "nextFundingTime": 1733961600000}]]],
        ["ETH", [["HlPerp", {"fundingRate": "abc", "nextFundingTime": 1733961600000}]]],
        "garbage",
    ]
    parsed = hl.predicted_fundings(payload, NOW)
    (btc,) = parsed.records
    assert btc.base == "BTC" and btc.funding_next == pytest.approx(0.00001)  # 0.00008 over 8 h, per hour
    assert parsed.skipped == [
        "hyperliquid predictedFundings ETH: 'fundingRate' is 'abc', not a number",
        "hyperliquid predictedFundings 4: row 4 is not [coin, [[venue, prediction], ...]]",
    ]
    with pytest.raises(PayloadError):
        hl.predicted_fundings({"error": "x"}, NOW)
