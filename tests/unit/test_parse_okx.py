"""OKX v5 payloads (the saved samples) turn into records in base coin, USD and fractions, worked out by hand."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import okx_parse as okx
from tests.support.paths import SAMPLES as SHARED_SAMPLES

SAMPLES = SHARED_SAMPLES / "okx"
# The only ctVal EXCHANGES.md documents (§4.1): BTC-USDT-SWAP, 0.01 BTC per contract.
BTC_CT = {"BTC-USDT-SWAP": 0.01}
NOW = 1_700_000_000_000


def load(name: str) -> Any:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"OKX sample {path} not present (shared reference data is outside the repo)")
    return json.loads(path.read_text())


def test_swap_tickers_give_price_change_and_usd_volume() -> None:
    parsed = okx.tickers(load("tickers_swap.json"), NOW)
    assert parsed.skipped == []
    assert [t.instrument for t in parsed.records] == ["LTC-USD-SWAP", "BTC-USD-SWAP"]
    ltc = parsed.records[0]
    assert (ltc.base, ltc.multiplier, ltc.time) == ("LTC", 1.0, 1597026383085)
    assert ltc.price == 9999.99
    assert ltc.change_24h == pytest.approx(0.11111)  # last 9999.99 / open24h 9000 - 1 = 999.99 / 9000
    # SWAP volCcy24h is BASE: 2222 LTC x last 9999.99 = 22,219,977.78 USD
    assert ltc.volume_24h_usd == pytest.approx(22_219_977.78)
    assert math.isnan(ltc.oi) and math.isnan(ltc.funding)


def test_a_malformed_ticker_row_is_skipped_with_a_line_and_the_rest_kept() -> None:
    payload = load("tickers_swap.json")
    payload["data"][0]["last"] = "9,999.99"  # not a number
    del payload["data"][1]["volCcy24h"]
    payload["data"].append(
        copy.deepcopy(payload["data"][1]) | {"instId": "ETH-USD-SWAP", "volCcy24h": "2222"}
    )
    payload["data"].append(["not", "an", "object"])
    parsed = okx.tickers(payload, NOW)
    assert [t.instrument for t in parsed.records] == ["ETH-USD-SWAP"]
    assert len(parsed.skipped) == 3
    assert parsed.skipped[0].startswith("okx tickers LTC-USD-SWAP:") and "'9,999.99'" in parsed.skipped[0]
    assert parsed.skipped[1] == "okx tickers BTC-USD-SWAP: 'volCcy24h' missing"
    assert "not an object" in parsed.skipped[2]


def test_a_spot_row_in_a_swap_call_is_refused_rather_than_misread() -> None:
    payload = load("tickers_swap.json")
    payload["data"][0]["instType"] = "SPOT"  # its volCcy24h would be quote, not base
    parsed = okx.tickers(payload, NOW)
    assert [t.instrument for t in parsed.records] == ["BTC-USD-SWAP"]
    assert "instType 'SPOT'" in parsed.skipped[0]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"code": "50011", "msg": "Too Many Requests", "data": []}, ["50011", "Too Many Requests"]),
        ({"code": "0", "msg": ""}, ["no data list"]),
        ([{"instId": "BTC-USDT-SWAP"}], ["expected a JSON object"]),
    ],
)
def test_a_payload_of_the_wrong_shape_raises_one_line(payload: Any, words: list[str]) -> None:
    with pytest.raises(PayloadError) as err:
        okx.tickers(payload, NOW)
    assert "\n" not in str(err.value) and str(err.value).startswith("okx tickers")
    assert all(w in str(err.value) for w in words)


def test_recorded_open_interest_converts_contracts_and_agrees_with_oiccy() -> None:
    parsed = okx.open_interest(load("open_interest_ccxt_recorded.json"), NOW, BTC_CT)
    assert parsed.skipped == []
    (btc,) = parsed.records
    # oi "2663107.29999999861" contracts x ctVal 0.01 = 26631.073 BTC, equal to oiCcy "26631.0729999999861"
    assert btc.oi == pytest.approx(26_631.073)
    assert btc.oi_usd == pytest.approx(1_676_426_045.35)  # oiUsd "1676426045.349999124995"
    assert (btc.base, btc.time) == ("BTC", 1728728314766)


def test_open_interest_without_oiccy_uses_ctval_and_without_both_is_skipped() -> None:
    payload = load("open_interest_ccxt_recorded.json")
    del payload["data"][0]["oiCcy"]
    (btc,) = okx.open_interest(payload, NOW, BTC_CT).records
    assert btc.oi == pytest.approx(26_631.073)  # 2663107.3 contracts x 0.01
    none = okx.open_interest(payload, NOW, {})
    assert none.records == []
    assert none.skipped == ["okx open-interest BTC-USDT-SWAP: no oiCcy and no ctVal to convert oi contracts"]


def test_doc_open_interest_placeholders_disagree_with_the_real_ctval() -> None:
    # The doc example's oi "5000" x 0.01 = 50 BTC, but its oiCcy says 555.55: a wrong ctVal or a wrong
    # payload; the row is skipped rather than shown with either number.
    parsed = okx.open_interest(load("open_interest.json"), NOW, BTC_CT)
    assert parsed.records == []
    assert "disagrees" in parsed.skipped[0] and "BTC-USDT-SWAP" in parsed.skipped[0]
    # Without a ctVal to check against, oiCcy is taken as it is.
    (row,) = okx.open_interest(load("open_interest.json"), NOW, {}).records
    assert (row.oi, row.oi_usd, row.time) == (555.55, 50000.0, 1597026383085)


def test_ws_open_interest_push() -> None:
    (btc,) = okx.ws_open_interest(load("ws_open_interest.json"), NOW, BTC_CT).records
    # oi "2216113.01000000309" contracts x 0.01 = 22161.1301 BTC = oiCcy
    assert btc.oi == pytest.approx(22_161.1301)
    assert btc.oi_usd == pytest.approx(1_939_251_795.55)
    assert btc.time == 1743041250440


def test_a_push_of_another_channel_is_refused() -> None:
    with pytest.raises(PayloadError, match="channel 'open-interest', expected 'funding-rate'"):
        okx.ws_funding_rate(load("ws_open_interest.json"), NOW)
    with pytest.raises(PayloadError, match="60012"):
        okx.ws_open_interest({"event": "error", "code": "60012", "msg": "Invalid request"}, NOW, BTC_CT)


def test_current_funding_rate_and_its_interval() -> None:
    (btc,) = okx.funding_rate(load("funding_rate.json"), NOW).records
    assert btc.funding == pytest.approx(0.0000182221218054)
    # nextFundingTime 1743638400000 - fundingTime 1743609600000 = 28,800,000 ms = 8 h
    assert btc.funding_interval_h == 8.0
    assert btc.next_funding_ms == 1743609600000  # fundingRate is for the upcoming fundingTime
    assert btc.time == 1743588686291


def test_ws_funding_rate_pushes() -> None:
    (doc,) = okx.ws_funding_rate(load("ws_funding_rate.json"), NOW).records
    assert (doc.instrument, doc.funding) == ("BTC-USD-SWAP", pytest.approx(0.0001875391284828))
    assert doc.funding_interval_h == 8.0  # 1700755200000 - 1700726400000 = 28,800,000 ms
    assert doc.next_funding_ms == 1700726400000
    (fixture,) = okx.ws_funding_rate(load("ws_funding_rate_nautilus.json"), NOW).records
    assert fixture.funding == 0.0001
    assert fixture.funding_interval_h == 8.0  # 1744619149506 - 1744590349506 = 28,800,000 ms


def test_funding_history_takes_the_realized_rate_and_the_settlement_gap() -> None:
    doc = okx.funding_rate_history(load("funding_rate_history.json")).records
    assert [(p.time, p.rate) for p in doc] == [
        (1703059200000, pytest.approx(0.0000746572360545)),  # realizedRate, not fundingRate ...4960499
        (1703030400000, pytest.approx(0.0002279755647389)),
    ]
    assert {p.interval_h for p in doc} == {8.0}  # 1703059200000 - 1703030400000 = 28,800,000 ms
    fixture = okx.funding_rate_history(load("funding_rate_history_nautilus.json")).records
    assert [p.rate for p in fixture] == [0.00015, -0.00002]
    assert fixture[0].interval_h == 8.0  # 1704067200000 - 1704038400000


def test_long_short_account_ratio_rows() -> None:
    parsed = okx.long_short_account_ratio(load("rubik_long_short_account_ratio_ccy.json"), "BTC")
    assert [(p.base, p.time, p.ratio) for p in parsed.records] == [("BTC", 1630502100000, 1.25)]
    broken = load("rubik_long_short_account_ratio_ccy.json")
    broken["data"].append(["1630502400000"])
    assert "is not [ts, ratio]" in okx.long_short_account_ratio(broken, "BTC").skipped[0]


def test_liquidation_needs_a_ctval_and_does_not_guess_one() -> None:
    # EXCHANGES.md documents no ctVal for IOST-USDT-SWAP, the instrument of the sample.
    parsed = okx.ws_liquidation_orders(load("ws_liquidation_orders.json"), {})
    assert parsed.records == []
    assert parsed.skipped == ["okx ws liquidation-orders IOST-USDT-SWAP: no ctVal to convert sz contracts"]


def _liquidation(pos_side: str, side: str) -> Any:
    payload = load("ws_liquidation_orders.json")
    # Renamed to the instrument whose ctVal (0.01) EXCHANGES.md documents, to check the arithmetic.
    payload["data"][0]["instId"] = "BTC-USDT-SWAP"
    payload["data"][0]["details"][0] |= {"posSide": pos_side, "side": side}
    return payload


def test_liquidation_size_price_and_time() -> None:
    (liq,) = okx.ws_liquidation_orders(_liquidation("short", "buy"), BTC_CT).records
    assert liq.qty == pytest.approx(0.13)  # sz "13" contracts x ctVal 0.01
    assert liq.price == 0.007831  # bkPx
    assert liq.usd == pytest.approx(0.00101803)  # 0.13 x 0.007831
    assert (liq.base, liq.time, liq.side) == ("BTC", 1692266434010, "short")


@pytest.mark.parametrize(
    ("pos_side", "side", "liquidated"),
    [
        ("short", "buy", "short"),  # the sample: hedge mode, posSide names the position
        ("long", "sell", "long"),
        ("net", "sell", "long"),  # net mode: a SELL liquidation order closes a long (EXCHANGES.md §4.2)
        ("net", "buy", "short"),
        ("", "sell", "long"),
    ],
)
def test_liquidation_side_is_the_liquidated_position(pos_side: str, side: str, liquidated: str) -> None:
    (liq,) = okx.ws_liquidation_orders(_liquidation(pos_side, side), BTC_CT).records
    assert liq.side == liquidated


def test_a_liquidation_without_a_known_side_is_skipped() -> None:
    parsed = okx.ws_liquidation_orders(_liquidation("net", "hold"), BTC_CT)
    assert parsed.records == []
    assert parsed.skipped == ["okx ws liquidation-orders BTC-USDT-SWAP: side 'hold' is neither buy nor sell"]


def test_spot_ticker_push_gives_quote_volume() -> None:
    (spot,) = okx.ws_tickers_spot(load("ws_tickers_spot.json"), NOW).records
    # SPOT volCcy24h is QUOTE already: 2222 USDT, not 2222 x last
    assert (spot.instrument, spot.base, spot.volume_24h_usd) == ("BTC-USDT", "BTC", 2222.0)
    assert spot.time == 1597026383085


def test_rest_spot_tickers_keep_dollar_quoted_pairs_only() -> None:
    row = load("ws_tickers_spot.json")["data"][0]
    payload = {"code": "0", "msg": "", "data": [row, row | {"instId": "BTC-EUR"}, row | {"instType": "SWAP"}]}
    parsed = okx.spot_tickers(payload, NOW)
    assert [s.instrument for s in parsed.records] == ["BTC-USDT"]  # BTC-EUR is out of scope, no line
    assert len(parsed.skipped) == 1 and "instType 'SWAP'" in parsed.skipped[0]


def test_one_bad_liquidation_detail_does_not_drop_its_siblings() -> None:
    payload = _liquidation("net", "sell")
    good = payload["data"][0]["details"][0]
    payload["data"][0]["details"] = [good | {"sz": "x13"}, good]
    payload["data"].append({"instId": "BTC-USDT-SWAP", "instType": "SWAP"})  # no details at all
    parsed = okx.ws_liquidation_orders(payload, BTC_CT)
    assert [(liq.side, liq.qty) for liq in parsed.records] == [("long", pytest.approx(0.13))]
    assert parsed.skipped == [
        "okx ws liquidation-orders BTC-USDT-SWAP: 'sz' is 'x13', not a number",
        "okx ws liquidation-orders BTC-USDT-SWAP: details missing",
    ]
