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
from tests.support.jsonc import VENUE_DOCS, load_jsonc
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


# ---- the market-data issue: index, spot price, top traders, taker flow --------------------------------


def test_premium_index_carries_the_index_the_premium_is_measured_against() -> None:
    (t,) = bp.premium_index(sample("binance", "premium_index.json"), NOW).records
    assert t.index == pytest.approx(11781.80495970)  # "indexPrice"
    # mark / index - 1 = 11793.63104562 / 11781.80495970 - 1 = 11.82608592 / 11781.80495970 = +0.100 %
    assert t.mark / t.index - 1 == pytest.approx(0.00100376, abs=1e-8)
    # "lastFundingRate" is already the rate of the next settlement: no separate prediction.
    assert math.isnan(t.funding_next)


def test_premium_index_of_a_1000x_perp_is_per_coin_and_an_absent_index_keeps_the_mark() -> None:
    item = sample("binance", "premium_index.json")
    pepe = dict(item, symbol="1000PEPEUSDT", markPrice="0.010010", indexPrice="0.010000")
    no_index = {k: v for k, v in dict(item, symbol="ETHUSDT").items() if k != "indexPrice"}
    parsed = bp.premium_index([pepe, no_index], NOW)
    assert parsed.skipped == []
    p, e = parsed.records
    assert p.index == pytest.approx(0.00001)  # 0.010000 per 1000 PEPE
    assert p.mark / p.index - 1 == pytest.approx(0.001)  # 0.010010 / 0.010000 - 1
    assert math.isnan(e.index) and e.mark == pytest.approx(11793.63104562)


def test_spot_tickers_carry_the_last_spot_price() -> None:
    (v,) = bp.spot_tickers(sample("binance_spot", "ticker_24hr_ccxt_recorded.json"), NOW).records
    assert v.price == pytest.approx(73369.84)  # "lastPrice": "73369.84000000"
    doc = sample("binance_spot", "ticker_24hr.json")
    (sats,) = bp.spot_tickers(dict(doc, symbol="1000SATSUSDT", lastPrice="0.000400"), NOW).records
    assert (sats.base, sats.price) == ("SATS", pytest.approx(0.0000004))  # quoted per 1000 SATS


def test_top_trader_position_ratio_is_labelled_as_such() -> None:
    parsed = bp.long_short_ratio(
        sample("binance", "top_long_short_position_ratio.json"),
        "/futures/data/topLongShortPositionRatio",
        "top_position",
    )
    assert [(p.ratio, p.kind) for p in parsed.records] == [
        (pytest.approx(1.4342), "top_position"),  # "longShortRatio" of the top 20 %' positions
        (pytest.approx(1.4337), "top_position"),
    ]
    # The all-accounts endpoint keeps its own label, so the two never land in one column.
    (first, _) = bp.long_short_ratio(sample("binance", "global_long_short_account_ratio.json")).records
    assert first.kind == "accounts"


def _klines_doc() -> Any:
    return load_jsonc(VENUE_DOCS / "binance" / "klines_taker_doc.jsonc")


def test_klines_split_the_quote_volume_into_taker_buys_and_sells() -> None:
    parsed = bp.taker_flows(_klines_doc(), "BTCUSDT", "BTC")
    assert parsed.skipped == []
    assert [(f.time, f.buy_usd, f.sell_usd, f.spot) for f in parsed.records] == [
        # quote 741000, taker buy quote 463125: sells are the other 277875
        (1700000100000, pytest.approx(463125.0), pytest.approx(277875.0), False),
        # the forming bar so far: quote 148200, taker buy 37050, sells 111150
        (1700000400000, pytest.approx(37050.0), pytest.approx(111150.0), False),
    ]
    assert {(f.venue, f.instrument, f.base) for f in parsed.records} == {("binance", "BTCUSDT", "BTC")}


def test_spot_and_1000x_klines_are_already_in_usd() -> None:
    perp = bp.taker_flows(_klines_doc(), "1000PEPEUSDT", "PEPE").records
    assert perp[0].buy_usd == pytest.approx(463125.0)  # USDT amounts: no multiplier applies
    spot = bp.taker_flows(_klines_doc(), "PEPEUSDT", "PEPE", True, "/api/v3/klines").records
    assert [(f.base, f.spot) for f in spot] == [("PEPE", True), ("PEPE", True)]
    btc_quoted = bp.taker_flows(_klines_doc(), "ETHBTC", "ETH", True, "/api/v3/klines")
    assert btc_quoted.records == []
    assert btc_quoted.skipped == ["binance /api/v3/klines ETHBTC: not quoted in USDT/USDC; 2 rows left out"]


def test_a_kline_whose_taker_buys_exceed_its_volume_or_lack_the_field_is_skipped() -> None:
    good, forming = _klines_doc()
    garbled = [forming[0] + 300_000, *forming[1:10], "999999.0", "0"]  # buys above the 148200 traded
    short = good[:10]  # no taker-buy quote volume
    parsed = bp.taker_flows([good, garbled, short], "BTCUSDT", "BTC")
    assert [f.time for f in parsed.records] == [1700000100000]
    assert len(parsed.skipped) == 2
    assert "BTCUSDT" in parsed.skipped[0] and "not within the quote volume" in parsed.skipped[0]
    assert "row 2" in parsed.skipped[1]
    with pytest.raises(PayloadError, match="Invalid symbol"):
        bp.taker_flows({"code": -1121, "msg": "Invalid symbol."}, "NOPEUSDT", "NOPE")
