"""Bybit v5 payloads parse into normalised records (values worked out by hand from the samples).

Every ``*.json`` sample under shared/samples/bybit is parsed here. There is no saved REST linear tickers
body (EXCHANGES.md §10), so the REST ``tickers`` test wraps the linear WS sample's fields in the REST
envelope, which carries the same field names.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import bybit_parse as yp
from tests.support.paths import SAMPLES

COVERED = {
    "account_ratio.json",
    "funding_history.json",
    "funding_history_btcusdt_nautilus.json",
    "instruments_info_linear.json",
    "open_interest.json",
    "tickers_inverse.json",
    "tickers_spot.json",
    "ws_all_liquidation.json",
    "ws_ticker_linear.json",
}

NOW = 1_700_000_000_000


def sample(name: str) -> Any:
    path = SAMPLES / "bybit" / name
    if not path.exists():
        pytest.skip(f"shared venue sample {path} is absent (tests read the reference tree next to the repo)")
    return json.loads(path.read_text())


def as_linear_rest(ws: dict[str, Any]) -> dict[str, Any]:
    return {
        "retCode": 0,
        "retMsg": "OK",
        "result": {"category": "linear", "list": [ws["data"]]},
        "time": ws["ts"],
    }


def test_every_sample_is_covered() -> None:
    folder = SAMPLES / "bybit"
    if not folder.is_dir():
        pytest.skip(f"shared venue samples {folder} are absent")
    assert {p.name for p in folder.glob("*.json")} == COVERED


def test_ws_ticker_linear_snapshot() -> None:
    parsed = yp.ws_ticker(sample("ws_ticker_linear.json"))
    assert parsed.skipped == []
    (t,) = parsed.records
    assert (t.venue, t.instrument, t.base, t.multiplier) == ("bybit", "BTCUSDT", "BTC", 1.0)
    assert t.price == pytest.approx(66666.6)  # "lastPrice": "66666.60"
    assert t.mark == pytest.approx(66666.6)  # "markPrice": "66666.60"
    assert t.change_24h == pytest.approx(-0.158315)  # "price24hPcnt": already a fraction (-15.8315 %)
    assert t.volume_24h_usd == pytest.approx(4936790807.6521)  # "turnover24h"
    assert t.oi == pytest.approx(492373.72)  # "openInterest": base coin
    assert t.oi_usd == pytest.approx(32824881841.75)  # "openInterestValue"
    assert t.funding == pytest.approx(-0.005)  # "fundingRate"
    assert t.funding_interval_h == 8.0  # "fundingIntervalHour": "8"
    assert t.next_funding_ms == 1760342400000  # "nextFundingTime" string
    assert t.time == 1760325052630  # "ts"


def test_ws_ticker_delta_leaves_absent_fields_nan() -> None:
    delta = {
        "topic": "tickers.BTCUSDT",
        "type": "delta",
        "ts": 1760325052730,
        "data": {"symbol": "BTCUSDT", "lastPrice": "66670.10"},
    }
    (t,) = yp.ws_ticker(delta).records
    assert t.price == pytest.approx(66670.1)
    assert math.isnan(t.oi) and math.isnan(t.funding) and t.next_funding_ms == 0


def test_rest_tickers_linear() -> None:
    ws = sample("ws_ticker_linear.json")
    parsed = yp.tickers(as_linear_rest(ws), NOW)
    (t,) = parsed.records
    assert t.price == pytest.approx(66666.6)
    assert t.change_24h == pytest.approx(-0.158315)
    assert t.oi == pytest.approx(492373.72)
    assert t.time == 1760325052630  # envelope "time"


def test_rest_tickers_keep_only_usdt_perpetuals_and_scale_1000x() -> None:
    item = sample("ws_ticker_linear.json")["data"]
    dated = dict(item, symbol="BTCUSDT-26DEC25")
    delivering = dict(item, symbol="ETHUSDT", deliveryTime="1766736000000")
    usdc = dict(item, symbol="BTCPERP")
    pepe = dict(item, symbol="1000PEPEUSDT", lastPrice="0.0105", markPrice="0.0104", openInterest="2500000")
    body = {"retCode": 0, "result": {"category": "linear", "list": [item, dated, delivering, usdc, pepe]}}
    parsed = yp.tickers(body, NOW)
    assert [t.instrument for t in parsed.records] == ["BTCUSDT", "1000PEPEUSDT"]
    pepe_t = parsed.records[1]
    assert (pepe_t.base, pepe_t.multiplier) == ("PEPE", 1000.0)
    assert pepe_t.price == pytest.approx(0.0000105)  # 0.0105 / 1000
    assert pepe_t.mark == pytest.approx(0.0000104)  # 0.0104 / 1000
    assert pepe_t.oi == pytest.approx(2.5e9)  # 2,500,000 x 1000 PEPE
    assert pepe_t.time == NOW  # no envelope time: the receive time


def test_malformed_ticker_item_is_skipped_with_a_line() -> None:
    item = sample("ws_ticker_linear.json")["data"]
    broken = dict(item, symbol="ETHUSDT", fundingRate="")
    missing = {k: v for k, v in dict(item, symbol="SOLUSDT").items() if k != "openInterest"}
    body = {"retCode": 0, "result": {"category": "linear", "list": [item, broken, missing, 7]}}
    parsed = yp.tickers(body, NOW)
    assert [t.instrument for t in parsed.records] == ["BTCUSDT"]
    assert len(parsed.skipped) == 3
    line = parsed.skipped[0]
    assert "bybit" in line and "/v5/market/tickers" in line and "ETHUSDT" in line and "fundingRate" in line
    assert "SOLUSDT" in parsed.skipped[1] and "openInterest" in parsed.skipped[1]
    assert "item 3" in parsed.skipped[2]


def test_inverse_tickers_are_left_out_with_a_reason() -> None:
    body = sample("tickers_inverse.json")
    parsed = yp.tickers(body, NOW)
    assert parsed.records == []
    assert len(parsed.skipped) == 1 and "inverse" in parsed.skipped[0]


def test_inverse_sample_fields_parse_once_relabelled_linear() -> None:
    body = copy.deepcopy(sample("tickers_inverse.json"))
    body["result"]["category"] = "linear"
    body["result"]["list"][0]["symbol"] = "BTCUSDT"
    (t,) = yp.tickers(body, NOW).records
    assert t.price == pytest.approx(120635.5)  # "lastPrice": "120635.50"
    assert t.change_24h == pytest.approx(0.142425)  # "price24hPcnt": fraction
    assert t.next_funding_ms == 1760371200000
    assert t.time == 1760352369814


def test_wrong_shape_and_error_replies_raise() -> None:
    with pytest.raises(PayloadError, match="bybit /v5/market/tickers"):
        yp.tickers({"retCode": 0, "result": []}, NOW)
    with pytest.raises(PayloadError, match="Invalid symbol"):
        yp.open_interest({"retCode": 10001, "retMsg": "Invalid symbol", "result": {}})
    with pytest.raises(PayloadError, match="allLiquidation"):
        yp.all_liquidation({"topic": "allLiquidation.BTCUSDT", "data": {"s": "BTCUSDT"}})
    assert yp.error_message({"retCode": 10006, "retMsg": "Too many visits!"}) == "Too many visits!"
    assert yp.error_message(sample("tickers_spot.json")) is None


def test_spot_tickers_turnover() -> None:
    (v,) = yp.spot_tickers(sample("tickers_spot.json"), NOW).records
    assert (v.venue, v.instrument, v.base) == ("bybit", "BTCUSDT", "BTC")
    assert v.volume_24h_usd == pytest.approx(243765620.65899866)  # "turnover24h"
    assert v.time == 1673859087947


def test_instruments_info_funding_interval_in_minutes() -> None:
    body = sample("instruments_info_linear.json")
    (p,) = yp.linear_perpetuals(body).records
    assert (p.instrument, p.base, p.multiplier) == ("BTCUSDT", "BTC", 1.0)
    assert p.funding_interval_h == 8.0  # "fundingInterval": 480 minutes / 60
    dated = copy.deepcopy(body)
    dated["result"]["list"][0]["contractType"] = "LinearFutures"
    assert yp.linear_perpetuals(dated).records == []


def test_open_interest_sample_is_inverse_so_left_out() -> None:
    parsed = yp.open_interest(sample("open_interest.json"))
    assert parsed.records == [] and "inverse" in parsed.skipped[0]


def test_open_interest_rows_oldest_first_and_scaled() -> None:
    body = copy.deepcopy(sample("open_interest.json"))
    body["result"].update(category="linear", symbol="BTCUSDT")
    parsed = yp.open_interest(body)
    times = [p.time for p in parsed.records]
    assert times == sorted(times) and times[0] == 1780617600000 and times[-1] == 1780963200000
    assert parsed.records[0].oi == pytest.approx(63942311.0)  # oldest row "63942311.00000000"
    assert parsed.records[-1].oi == pytest.approx(63910691.0)  # newest row (first in the file)
    body["result"]["symbol"] = "1000PEPEUSDT"
    assert yp.open_interest(body).records[0].oi == pytest.approx(63942311.0 * 1000)


def test_account_ratio_is_buy_over_sell() -> None:
    parsed = yp.account_ratio(sample("account_ratio.json"))
    assert [p.time for p in parsed.records] == [1696258800000, 1696262400000]  # oldest first
    assert parsed.records[0].ratio == pytest.approx(0.971220)  # 0.4927 / 0.5073
    assert parsed.records[1].ratio == pytest.approx(0.960784)  # 0.49 / 0.51


def test_account_ratio_zero_sell_side_is_skipped() -> None:
    body = copy.deepcopy(sample("account_ratio.json"))
    body["result"]["list"][0]["sellRatio"] = "0"
    parsed = yp.account_ratio(body)
    assert len(parsed.records) == 1 and "BTCUSDT" in parsed.skipped[0] and "sellRatio" in parsed.skipped[0]


def test_funding_history_doc_sample() -> None:
    (f,) = yp.funding_history(sample("funding_history.json")).records
    assert (f.instrument, f.time) == ("ETHPERP", 1672041600000)
    assert f.rate == pytest.approx(0.0001)  # "fundingRate": "0.0001"


def test_funding_history_oldest_first() -> None:
    parsed = yp.funding_history(sample("funding_history_btcusdt_nautilus.json"))
    assert [(f.time, f.rate) for f in parsed.records] == [
        (1709856000000, pytest.approx(0.00015)),  # second row in the file
        (1709884800000, pytest.approx(0.0001)),
    ]


def test_all_liquidation_sell_means_a_short_was_liquidated() -> None:
    (liq,) = yp.all_liquidation(sample("ws_all_liquidation.json")).records
    assert (liq.instrument, liq.base) == ("ROSEUSDT", "ROSE")
    assert liq.side == "short"  # "S": "Sell" is the position side (doc: Buy = long liquidated)
    assert liq.price == pytest.approx(0.04499)  # "p" bankruptcy price
    assert liq.qty == pytest.approx(20000.0)  # "v"
    assert liq.usd == pytest.approx(899.8)  # 20000 x 0.04499
    assert liq.time == 1739502302929  # "T"


def test_all_liquidation_buy_is_long_and_bad_side_skipped() -> None:
    msg = copy.deepcopy(sample("ws_all_liquidation.json"))
    row = msg["data"][0]
    msg["data"] = [dict(row, S="Buy"), dict(row, S="", s="XUSDT"), dict(row, v="n/a", s="YUSDT")]
    parsed = yp.all_liquidation(msg)
    assert [liq.side for liq in parsed.records] == ["long"]
    assert len(parsed.skipped) == 2
    assert "XUSDT" in parsed.skipped[0] and "'S'" in parsed.skipped[0]
    assert "YUSDT" in parsed.skipped[1] and "'v'" in parsed.skipped[1]


# ---- the market-data issue: index and spot price ------------------------------------------------------


def test_linear_tickers_carry_the_index_price() -> None:
    (ws,) = yp.ws_ticker(sample("ws_ticker_linear.json")).records
    assert ws.index == pytest.approx(115418.19)  # "indexPrice" as recorded
    body = copy.deepcopy(sample("tickers_inverse.json"))
    body["result"]["category"] = "linear"
    body["result"]["list"][0]["symbol"] = "BTCUSDT"
    (t,) = yp.tickers(body, NOW).records
    assert t.index == pytest.approx(114890.92)  # "indexPrice": "114890.92"
    # premium = mark / index - 1 = 114898.43 / 114890.92 - 1 = 7.51 / 114890.92 = +0.0065 %
    assert t.mark / t.index - 1 == pytest.approx(0.00006537, abs=1e-8)
    # "fundingRate" is the rate charged at "nextFundingTime": no separate prediction.
    assert math.isnan(t.funding_next)


def test_index_of_a_1000x_perp_is_per_coin_and_its_absence_costs_only_the_premium() -> None:
    item = sample("ws_ticker_linear.json")["data"]
    pepe = dict(item, symbol="1000PEPEUSDT", markPrice="0.0104", indexPrice="0.0103")
    no_index = {k: v for k, v in dict(item, symbol="ETHUSDT").items() if k != "indexPrice"}
    body = {"retCode": 0, "result": {"category": "linear", "list": [pepe, no_index]}}
    parsed = yp.tickers(body, NOW)
    assert parsed.skipped == []
    p, e = parsed.records
    assert p.index == pytest.approx(0.0000103)  # 0.0103 per 1000 PEPE
    assert math.isnan(e.index) and e.price == pytest.approx(66666.6)


def test_spot_tickers_carry_the_last_spot_price() -> None:
    (v,) = yp.spot_tickers(sample("tickers_spot.json"), NOW).records
    assert v.price == pytest.approx(20533.13)  # "lastPrice": "20533.13"
    body = copy.deepcopy(sample("tickers_spot.json"))
    del body["result"]["list"][0]["lastPrice"]
    (bare,) = yp.spot_tickers(body, NOW).records
    assert math.isnan(bare.price) and bare.volume_24h_usd == pytest.approx(243765620.65899866)
