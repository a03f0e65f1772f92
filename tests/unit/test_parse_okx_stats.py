"""OKX mark, index, top-trader and taker-volume payloads (written from the v5 doc pages) read by hand."""

from __future__ import annotations

import json
import math

import pytest

from feeds.records import PayloadError
from feeds.venues import okx_parse as okx
from feeds.venues import okx_parse_stats as stats
from feeds.venues.base import latest_only
from tests.support.jsonc import VENUE_DOCS, load_jsonc
from tests.support.paths import SAMPLES

DOCS = VENUE_DOCS / "okx"
NOW = 1_700_000_000_000


def test_mark_prices_per_swap_and_a_blank_mark_is_skipped_with_a_line() -> None:
    parsed = stats.mark_price(load_jsonc(DOCS / "mark_price.jsonc"), NOW)
    assert [(t.instrument, t.base, t.mark, t.time) for t in parsed.records] == [
        ("BTC-USDT-SWAP", "BTC", 60012.5, 1700000000123),
        ("PEPE-USDT-SWAP", "PEPE", 0.0000102, 1700000000123),
    ]
    assert math.isnan(parsed.records[0].price)  # a mark is not a last trade
    assert parsed.skipped == ["okx mark-price ETH-USDT-SWAP: 'markPx' missing"]


def test_index_tickers_become_the_index_of_the_usdt_swap_and_other_quotes_are_left_out() -> None:
    parsed = stats.index_tickers(load_jsonc(DOCS / "index_tickers.jsonc"), NOW)
    assert parsed.skipped == []
    # BTC-USD is an index in dollars, not the USDT one BTC-USDT-SWAP is marked against.
    assert [(t.instrument, t.base, t.index, t.time) for t in parsed.records] == [
        ("BTC-USDT-SWAP", "BTC", 60000.0, 1700000000456),
        ("PEPE-USDT-SWAP", "PEPE", 0.0000101, 1700000000456),
    ]
    assert math.isnan(parsed.records[0].mark)


def test_mark_over_index_is_the_premium_a_user_reads() -> None:
    (mark, _) = stats.mark_price(load_jsonc(DOCS / "mark_price.jsonc"), NOW).records
    (index, _) = stats.index_tickers(load_jsonc(DOCS / "index_tickers.jsonc"), NOW).records
    assert mark.mark / index.index - 1 == pytest.approx(0.000208333, abs=1e-9)  # 60012.5 / 60000 - 1


def test_top_trader_position_ratio_rows_are_top_position_points() -> None:
    parsed = stats.top_trader_position_ratio(
        load_jsonc(DOCS / "top_trader_position_ratio.jsonc"), "BTC-USDT-SWAP"
    )
    assert parsed.skipped == []
    assert [(p.time, p.ratio, p.kind, p.base) for p in parsed.records] == [
        (1700000100000, 0.8125, "top_position", "BTC"),
        (1699999800000, 1.204, "top_position", "BTC"),
    ]
    (latest,) = latest_only(parsed).records
    assert latest.ratio == 0.8125  # newest first as OKX sends it: the latest row is the first


def test_contract_taker_volume_reads_sell_before_buy_in_usd() -> None:
    parsed = stats.taker_volume_contract(load_jsonc(DOCS / "taker_volume_contract.jsonc"), "BTC-USDT-SWAP")
    assert parsed.skipped == []
    # Rows are [ts, sellVol, buyVol]: a parser that took them in Binance's order would swap the sides.
    assert [(f.time, f.buy_usd, f.sell_usd, f.spot) for f in parsed.records] == [
        (1700000100000, 2_000_000.0, 1_250_000.5, False),
        (1699999800000, 900_000.25, 3_100_000.0, False),
    ]


def test_spot_taker_volume_is_coins_valued_at_the_spot_price() -> None:
    parsed = stats.taker_volume_spot(load_jsonc(DOCS / "taker_volume_spot.jsonc"), "BTC", 60_000.0)
    assert parsed.skipped == []
    assert [(f.time, f.buy_usd, f.sell_usd, f.spot, f.instrument) for f in parsed.records] == [
        (1700000100000, 1_200_000.0, 750_000.0, True, "BTC-USDT"),  # 20 and 12.5 BTC x 60000
        (1699999800000, 540_000.0, 1_860_000.0, True, "BTC-USDT"),  # 9 and 31 BTC x 60000
    ]


def test_spot_taker_volume_without_a_spot_price_gives_nothing_and_says_so() -> None:
    parsed = stats.taker_volume_spot(load_jsonc(DOCS / "taker_volume_spot.jsonc"), "BTC", float("nan"))
    assert parsed.records == []
    assert parsed.skipped == ["okx taker-volume BTC: no spot price yet to value 2 rows in USD"]


def test_a_bad_taker_row_is_skipped_and_an_error_envelope_raises() -> None:
    payload = {"code": "0", "msg": "", "data": [["1700000100000", "-1", "5"], ["1699999800000", "2", "3"]]}
    parsed = stats.taker_volume_contract(payload, "BTC-USDT-SWAP")
    assert [(f.buy_usd, f.sell_usd) for f in parsed.records] == [(3.0, 2.0)]
    assert parsed.skipped == ["okx taker-volume-contract BTC-USDT-SWAP: sellVol -1 or buyVol 5 negative"]
    with pytest.raises(PayloadError, match="code '50011'"):
        stats.taker_volume_contract({"code": "50011", "msg": "Too Many Requests"}, "BTC-USDT-SWAP")


def test_spot_tickers_carry_the_last_spot_price() -> None:
    path = SAMPLES / "okx" / "ws_tickers_spot.json"
    if not path.exists():
        pytest.skip(f"OKX sample {path} not present (shared reference data is outside the repo)")
    row = json.loads(path.read_text())["data"][0]  # the doc's SPOT row: BTC-USDT last "9999.99"
    (spot,) = okx.spot_tickers({"code": "0", "msg": "", "data": [row]}, NOW).records
    assert (spot.instrument, spot.price, spot.volume_24h_usd) == ("BTC-USDT", 9999.99, 2222.0)
    (pushed,) = okx.ws_tickers_spot(json.loads(path.read_text()), NOW).records
    assert pushed.price == 9999.99
