"""Binance USD-M futures and spot payloads parse into normalised records (values worked out by hand).

Every real ``*.json`` sample under shared/samples/binance and binance_spot is parsed here; the expected
numbers come from reading the file, with the arithmetic in the comment next to them.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import binance_parse as bp
from tests.support.paths import SAMPLES

# Sample files these tests read; test_every_sample_is_covered fails when a new one appears untested.
COVERED = {
    "binance": {
        "error_451_restricted_location.json",
        "funding_rate_history.json",
        "global_long_short_account_ratio.json",
        "open_interest.json",
        "open_interest_hist.json",
        "premium_index.json",
        "ticker_24hr.json",
        "top_long_short_account_ratio.json",
        "top_long_short_position_ratio.json",
        "ws_force_order_live.json",
        "ws_ticker_btcusdt.json",
    },
    "binance_spot": {"ticker_24hr.json", "ticker_24hr_ccxt_recorded.json"},
}

NOW = 1_700_000_000_000


def sample(venue: str, name: str) -> Any:
    path = SAMPLES / venue / name
    if not path.exists():
        pytest.skip(f"shared venue sample {path} is absent (tests read the reference tree next to the repo)")
    return json.loads(path.read_text())


@pytest.mark.parametrize("venue", sorted(COVERED))
def test_every_sample_is_covered(venue: str) -> None:
    folder = SAMPLES / venue
    if not folder.is_dir():
        pytest.skip(f"shared venue samples {folder} are absent")
    assert {p.name for p in folder.glob("*.json")} == COVERED[venue]


def test_ticker_24hr_percent_becomes_fraction() -> None:
    parsed = bp.tickers_24hr(sample("binance", "ticker_24hr.json"), NOW)
    assert parsed.skipped == []
    (t,) = parsed.records
    assert (t.venue, t.instrument, t.base, t.multiplier) == ("binance", "BTCUSDT", "BTC", 1.0)
    assert t.price == pytest.approx(4.000002)  # "lastPrice": "4.00000200"
    assert t.change_24h == pytest.approx(-0.9596)  # "priceChangePercent": "-95.960" -> -95.960 / 100
    assert t.volume_24h_usd == pytest.approx(15.3)  # "quoteVolume": "15.30000000"
    assert t.time == 1499869899040  # "closeTime"
    assert math.isnan(t.mark) and math.isnan(t.oi)  # not in this endpoint


def test_ticker_24hr_list_keeps_only_usdt_perpetuals() -> None:
    item = sample("binance", "ticker_24hr.json")
    dated, usdc = dict(item, symbol="BTCUSDT_260327"), dict(item, symbol="BTCUSDC")
    parsed = bp.tickers_24hr([item, dated, usdc], NOW)
    assert [t.instrument for t in parsed.records] == ["BTCUSDT"]
    assert parsed.skipped == []  # filtering out other contracts is not a problem to report


def test_thousand_prefix_divides_price_and_multiplies_size() -> None:
    item = dict(sample("binance", "ticker_24hr.json"), symbol="1000PEPEUSDT", lastPrice="0.0123")
    (t,) = bp.tickers_24hr([item], NOW).records
    assert (t.base, t.multiplier) == ("PEPE", 1000.0)
    assert t.price == pytest.approx(0.0000123)  # 0.0123 per 1000 PEPE -> 0.0123 / 1000 per PEPE
    oi = dict(sample("binance", "open_interest.json"), symbol="1000PEPEUSDT")
    (point,) = bp.open_interest(oi, NOW).records
    assert point.oi == pytest.approx(10_659_509.0)  # "10659.509" lots of 1000 PEPE -> x 1000


def test_malformed_ticker_items_are_skipped_with_a_line() -> None:
    good = sample("binance", "ticker_24hr.json")
    not_a_number = dict(good, symbol="ETHUSDT", lastPrice="4.0x")
    missing = {k: v for k, v in dict(good, symbol="SOLUSDT").items() if k != "quoteVolume"}
    wrong_type = dict(good, symbol="XRPUSDT", priceChangePercent=["1.0"])
    parsed = bp.tickers_24hr([good, not_a_number, missing, wrong_type, "junk"], NOW)
    assert [t.instrument for t in parsed.records] == ["BTCUSDT"]
    assert len(parsed.skipped) == 4
    first = parsed.skipped[0]
    assert (
        "binance" in first and "/fapi/v1/ticker/24hr" in first and "ETHUSDT" in first and "lastPrice" in first
    )
    assert "SOLUSDT" in parsed.skipped[1] and "quoteVolume" in parsed.skipped[1]
    assert "XRPUSDT" in parsed.skipped[2] and "priceChangePercent" in parsed.skipped[2]
    assert "item 4" in parsed.skipped[3]
    assert all("\n" not in line for line in parsed.skipped)


def test_wrong_shape_raises_payload_error() -> None:
    with pytest.raises(PayloadError, match="binance /fapi/v1/ticker/24hr"):
        bp.tickers_24hr("not json we know", NOW)
    with pytest.raises(PayloadError, match="openInterestHist"):
        bp.open_interest_hist(sample("binance", "open_interest.json"))  # an object where rows are due


def test_error_451_body_is_a_message_not_data() -> None:
    body = sample("binance", "error_451_restricted_location.json")
    message = bp.error_message(body)
    assert message is not None and message.startswith("Service unavailable from a restricted location")
    with pytest.raises(PayloadError, match="restricted location"):
        bp.premium_index(body, NOW)
    assert bp.error_message(sample("binance", "premium_index.json")) is None


def test_premium_index_mark_and_funding() -> None:
    (t,) = bp.premium_index(sample("binance", "premium_index.json"), NOW).records
    assert t.mark == pytest.approx(11793.63104562)  # "markPrice"
    assert t.funding == pytest.approx(0.00038246)  # "lastFundingRate": already a fraction
    assert t.next_funding_ms == 1597392000000
    assert t.time == 1597370495002
    assert math.isnan(t.funding_interval_h)  # not in this payload (fundingInfo / 8 h default)


def test_open_interest_now_in_base_coin() -> None:
    (p,) = bp.open_interest(sample("binance", "open_interest.json"), NOW).records
    assert (p.instrument, p.time) == ("BTCUSDT", 1589437530011)
    assert p.oi == pytest.approx(10659.509)  # "openInterest": "10659.509" BTC
    assert math.isnan(p.oi_usd)


def test_open_interest_hist_rows() -> None:
    parsed = bp.open_interest_hist(sample("binance", "open_interest_hist.json"))
    assert [p.time for p in parsed.records] == [1583127900000, 1583128200000]  # "timestamp" strings
    assert parsed.records[0].oi == pytest.approx(20403.637)  # "sumOpenInterest": "20403.63700000"
    assert parsed.records[0].oi_usd == pytest.approx(150570784.07809979)  # "sumOpenInterestValue"
    assert parsed.records[1].oi == pytest.approx(20401.367)


def test_funding_history_rows() -> None:
    parsed = bp.funding_history(sample("binance", "funding_rate_history.json"))
    assert [(f.time, f.rate) for f in parsed.records] == [
        (1570608000000, pytest.approx(-0.0375)),  # "-0.03750000"
        (1570636800000, pytest.approx(0.0001)),  # "0.00010000"
    ]


@pytest.mark.parametrize(
    ("name", "ratios"),
    [
        ("global_long_short_account_ratio.json", [0.1960, 1.9559]),  # "longShortRatio" as sent
        ("top_long_short_account_ratio.json", [1.8105, 0.5576]),
        ("top_long_short_position_ratio.json", [1.4342, 1.4337]),
    ],
)
def test_long_short_ratios(name: str, ratios: list[float]) -> None:
    parsed = bp.long_short_ratio(sample("binance", name))
    assert [p.ratio for p in parsed.records] == pytest.approx(ratios)
    assert [p.time for p in parsed.records] == [1583139600000, 1583139900000]
    assert parsed.records[0].base == "BTC"


def test_force_order_sell_means_a_long_was_liquidated() -> None:
    (liq,) = bp.force_order(sample("binance", "ws_force_order_live.json")).records
    assert liq.side == "long"  # "S": "SELL" is the liquidation order; it closes a long
    assert liq.price == pytest.approx(26245.10)  # "ap" average fill price
    assert liq.qty == pytest.approx(0.115)  # "z" filled quantity
    assert liq.usd == pytest.approx(3018.1865)  # 0.115 x 26245.10
    assert liq.time == 1695714031881  # "T" trade time


def test_force_order_buy_side_wrapped_and_scaled() -> None:
    event = copy.deepcopy(sample("binance", "ws_force_order_live.json"))
    event["o"].update(s="1000PEPEUSDT", S="BUY", z="2000", ap="0.015")
    (liq,) = bp.force_order({"stream": "!forceOrder@arr", "data": event}).records
    assert liq.side == "short"  # BUY order closes a short
    assert liq.qty == pytest.approx(2_000_000.0)  # 2000 lots of 1000 PEPE
    assert liq.price == pytest.approx(0.000015)  # 0.015 / 1000
    assert liq.usd == pytest.approx(30.0)  # 2000 x 0.015


def test_force_order_bad_side_is_skipped() -> None:
    event = copy.deepcopy(sample("binance", "ws_force_order_live.json"))
    event["o"]["S"] = "HOLD"
    parsed = bp.force_order(event)
    assert parsed.records == []
    assert len(parsed.skipped) == 1 and "BTCUSDT" in parsed.skipped[0] and "'S'" in parsed.skipped[0]


def test_ws_ticker_event() -> None:
    (t,) = bp.ws_tickers(sample("binance", "ws_ticker_btcusdt.json")).records
    assert t.price == pytest.approx(16584.6)  # "c": "16584.60000000"
    assert t.change_24h == pytest.approx(-0.00786)  # "P": "-0.786" -> -0.786 / 100
    assert t.volume_24h_usd == pytest.approx(2036102085.697464)  # "q"
    assert t.time == 1672515782136  # "E"


def test_spot_ticker_recorded_by_ccxt() -> None:
    (v,) = bp.spot_tickers(sample("binance_spot", "ticker_24hr_ccxt_recorded.json"), NOW).records
    assert (v.venue, v.instrument, v.base) == ("binance", "BTCUSDT", "BTC")
    assert v.volume_24h_usd == pytest.approx(5167027510.68728707)  # "quoteVolume"
    assert v.time == 1710328245391  # "closeTime": "1710328245391" (a string in ccxt's recording)


def test_spot_ticker_in_btc_is_not_usd_volume() -> None:
    doc = sample("binance_spot", "ticker_24hr.json")
    assert bp.spot_tickers(doc, NOW).records == []  # BNBBTC: quoteVolume is in BTC
    (v,) = bp.spot_tickers(dict(doc, symbol="BNBUSDT"), NOW).records
    assert v.volume_24h_usd == pytest.approx(15.3)  # "quoteVolume": "15.30000000"
    assert v.time == 1499869899040
