"""The bar store: bar alignment, the cross-venue row, carry-over into a new bar, and fixed memory."""

import math

import numpy as np
import pytest

from feeds.messages import ALL, BarUpdate, History
from signals.columns import COLUMNS, Col
from tui.model.bars import BarStore

STEP = 300_000
T0 = 1_750_000_200_000  # a multiple of 5 minutes


def _store(capacity: int = 10) -> BarStore:
    return BarStore(["BTC", "ETH"], ["v8", "v1"], capacity=capacity, step_ms=STEP)


def test_updates_within_a_bar_replace_it_and_a_later_time_opens_a_new_bar() -> None:
    st = _store()
    st.apply([BarUpdate("v8", "BTC", T0 + 10_000, price=100.0, oi=5.0)])
    st.apply([BarUpdate("v8", "BTC", T0 + 250_000, price=101.0, oi=6.0)])
    assert st.count == 1 and st.current_time == T0
    st.apply([BarUpdate("v8", "BTC", T0 + STEP + 1, price=102.0, oi=7.0)])
    bars = st.series("BTC", "v8")
    assert bars[:, Col.TIME].tolist() == [T0, T0 + STEP]
    assert bars[:, Col.PRICE].tolist() == [101.0, 102.0]


def test_all_row_sums_oi_in_usd_and_weights_funding_by_oi_after_8h_normalisation() -> None:
    st = _store()
    st.apply(
        [
            # 10 BTC at 100 = 1000 USD, 8h funding 0.0001; 30 BTC at 102 = 3060 USD, 1h funding 0.00002 =
            # 0.00016/8h
            BarUpdate(
                "v8",
                "BTC",
                T0,
                price=100.0,
                oi=10.0,
                funding=0.0001,
                funding_interval_h=8,
                ls_ratio=1.0,
                liq_long_usd=500.0,
            ),
            BarUpdate(
                "v1",
                "BTC",
                T0,
                price=102.0,
                oi=30.0,
                funding=0.00002,
                funding_interval_h=1,
                ls_ratio=3.0,
                liq_long_usd=250.0,
            ),
        ]
    )
    row = st.latest()[st.symbol_index("BTC"), st.venue_index(ALL)]
    assert row[Col.PRICE] == pytest.approx(101.0)
    assert row[Col.OI] * row[Col.PRICE] == pytest.approx(4060.0)
    assert row[Col.FUNDING] == pytest.approx((1000 * 0.0001 + 3060 * 0.00016) / 4060)
    assert row[Col.FUNDING_INTERVAL_H] == 8.0
    assert row[Col.LS_RATIO] == pytest.approx((1000 * 1.0 + 3060 * 3.0) / 4060)
    assert row[Col.LIQ_LONG] == 750.0


def test_all_row_ignores_a_venue_without_data_instead_of_turning_nan() -> None:
    st = _store()
    st.apply([BarUpdate("v8", "ETH", T0, price=3000.0, oi=2.0, funding=0.0001)])
    row = st.latest()[st.symbol_index("ETH"), st.venue_index(ALL)]
    assert row[Col.PRICE] == 3000.0 and row[Col.OI] == pytest.approx(2.0)
    assert math.isnan(row[Col.LS_RATIO])  # nobody published it: unknown, not zero


def test_a_new_bar_carries_levels_but_not_flows() -> None:
    st = _store()
    st.apply([BarUpdate("v8", "BTC", T0, price=100.0, oi=10.0, funding=0.0001, liq_long_usd=900.0)])
    st.apply([BarUpdate("v8", "ETH", T0 + STEP, price=3000.0)])  # another series opens the next bar
    btc = st.series("BTC", "v8")[-1]
    assert btc[Col.PRICE] == 100.0 and btc[Col.OI] == 10.0 and btc[Col.FUNDING] == 0.0001
    assert btc[Col.LIQ_LONG] == 0.0  # published before, nothing liquidated yet in the new bar
    assert math.isnan(st.series("ETH", "v8")[-1][Col.LIQ_LONG])  # never published: unknown


def test_history_aligns_to_the_time_axis_and_memory_stays_fixed() -> None:
    st = _store(capacity=8)
    bars = np.full((20, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = T0 + STEP * np.arange(20)
    bars[:, Col.PRICE] = np.arange(20, dtype=float)
    st.load_history([History("v1", "ETH", bars)])
    eth = st.series("ETH", "v1")
    assert len(eth) == 8 and eth[:, Col.PRICE].tolist() == list(range(12, 20))
    size = st.data.nbytes
    for k in range(100):
        st.apply([BarUpdate("v1", "ETH", T0 + STEP * (20 + k), price=1.0)])
    assert st.data.nbytes == size and st.count == 8


def test_updates_for_unknown_symbols_or_venues_are_ignored() -> None:
    st = _store()
    assert (
        st.apply([BarUpdate("nowhere", "BTC", T0, price=1.0), BarUpdate("v8", "DOGE", T0, price=1.0)])
        == set()
    )


def test_add_and_remove_symbol_keep_the_others_bars() -> None:
    st = _store()
    st.apply([BarUpdate("v8", "ETH", T0, price=3000.0)])
    st.add_symbol("SOL")
    st.remove_symbol("BTC")
    assert st.symbols == ["ETH", "SOL"]
    assert st.series("ETH", "v8")[-1][Col.PRICE] == 3000.0
    assert st.series("SOL", "v8")[-1][Col.TIME] == T0


def test_a_batch_that_closes_a_bar_and_opens_the_next_keeps_both_all_rows_right() -> None:
    st = _store()
    st.apply([BarUpdate("v8", "BTC", T0, price=100.0, oi=1.0, liq_long_usd=10.0)])
    st.apply(
        [
            BarUpdate("v8", "BTC", T0, price=101.0, oi=1.0, liq_long_usd=40.0),  # the closing update of bar 0
            BarUpdate("v8", "BTC", T0 + STEP, price=102.0, oi=1.0, liq_long_usd=5.0),  # bar 1 opens
        ]
    )
    all_row = st.series("BTC", ALL)
    assert all_row[:, Col.LIQ_LONG].tolist() == [40.0, 5.0]
    assert all_row[:, Col.PRICE].tolist() == [101.0, 102.0]


def test_a_block_writes_the_same_bars_as_the_updates_it_stands_for() -> None:
    from feeds.messages import BarBlock

    values = np.full((2, 2, len(COLUMNS)), np.nan)
    values[..., Col.PRICE] = [[100.0, 101.0], [3000.0, 3001.0]]
    values[..., Col.OI] = [[1.0, 2.0], [10.0, 20.0]]
    values[..., Col.LIQ_LONG] = [[5.0, 7.0], [0.0, 1.0]]
    block = BarBlock(T0 + 1234, ("BTC", "ETH"), ("v8", "v1"), values, (T0 + 8 * 3_600_000, T0 + 3_600_000))
    by_block, by_updates = _store(), _store()
    by_block.apply_block(block)
    by_updates.apply(block.updates())
    np.testing.assert_array_equal(by_block.data, by_updates.data)
    np.testing.assert_array_equal(by_block.next_funding_ms, by_updates.next_funding_ms)
    assert by_block.series("ETH", ALL)[-1][Col.LIQ_LONG] == 1.0


def test_a_venue_without_a_funding_interval_counts_as_8h_as_the_flags_do() -> None:
    st = _store()
    st.apply(
        [BarUpdate("v8", "BTC", T0, price=100.0, oi=1.0, funding=0.001, funding_interval_h=float("nan"))]
    )
    row = st.latest()[st.symbol_index("BTC"), st.venue_index(ALL)]
    assert row[Col.FUNDING] == pytest.approx(0.001)  # not dropped from the OI-weighted funding


def test_a_venue_without_oi_history_joining_live_does_not_look_like_an_oi_jump() -> None:
    # v8 has 4 bars of history with 10 BTC open interest; v1 keeps no OI history (as Hyperliquid) and
    # reports 5 BTC live. Summing only the venues present would read 10 -> 15 BTC, a +50 % "change".
    st = _store()
    bars = np.full((4, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = [T0 + k * STEP for k in range(4)]
    bars[:, Col.PRICE] = 100.0
    bars[:, Col.OI] = 10.0
    st.load_history([History("v8", "BTC", bars)])
    st.apply(
        [
            BarUpdate("v8", "BTC", T0 + 4 * STEP, price=100.0, oi=10.0),
            BarUpdate("v1", "BTC", T0 + 4 * STEP, price=100.0, oi=5.0),
        ]
    )
    oi = st.series("BTC", ALL)[:, Col.OI]
    assert oi.tolist() == [15.0] * 5  # the cross-venue OI is flat: nothing changed on either venue
    assert math.isnan(st.series("BTC", "v1")[0, Col.OI])  # the venue's own rows stay unknown before it joined


def test_all_row_without_open_interest_weighs_venues_equally_and_takes_the_first_spot_price() -> None:
    st = BarStore(["BTC"], ["a", "b", "c"], capacity=4, step_ms=STEP)
    st.apply(
        [  # candles and funding alone (no OI anywhere): funding is the plain mean of the venues that have it
            BarUpdate("a", "BTC", T0, price=100.0, funding=0.0001, funding_interval_h=8),
            BarUpdate("b", "BTC", T0, price=104.0, funding=0.00004, funding_interval_h=1, spot_price=103.5),
            BarUpdate("c", "BTC", T0, price=102.0, spot_price=101.0, taker_buy_usd=7.0),
        ]
    )
    row = st.latest()[0, st.venue_index(ALL)]
    assert row[Col.PRICE] == 102.0 and math.isnan(row[Col.OI])
    assert row[Col.FUNDING] == pytest.approx((0.0001 + 0.00032) / 2)  # b's 1h rate is 0.00032 over 8h
    assert row[Col.FUNDING_SPREAD] == pytest.approx(0.00032 - 0.0001)  # two venues report one
    assert row[Col.SPOT_PRICE] == 103.5  # the first venue in order that has a spot price (a has none)
    assert row[Col.TAKER_BUY] == 7.0 and math.isnan(row[Col.TAKER_SELL])  # a sum of one; none is unknown
    st.apply([BarUpdate("b", "BTC", T0, price=104.0, funding=math.nan)])  # b takes its rate back
    assert math.isnan(st.latest()[0, st.venue_index(ALL), Col.FUNDING_SPREAD])  # one venue: no spread


def test_history_with_a_gap_lands_on_its_own_bars_and_a_merge_keeps_what_it_lacks() -> None:
    st = _store(capacity=6)
    full = np.full((6, len(COLUMNS)), np.nan)
    full[:, Col.TIME] = T0 + STEP * np.arange(6)
    full[:, Col.PRICE] = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    full[:, Col.OI] = 5.0
    st.load_history([History("v8", "BTC", full)])
    gapped = np.full((3, len(COLUMNS)), np.nan)
    gapped[:, Col.TIME] = T0 + STEP * np.array([1, 2, 4])  # bar 3 missing
    gapped[:, Col.PRICE] = [21.0, 22.0, 24.0]  # and no OI
    st.load_history([History("v8", "BTC", gapped)], merge=True)
    btc = st.series("BTC", "v8")
    assert btc[:, Col.PRICE].tolist() == [10.0, 21.0, 22.0, 13.0, 24.0, 15.0]
    assert btc[:, Col.OI].tolist() == [5.0] * 6  # the merge had none: the stored OI stays
    st.load_history([History("v8", "BTC", gapped)])  # replaced, not merged: the OI of those bars goes
    assert np.isnan(st.series("BTC", "v8")[[1, 2, 4], Col.OI]).all()
