"""The liquidation tape's model: ring buffer, symbol filter, large mark, clusters by price, the config key,
and the simulated market's liquidation events (they add up to its bars' totals).

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from feeds.records import Liquidation
from feeds.sim import DEFAULT_DEMO_WATCHLIST, SimulatedMarket
from feeds.sim.liquidations import history_events, recent_history
from feeds.sim.source import DemoSource
from signals.columns import Col
from tui.config.loader import ConfigError, parse_config
from tui.model.bars import BarStore
from tui.model.liq_tape import LiqTape, nice_step, price_bins

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def liq(
    base: str = "BTC", t: int = T0, side: str = "long", price: float = 100.0, usd: float = 1_000.0
) -> Liquidation:
    qty = usd / price if price else float("nan")
    return Liquidation("binance", base + "USDT", base, t, side, price, qty, usd)  # type: ignore[arg-type]


def test_the_ring_keeps_the_last_n_events_newest_first() -> None:
    tape = LiqTape(capacity=3)
    tape.add([liq(t=T0 + k * 1000, usd=1000.0 + k) for k in range(5)])
    shown = tape.latest()
    assert [e.usd for e in shown] == [1004.0, 1003.0, 1002.0]  # the first two fell out of the ring
    assert tape.received == 5 and len(tape) == 3


def test_newest_first_is_by_the_event_time_not_by_arrival() -> None:
    tape = LiqTape()
    tape.add([liq(t=T0 + 5_000, usd=1.0)])
    tape.add([liq(t=T0 + 2_000, usd=2.0)])  # a slower venue's stream: arrived later, happened earlier
    tape.add([liq(t=T0 + 9_000, usd=3.0)])
    assert [e.usd for e in tape.latest()] == [3.0, 1.0, 2.0]


def test_the_filter_keeps_symbols_containing_the_text_in_any_case() -> None:
    tape = LiqTape()
    tape.add([liq("BTC"), liq("ETH"), liq("ETHFI"), liq("SOL")])
    assert sorted(e.base for e in tape.latest("eth")) == ["ETH", "ETHFI"]
    assert [e.base for e in tape.latest(" btc ")] == ["BTC"]
    assert len(tape.latest("")) == 4
    assert tape.latest("DOGE") == []


def test_large_means_at_least_the_threshold() -> None:
    tape = LiqTape()  # default [display] large_liquidation_usd: 100,000
    assert tape.is_large(liq(usd=100_000.0))
    assert not tape.is_large(liq(usd=99_999.0))
    assert LiqTape(large_usd=1_000_000.0).is_large(liq(usd=999_999.0)) is False


def test_events_without_a_price_or_size_are_not_kept() -> None:
    tape = LiqTape()
    tape.add([liq(usd=float("nan")), liq(price=0.0), liq(usd=50.0)])
    assert [e.usd for e in tape.latest()] == [50.0]


def test_the_window_of_a_symbol_and_the_recorder_still_gets_every_batch() -> None:
    tape = LiqTape()
    recorded: list[Liquidation] = []
    listen = tape.listener(recorded.extend)
    batch = [liq("BTC", T0), liq("BTC", T0 + 60_000), liq("ETH", T0 + 30_000), liq("BTC", T0 + 120_000)]
    listen(batch)
    assert recorded == batch
    # Start inclusive, end exclusive, this symbol only, oldest first.
    assert [e.time for e in tape.window("BTC", T0, T0 + 120_000)] == [T0, T0 + 60_000]


@pytest.mark.parametrize("batches", [[1] * 17, [3, 1, 4, 1, 5, 3], [17], [6, 11], [2, 9, 6]])
def test_a_symbol_keeps_its_last_events_whatever_batches_they_came_in(batches: list[int]) -> None:
    # 17 events of one symbol in the given batch sizes, kept 6 at most: always the last 6 that arrived,
    # given back by time. Times run backwards in steps of 1 s with a repeat, so "by time" differs from
    # arrival and two equal times keep their arrival order; two venues, both sides.
    events = [
        Liquidation(
            "okx" if k % 3 else "binance",
            "BTC-USDT-SWAP" if k % 3 else "BTCUSDT",
            "BTC",
            T0 - 1000 * (k // 2 * 2),  # 0, 0, -2 s, -2 s, -4 s, ...
            "long" if k % 2 else "short",  # type: ignore[arg-type]
            100.0 + k,
            0.5 + k,
            (100.0 + k) * (0.5 + k),
        )
        for k in range(17)
    ]
    tape = LiqTape(per_symbol=6)
    done = 0
    for size in batches:
        tape.add(events[done : done + size])
        done += size
        held = events[max(0, done - 6) : done]  # the last six, in arrival order
        expected = sorted(held, key=lambda e: e.time)  # sorted() is stable: arrival order among equals
        assert tape.window("BTC", T0 - 60_000, T0 + 1) == expected
        assert tape.held_since("BTC") == (min(e.time for e in held) if done >= 6 else None)
    assert tape.window("BTC", T0 - 3000, T0 - 1000) == []  # -2 s events are long gone (k = 2, 3)


def test_a_days_events_of_200_symbols_take_a_fifth_of_what_objects_did() -> None:
    # 400 events of each of 200 symbols (80,000: the demo's day at 200 symbols is about 88,000), each
    # batch made and let go as a source does. Kept as objects (with these events' own instrument
    # strings) they held 26 MB; as rows, 35 bytes each (2.8 MB) beside the tape's last 2,000 objects:
    # 3.6 MB measured.
    import tracemalloc

    tape = LiqTape()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for s in range(200):
            tape.add([liq(base=f"S{s:03d}", t=T0 + k, price=1.0 + s, usd=10.0 + k) for k in range(400)])
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held - before < 5_000_000
    assert len(tape.window("S199", T0, T0 + 400)) == 400


def test_a_full_symbol_buffer_says_from_when_its_events_are_held() -> None:
    tape = LiqTape(per_symbol=2)
    tape.add([liq(t=T0), liq(t=T0 + 1000)])
    assert tape.held_since("BTC") == T0  # full, nothing dropped yet, but older ones may go next
    tape.add([liq(t=T0 + 2000)])
    assert tape.held_since("BTC") == T0 + 1000
    assert LiqTape().held_since("BTC") is None


def test_a_replay_says_it_has_no_events() -> None:
    assert (
        LiqTape(mode="replay").unavailable == "no liquidation events in a replay (only bar totals are stored)"
    )
    live = LiqTape(mode="live").note
    assert "Binance sends at most one per symbol per second" in live and "Hyperliquid publishes none" in live
    assert LiqTape(mode="live").unavailable == ""


@pytest.mark.parametrize(
    ("raw", "step"), [(1.6667, 2.0), (0.03, 0.05), (250.0, 250.0), (0.7, 1.0), (2.2, 2.5)]
)
def test_bins_have_a_round_width(raw: float, step: float) -> None:
    assert nice_step(raw) == pytest.approx(step)


def test_price_bins_by_hand() -> None:
    events = [
        liq(side="long", price=100.0, usd=1000.0),
        liq(side="short", price=102.5, usd=500.0),
        liq(side="long", price=109.0, usd=200.0),
        liq(side="short", price=110.0, usd=300.0),
        liq(side="long", price=101.0, usd=50.0),
    ]
    # Prices 100..110 in at most 6 bins: 10 / 6 = 1.67 -> a width of 2 from 100, so 6 bins
    # [100,102) [102,104) [104,106) [106,108) [108,110) [110,112); the current price 104 is in bin 2.
    bins = price_bins(events, 6, 104.0)
    assert bins is not None
    assert bins.step == 2.0
    assert bins.edges.tolist() == [100.0, 102.0, 104.0, 106.0, 108.0, 110.0]
    assert bins.longs.tolist() == [1050.0, 0.0, 0.0, 0.0, 200.0, 0.0]
    assert bins.shorts.tolist() == [0.0, 500.0, 0.0, 0.0, 0.0, 300.0]
    assert bins.current == 2
    assert bins.events == 5


def test_price_bins_reach_the_current_price_and_widen_to_fit() -> None:
    # Events at 100 and 101, the price now 120: 20 / 4 = 5 -> width 5 from 100: [100,105) .. [120,125) is
    # 5 bins, one too many for 4, so the width goes to 10: [100,110) [110,120) [120,130).
    bins = price_bins([liq(price=100.0), liq(side="short", price=101.0, usd=400.0)], 4, 120.0)
    assert bins is not None
    assert bins.step == 10.0
    assert bins.longs.tolist() == [1000.0, 0.0, 0.0]
    assert bins.shorts.tolist() == [400.0, 0.0, 0.0]
    assert bins.current == 2


def test_no_events_no_bins() -> None:
    assert price_bins([], 10, 100.0) is None


def test_the_config_sets_the_large_threshold(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert (
        parse_config("[display]\nlarge_liquidation_usd = 250000\n", path).large_liquidation_usd == 250_000.0
    )
    assert parse_config("", path).large_liquidation_usd == 100_000.0
    with pytest.raises(ConfigError) as bad:
        parse_config('[display]\nlarge_liquidation_usd = "lots"\n', path)
    assert "large_liquidation_usd" in str(bad.value) and "\n" not in str(bad.value)


# ---- the simulated market's events -----------------------------------------------------------------


def _bar_sums(events: list[Liquidation], step_ms: int) -> dict[tuple[str, str, int, str], float]:
    sums: dict[tuple[str, str, int, str], float] = {}
    for e in events:
        key = (e.base, e.venue, e.time - e.time % step_ms, e.side)
        sums[key] = sums.get(key, 0.0) + e.usd
    return sums


def test_simulated_history_events_add_up_to_the_bars_totals() -> None:
    market = SimulatedMarket(["BTC", "PEPE"], seed=7, start_ms=T0)
    histories = market.history()
    events = history_events(histories, market.step_ms, seed=7, hours=6.0)
    assert events
    sums = _bar_sums(events, market.step_ms)
    checked = 0
    for h in histories:
        recent = h.bars[h.bars[:, Col.TIME] > h.bars[-1, Col.TIME] - 6 * 3_600_000]
        for row in recent:
            for side, col in (("long", Col.LIQ_LONG), ("short", Col.LIQ_SHORT)):
                got = sums.get((h.symbol, h.venue, int(row[Col.TIME]), side), 0.0)
                assert got == pytest.approx(float(row[col]), rel=1e-9, abs=1e-6)
                checked += row[col] > 0
    assert checked > 20
    # Longs fill a little below the bar's price (forced sells), shorts a little above.
    closes = {(h.symbol, h.venue, int(t)): p for h in histories for t, p in h.bars[:, [Col.TIME, Col.PRICE]]}
    for e in events[:200]:
        close = closes[(e.base, e.venue, e.time - e.time % market.step_ms)]
        assert (e.price <= close) if e.side == "long" else (e.price >= close)
        assert abs(e.price / close - 1) < 0.02


def test_the_last_day_kept_for_the_orders_is_four_columns_and_splits_the_same() -> None:
    market = SimulatedMarket(["BTC", "PEPE"], seed=7, start_ms=T0)
    histories = market.history()
    kept = [recent_history(h, market.step_ms) for h in histories]
    day = 24 * 12 + 1  # a day of 5-minute bars and the one it starts after
    for h, r in zip(histories, kept, strict=True):
        assert (r.venue, r.symbol) == (h.venue, h.symbol)
        # time, price, long and short liquidations of the last day: 9 KB, not every column's 42 KB
        cols = [Col.TIME, Col.PRICE, Col.LIQ_LONG, Col.LIQ_SHORT]
        np.testing.assert_array_equal(r.bars, h.bars[-day:][:, cols])
        assert r.bars.nbytes == day * 4 * 8
    assert history_events(kept, market.step_ms, seed=7) == history_events(histories, market.step_ms, seed=7)


def test_the_demo_source_hands_on_live_events_that_add_up_to_closed_bars() -> None:
    watch = list(DEFAULT_DEMO_WATCHLIST)
    source = DemoSource(SimulatedMarket(watch, seed=7, start_ms=T0), rng_seed=7, live=False)
    got: list[Liquidation] = []
    source.listen_liquidations(got.extend)
    store = BarStore(watch, source.venues, 3_000, source.step_ms)
    source.attach(store)
    assert got, "the demo's tape starts with the events of its recent history"
    first_live = len(got)
    for _ in range(500):  # 750 simulated seconds: two whole bars close
        source.step(1.5)
    live = got[first_live:]
    sums = _bar_sums(live, source.step_ms)
    closed = [T0 + k * source.step_ms for k in (0, 1)]
    checked = 0
    for sym in watch:
        for v in source.venues:
            series = store.series(sym, v)
            for t in closed:
                row = series[series[:, Col.TIME] == t][0]
                for side, col in (("long", Col.LIQ_LONG), ("short", Col.LIQ_SHORT)):
                    want = float(np.nan_to_num(row[col]))
                    assert sums.get((sym, v, t, side), 0.0) == pytest.approx(want, rel=1e-9, abs=1e-6)
                    checked += want > 0
    assert checked > 5


def test_the_clusters_say_when_the_window_reaches_back_past_the_events_held() -> None:
    from tui.widgets.liq_clusters import clusters_of

    tape = LiqTape(per_symbol=2)
    tape.add([liq(t=T0), liq(t=T0 + 60_000), liq(t=T0 + 120_000)])  # the first one was dropped
    data = clusters_of(tape, "BTC", T0 - 3_600_000, T0 + 300_000, 100.0, "1h")
    assert [e.time for e in data.events] == [T0 + 60_000, T0 + 120_000]
    assert data.note == "events held since 2026-01-01 00:01 UTC"
    assert clusters_of(tape, "BTC", T0 + 90_000, T0 + 300_000, 100.0, "1h").note == ""
    assert clusters_of(LiqTape(mode="replay"), "BTC", T0, T0 + 1, 100.0, "1h").note.startswith(
        "no liquidation events"
    )
