"""OKX candles, instruments (ctVal) and rubik statistics turn into records in coin and USD, by hand.

Payloads copy the SHAPE of the OKX v5 docs (okx.com/docs-v5/en): "Get candlesticks" / "Get candlesticks
history" rows [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm] newest first; "Get instruments" objects
{instType, instId, settleCcy, ctVal, ctMult, ctValCcy, ctType, state, ...}; "Get contract open interest
history" rows [ts, oi, oiCcy, oiUsd]; "Get contract long/short ratio" rows [ts, ratio]. Values are ours
except where the saved doc example is loaded.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from feeds.records import PayloadError
from feeds.venues import okx_parse as okx
from tests.support.paths import SAMPLES as SHARED_SAMPLES

SAMPLES = SHARED_SAMPLES / "okx"
HOUR = 3_600_000
T0 = 1_700_000_000_000


def ok(data: list[Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": data}


def test_swap_candles_come_back_oldest_first_with_quote_volume() -> None:
    # 250 contracts x ctVal 0.01 = 2.5 BTC; 2.5 x 37050 = 92625 USDT, the volCcyQuote.
    payload = ok(
        [
            [str(T0 + HOUR), "37050", "37300", "37000", "37250", "100", "1", "37250", "0"],  # still open
            [str(T0), "37000", "37100", "36900", "37050", "250", "2.5", "92625", "1"],
        ]
    )
    parsed = okx.candles(payload, "BTC-USDT-SWAP")
    assert parsed.skipped == []
    assert [c.time for c in parsed.records] == [T0, T0 + HOUR]
    first = parsed.records[0]
    assert (first.venue, first.instrument, first.base) == ("okx", "BTC-USDT-SWAP", "BTC")
    assert (first.open, first.high, first.low, first.close) == (37000.0, 37100.0, 36900.0, 37050.0)
    assert first.volume_usd == 92625.0  # not 250 contracts, not 2.5 BTC


def test_spot_candles_use_the_same_quote_volume_column() -> None:
    # SPOT vol is base (2.5 BTC), volCcy and volCcyQuote both quote (92625 USDT).
    parsed = okx.candles(
        ok([[str(T0), "37000", "37100", "36900", "37050", "2.5", "92625", "92625", "1"]]), "BTC-USDT"
    )
    assert (parsed.records[0].base, parsed.records[0].volume_usd) == ("BTC", 92625.0)


def test_older_eight_field_rows_still_give_dollar_volume() -> None:
    # The history doc's older row [ts, o, h, l, c, vol, volCcy, confirm]: SPOT volCcy is quote already,
    # SWAP volCcy is base, so 2.5 BTC x close 37050 = 92625.
    row_spot = [str(T0), "37000", "37100", "36900", "37050", "2.5", "92625", "1"]
    row_swap = [str(T0), "37000", "37100", "36900", "37050", "250", "2.5", "1"]
    assert okx.candles(ok([row_spot]), "BTC-USDT").records[0].volume_usd == 92625.0
    assert okx.candles(ok([row_swap]), "BTC-USDT-SWAP").records[0].volume_usd == pytest.approx(92625.0)


def test_bad_candle_rows_are_skipped_with_the_instrument_named() -> None:
    payload = ok(
        [
            [str(T0 + 2 * HOUR), "37050", "37300", "37000", "", "1", "1", "1", "1"],
            [str(T0 + HOUR), "37050"],
            [str(T0), "37000", "37100", "36900", "37050", "250", "2.5", "92625", "1"],
        ]
    )
    parsed = okx.candles(payload, "BTC-USDT-SWAP")
    assert [c.time for c in parsed.records] == [T0]
    assert parsed.skipped[0] == "okx candles BTC-USDT-SWAP: 'c' missing"
    assert parsed.skipped[1].startswith("okx candles BTC-USDT-SWAP: row 1 ")


def test_a_pair_not_quoted_in_dollars_gives_no_candles() -> None:
    parsed = okx.candles(ok([[str(T0), "1", "1", "1", "1", "1", "1", "1", "1"]]), "BTC-EUR")
    assert parsed.records == []
    assert parsed.skipped == ["okx candles BTC-EUR: not quoted in USD/USDT/USDC; 1 rows left out"]


def test_a_candles_error_reply_raises_one_line() -> None:
    with pytest.raises(PayloadError, match=r"okx candles: code '51001'.*Instrument ID does not exist"):
        okx.candles({"code": "51001", "msg": "Instrument ID does not exist", "data": []}, "NOPE-USDT-SWAP")


def swap(inst_id: str, ct_val: str, ct_val_ccy: str, **over: str) -> dict[str, str]:
    item = {
        "instType": "SWAP",
        "instId": inst_id,
        "uly": inst_id[:-5],
        "instFamily": inst_id[:-5],
        "settleCcy": "USDT",
        "ctVal": ct_val,
        "ctMult": "1",
        "ctValCcy": ct_val_ccy,
        "ctType": "linear",
        "state": "live",
        "lever": "100",
        "tickSz": "0.1",
        "lotSz": "1",
        "minSz": "1",
    }
    return item | over


def test_instruments_keep_live_linear_usdt_swaps_with_ctval_in_base_coin() -> None:
    payload = ok(
        [
            swap("BTC-USDT-SWAP", "0.01", "BTC"),
            swap("PEPE-USDT-SWAP", "10000000", "PEPE"),
            swap("BTC-USD-SWAP", "100", "USD", settleCcy="BTC", ctType="inverse"),  # inverse: out
            swap("BTC-USDC-SWAP", "0.0001", "BTC", settleCcy="USDC"),  # USDC-margined: out
            swap("OLD-USDT-SWAP", "1", "OLD", state="suspend"),  # not trading: out
            swap("ODD-USDT-SWAP", "10", "USDT"),  # ctVal in dollars: refused with a line
            swap("MUL-USDT-SWAP", "1", "MUL", ctMult="10"),  # size unclear: refused with a line
        ]
    )
    parsed = okx.instruments(payload)
    assert [(c.instrument, c.base, c.ct_val) for c in parsed.records] == [
        ("BTC-USDT-SWAP", "BTC", 0.01),
        ("PEPE-USDT-SWAP", "PEPE", 10_000_000.0),
    ]
    assert parsed.skipped == [
        "okx instruments ODD-USDT-SWAP: ctValCcy 'USDT' is not the base coin 'ODD'",
        "okx instruments MUL-USDT-SWAP: ctMult 10, not 1: contract size unclear",
    ]


def test_open_interest_history_from_the_official_doc_example_is_oldest_first() -> None:
    path = SAMPLES / "rubik_contract_oi_history.jsonc"
    if not path.exists():
        pytest.skip(f"OKX sample {path} not present (shared reference data is outside the repo)")
    payload = json.loads(re.sub(r"//[^\n]*", "", path.read_text()))  # the doc example carries comments
    parsed = okx.open_interest_history(payload, "BTC-USDT-SWAP")
    assert parsed.skipped == []
    # rows 1701417600000 then 1701417500000 (newest first); oiCcy "111" coin, oiUsd "8888888"
    assert [(p.time, p.oi, p.oi_usd) for p in parsed.records] == [
        (1701417500000, 111.0, 8888888.0),
        (1701417600000, 111.0, 8888888.0),
    ]
    assert parsed.records[0].base == "BTC"


def test_open_interest_history_takes_coins_not_contracts_and_names_bad_rows() -> None:
    payload = ok(
        [
            [str(T0 + HOUR), "2663107.3", "26631.073", "992000000"],
            [str(T0), "2600000", "26000", "962000000"],
            [str(T0 - HOUR), "2600000", "n/a", "962000000"],
        ]
    )
    parsed = okx.open_interest_history(payload, "BTC-USDT-SWAP")
    assert [(p.time, p.oi, p.oi_usd) for p in parsed.records] == [
        (T0, 26000.0, 962_000_000.0),
        (T0 + HOUR, 26631.073, 992_000_000.0),
    ]  # oiCcy, not oi contracts
    assert parsed.skipped == ["okx open-interest-history BTC-USDT-SWAP: 'oiCcy' is 'n/a', not a number"]


def test_the_contract_long_short_ratio_rows_are_read_by_the_existing_parser() -> None:
    payload = ok([[str(T0 + HOUR), "1.25"], [str(T0), "0.8"], [str(T0 - HOUR)]])
    parsed = okx.long_short_account_ratio(payload, "BTC-USDT-SWAP")
    assert sorted((p.time, p.ratio) for p in parsed.records) == [(T0, 0.8), (T0 + HOUR, 1.25)]
    assert {p.base for p in parsed.records} == {"BTC"}
    assert len(parsed.skipped) == 1 and "BTC-USDT-SWAP" in parsed.skipped[0]
