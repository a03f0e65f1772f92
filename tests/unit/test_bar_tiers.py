"""The bar store's two tiers: the older rows in float32 read and evaluate as one float64 panel would.

Every value written is exact in float32 (a whole number of 1/1024ths under 2**14), so a tiered store
and a float64 one fed the same bars must agree to the bit on every venue series, and on every flag:
the cold rows are read only for the lookback's open interest and liquidations, whose cross-venue
figures are sums (exact too). Only the cross-venue prices and ratios of cold rows, worked out in
float64 and kept in float32, may differ, by float32's rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

from feeds.messages import ALL, BarBlock, BarUpdate, History
from signals.columns import COLUMNS, Col
from signals.params import SignalParams
from tui.model.bars import BarStore, capacity_for, hot_rows_for
from tui.model.rows import compute_rows
from tui.model.store_flags import evaluate_store

STEP = 300_000
T0 = 1_760_000_400_000 - 1_760_000_400_000 % STEP
SYMBOLS = ["AAA", "BBB", "CCC"]
VENUES = ["simA", "simB"]
# Windows in 5-minute bars: change 3, liq 3, lookback 24, volume sums 12, flows 3: every flag is
# evaluated over 27 bars, of which the hot rows are 7 (the volume sums reach into the cold ones).
PARAMS = SignalParams(
    window_h=0.25, liq_window_h=0.25, lookback_h=2.0, sfr_window_h=1.0, flow_window_h=0.25, liq_quantile=0.8
)
CAPACITY = capacity_for(PARAMS, STEP)
HOT = hot_rows_for(PARAMS, STEP, extra_h=0.25)


def _exact(rng: np.random.Generator, shape: tuple[int, ...], lo: float, hi: float) -> np.ndarray:
    """Values in [lo, hi) that a float32 holds exactly."""
    return np.round(rng.uniform(lo, hi, shape) * 1024) / 1024


def _bars(rng: np.random.Generator, n: int, first_ms: int) -> np.ndarray:
    bars = np.empty((n, len(COLUMNS)))
    bars[:, Col.TIME] = first_ms + STEP * np.arange(n)
    bars[:, 1:] = _exact(rng, (n, len(COLUMNS) - 1), 0.5, 2.0)
    bars[:, Col.PRICE] = _exact(rng, (n,), 90.0, 110.0)
    bars[:, Col.OI] = _exact(rng, (n,), 1_000.0, 9_000.0)
    bars[:, Col.FUNDING] = np.round(rng.uniform(-8, 8, n)) / 2**14  # up to 0.05 %: extreme funding fires
    bars[:, Col.FUNDING_INTERVAL_H] = 8.0
    bars[:, Col.LIQ_LONG] = np.where(rng.random(n) < 0.2, _exact(rng, (n,), 100.0, 9_000.0), 0.0)
    # a spot / futures ratio about leverage_driven's 0.2 (exact in float32, and no draw more)
    bars[:, Col.SPOT_VOL] /= 4
    bars[:, Col.FUT_VOL] *= 1.25
    bars[:, Col.FUNDING_SPREAD] = np.nan  # the cross-venue series works it out
    return bars


def _update(rng: np.random.Generator, symbol: str, venue: str, t: int) -> BarUpdate:
    b = _bars(rng, 1, t)[0]
    return BarUpdate(
        venue, symbol, t, price=b[Col.PRICE], oi=b[Col.OI], funding=b[Col.FUNDING], ls_ratio=b[Col.LS_RATIO],
        liq_long_usd=b[Col.LIQ_LONG], liq_short_usd=b[Col.LIQ_SHORT], spot_volume_usd=b[Col.SPOT_VOL],
        futures_volume_usd=b[Col.FUT_VOL], taker_buy_usd=b[Col.TAKER_BUY], taker_sell_usd=b[Col.TAKER_SELL],
    )  # fmt: skip


def _feed(stores: list[BarStore], seed: int, gap: int) -> int:
    """The same bars into every store: a history reaching back past the hot rows, bar-by-bar updates, a
    jump of ``gap`` bars, a late update of a cold bar and a block rewriting a hot one. The last bar's time."""
    rng = np.random.default_rng(seed)
    n = CAPACITY - 3
    hist = [History(v, s, _bars(rng, n - k, T0 + k * STEP)) for s in SYMBOLS for k, v in enumerate(VENUES)]
    t = T0 + (n - 1) * STEP
    batches: list[list[BarUpdate] | BarBlock] = []
    for _ in range(5):  # five new bars, one at a time
        t += STEP
        batches.append([_update(rng, s, v, t) for s in SYMBOLS for v in VENUES])
    t += gap * STEP
    batches.append([_update(rng, s, v, t) for s in SYMBOLS for v in VENUES])
    # AAA's current bar: liquidations above any of the week's, open interest above its median
    batches.append(
        [BarUpdate(v, "AAA", t, 100.0, oi=8_999.0, liq_long_usd=20_000.0, liq_short_usd=0.0) for v in VENUES]
    )
    batches.append([_update(rng, "BBB", "simB", t - (HOT + 2) * STEP)])  # late: a cold bar
    values = np.stack([_bars(rng, len(VENUES), t)[:, :] for _ in SYMBOLS])
    batches.append(BarBlock(t - 2 * STEP, tuple(SYMBOLS), tuple(VENUES), values))  # an older hot bar
    for store in stores:
        store.load_history(hist)
        for batch in batches:
            if isinstance(batch, BarBlock):
                store.apply_block(batch)
            else:
                store.apply(batch)
    return t


def _pair(symbols: list[str] = SYMBOLS) -> tuple[BarStore, BarStore]:
    return BarStore(symbols, VENUES, CAPACITY, STEP), BarStore(symbols, VENUES, CAPACITY, STEP, hot=HOT)


def _flags(store: BarStore, at: int | None = None) -> dict[tuple[str, str], list[tuple[str, int, str]]]:
    results = evaluate_store(store, PARAMS, at=at)
    return {k: [(f.name, f.direction, f.reason) for f in r.flags] for k, r in results.items()}


def test_the_older_rows_take_half_the_bytes() -> None:
    whole, tiered = _pair()
    series = len(SYMBOLS) * (len(VENUES) + 1) * len(COLUMNS)
    assert (HOT, CAPACITY) == (7, 29)  # by hand: n(0.25 h) + 4; 24 + 3 + 2
    assert whole.data.nbytes == CAPACITY * series * 8
    assert tiered.data.nbytes + tiered.cold.nbytes == HOT * series * 8 + (CAPACITY - HOT) * series * 4


@pytest.mark.parametrize("gap", [0, 3, HOT + 4])
def test_a_tiered_store_reads_as_a_float64_one(gap: int) -> None:
    whole, tiered = _pair()
    t = _feed([whole, tiered], seed=gap, gap=gap)
    assert whole.count == tiered.count == CAPACITY
    for s in SYMBOLS:
        for v in VENUES:
            assert np.array_equal(tiered.series(s, v), whole.series(s, v), equal_nan=True), (s, v)
        mine, theirs = tiered.series(s, ALL), whole.series(s, ALL)
        assert np.array_equal(mine[:, Col.TIME], theirs[:, Col.TIME])  # exact times, cold rows too
        assert np.array_equal(mine[-HOT:], theirs[-HOT:], equal_nan=True)
        np.testing.assert_allclose(mine, theirs, rtol=2e-7)
    assert np.array_equal(tiered.tail(CAPACITY)[:, :, :2], whole.tail(CAPACITY)[:, :, :2], equal_nan=True)
    idx = np.array([0, 1, 2, 2])
    slots = np.array([0, 1, 0, 1])
    assert np.array_equal(
        tiered.window(Col.OI, CAPACITY, idx, slots),
        whole.window(Col.OI, CAPACITY, idx, slots),
        equal_nan=True,
    )
    hours = whole.hourly(Col.LIQ_LONG, 3, [2, 0], whole.all_slot)  # 12 bars apart: two in the cold rows
    assert np.array_equal(tiered.hourly(Col.LIQ_LONG, 3, [2, 0], tiered.all_slot), hours, equal_nan=True)
    cold_bar = t - (CAPACITY - 2) * STEP
    rows = whole.venue_bars_at(cold_bar)
    assert repr(tiered.venue_bars_at(cold_bar)) == repr(rows) and rows  # repr: NaN equals NaN


@pytest.mark.parametrize("gap", [0, 3])
def test_a_tiered_store_raises_the_same_flags(gap: int) -> None:
    whole, tiered = _pair()
    t = _feed([whole, tiered], seed=10 + gap, gap=gap)
    flags = _flags(whole)
    assert sum(len(f) for f in flags.values()) >= 5  # the bars raise flags: the comparison means something
    if not gap:  # (after a gap the bars before the current one have no liquidations or volumes to sum)
        assert "cascade_risk" in [name for name, _, _ in flags["AAA", ALL]]  # the lookback's flag
        # the volume sums' flag (their window reaches into the cold rows), on some series, not all
        levered = [k for k, f in flags.items() if "leverage_driven" in [name for name, _, _ in f]]
        assert 0 < len(levered) < len(flags)
    assert _flags(tiered) == flags
    assert _flags(tiered, at=t - STEP) == _flags(whole, at=t - STEP)  # a bar as it closes (the alerts)


def test_values_a_float32_cannot_hold_are_rounded_only_in_the_older_rows() -> None:
    _, tiered = _pair(["AAA"])
    bars = np.full((CAPACITY, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = T0 + STEP * np.arange(CAPACITY)
    bars[:, Col.PRICE] = 100.1
    tiered.load_history([History("simA", "AAA", bars)])
    prices = tiered.series("AAA", "simA")[:, Col.PRICE]
    assert (prices[-HOT:] == 100.1).all()  # the hot rows as written
    assert (prices[:-HOT] != 100.1).all()  # the cold ones to float32's 7 digits
    np.testing.assert_allclose(prices[:-HOT], 100.1, rtol=6e-8)


def test_symbols_added_and_removed_keep_both_tiers_in_step() -> None:
    whole, tiered = _pair(["AAA", "BBB"])
    _feed([whole, tiered], seed=3, gap=0)  # CCC is not in these stores: its bars are skipped
    for store in (whole, tiered):
        store.remove_symbol("AAA")
        store.add_symbol("DDD")
        store.apply([BarUpdate("simA", "DDD", int(store.current_time or 0), price=5.0)])
    assert tiered.cold.shape[1] == tiered.data.shape[1] == 2
    for s in ("BBB", "DDD"):
        assert np.array_equal(tiered.series(s, "simA"), whole.series(s, "simA"), equal_nan=True)
    assert np.isnan(tiered.series("DDD", "simA")[:-1, Col.PRICE]).all()


def test_the_watchlist_figures_read_a_day_back_through_the_cold_rows() -> None:
    params = SignalParams()  # the monitor's: 52 hot rows, a day of volumes and the 24 h change beyond them
    hot, capacity = hot_rows_for(params, STEP), 300
    assert hot == 48 + 4  # n(4 h) + 4
    whole = BarStore(SYMBOLS, VENUES, capacity, STEP)
    tiered = BarStore(SYMBOLS, VENUES, capacity, STEP, hot=hot)
    rng = np.random.default_rng(5)
    hist = [History(v, s, _bars(rng, capacity, T0)) for s in SYMBOLS for v in VENUES]
    for store in (whole, tiered):
        store.load_history(hist)
    rows = compute_rows(tiered, params)
    assert repr(rows) == repr(compute_rows(whole, params))  # repr: NaN equals NaN
    some = compute_rows(tiered, params, None, [2, 0], ["simB", ALL])  # the rows a paint asks for
    assert repr(some) == repr(compute_rows(whole, params, None, [2, 0], ["simB", ALL]))
    assert repr(some["AAA", "simB"]) == repr(rows["AAA", "simB"])
    at = T0 + (capacity - 2) * STEP  # the bar before the current one (the alerts' figures as it closed)
    assert repr(compute_rows(tiered, params, at=at)) == repr(compute_rows(whole, params, at=at))
    # By hand from the bars: the price a day (288 bars) back, the day's volumes.
    bars = hist[1].bars  # AAA on simB
    row = rows["AAA", "simB"]
    assert row.change_24h == bars[-1, Col.PRICE] / bars[-289, Col.PRICE] - 1.0
    day = bars[-288:]
    assert row.spot_futures_ratio == pytest.approx(day[:, Col.SPOT_VOL].sum() / day[:, Col.FUT_VOL].sum())
