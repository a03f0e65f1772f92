"""The live (latest-bar) path and the batch path give the same flags, bar for bar, on real and random data.

For every bar t, ``evaluate_latest`` on the trailing window ending at t must give exactly the flags
(names, directions, reasons, confidences) of ``evaluate(...).flags_at(t)``. Real history is read from
``../shared/data`` (the CSV loading lives here until the real importer exists).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from signals.columns import COLUMNS, INDEX, Col
from signals.evaluate import LatestCache, evaluate, evaluate_latest, needed_bars
from signals.flags import FLAG_NAMES
from signals.params import SignalParams
from tests.support.paths import DATA
from tests.support.signals import HOUR_MS, assert_agree_all, assert_agree_ticks

BTC = DATA / "binance-btc-1h-funding-ggcmk"
SOL = DATA / "okx-sol-swap-jabine9966" / "commit_6c08697"
FIVE_MIN = 300_000


def read_csv(path: Path, *cols: str) -> list[np.ndarray]:
    """The named columns of a CSV file as float arrays."""
    if not path.exists():
        pytest.skip(f"shared market data not found at {path}")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [np.array([float(r[c]) for r in rows]) for c in cols]


def ffill(at_ms: np.ndarray, ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The last value with ``ts <= at_ms`` (NaN before the first)."""
    i = np.searchsorted(ts, at_ms, side="right") - 1
    return np.where(i >= 0, values[np.clip(i, 0, None)], np.nan)


def btc_bars() -> np.ndarray:
    """Binance BTCUSDT 1 h: close as price, quoteVolume as futures volume, funding known at bar close."""
    t, close, quote = read_csv(BTC / "BTCUSDT-1h-futures.csv", "openTime", "close", "quoteVolume")
    ft, fi, fr = read_csv(BTC / "BTCUSDT-funding.csv", "fundingTime", "fundingIntervalHours", "fundingRate")
    b = np.full((len(t), len(COLUMNS)), np.nan)
    b[:, Col.TIME] = t
    b[:, INDEX["price"]] = close
    b[:, INDEX["futures_volume_usd"]] = quote
    known = t + HOUR_MS - 1
    b[:, INDEX["funding"]] = ffill(known, ft, fr)
    b[:, INDEX["funding_interval_h"]] = ffill(known, ft, fi)
    return b


def sol_bars(seed: int = 7) -> np.ndarray:
    """OKX SOL-USDT-SWAP 5 m: close as price, hourly OI (USD, so / price), funding and L/S forward-filled;
    liquidations are synthetic (the data has none), with many zeros and repeated values."""
    t, close = read_csv(SOL / "ohlcv_5m.csv", "ts", "close")
    oi_t, oi_usd = read_csv(SOL / "open_interest.csv", "ts", "oi")
    f_t, f_r = read_csv(SOL / "funding_rate.csv", "ts", "fundingRate")
    ls_t, ls_r = read_csv(SOL / "long_short_ratio.csv", "ts", "ratio")
    known = t + FIVE_MIN - 1
    b = np.full((len(t), len(COLUMNS)), np.nan)
    b[:, Col.TIME] = t
    b[:, INDEX["price"]] = close
    b[:, INDEX["oi"]] = ffill(known, oi_t, oi_usd) / close
    b[:, INDEX["funding"]] = ffill(known, f_t, f_r)
    b[:, INDEX["funding_interval_h"]] = 8.0
    b[:, INDEX["ls_ratio"]] = ffill(known, ls_t, ls_r)
    rng = np.random.default_rng(seed)
    # Zeros and repeated values (ties), but not round ones: round figures hide rounding differences.
    levels = np.concatenate([np.zeros(4), rng.exponential(1e5, 5)])
    b[:, INDEX["liq_long_usd"]] = rng.choice(levels, len(t))
    b[:, INDEX["liq_short_usd"]] = rng.choice(levels, len(t))
    return b


# ---- real history -----------------------------------------------------------------------------


def test_btc_1h_funding_flags_agree_and_match_the_funding_file() -> None:
    bars = btc_bars()
    table = evaluate(bars, SignalParams(), HOUR_MS)
    # Only funding and futures volume exist: the price/OI, crowding, cascade and leverage flags are
    # unavailable.
    assert {n for n in FLAG_NAMES if table.available[n]} == {"funding_extreme", "funding_flip"}
    # Flips counted straight from the funding file (settlements inside the kline span, after the first bar):
    # every sign change of a nonzero rate is one bar with funding_flip on.
    ft, fr = read_csv(BTC / "BTCUSDT-funding.csv", "fundingTime", "fundingRate")
    inside = (ft > bars[0, Col.TIME] + HOUR_MS) & (ft <= bars[-1, Col.TIME] + HOUR_MS - 1)
    s = np.sign(fr)
    flips = sum(1 for k in np.flatnonzero(inside) if k > 0 and s[k] != 0 and s[k] != s[k - 1])
    assert flips > 0
    assert int(table.fired["funding_flip"].sum()) == flips
    # The file's largest |rate| is 0.0152 % per 8 h, under the 0.05 % threshold: never extreme.
    assert np.abs(fr).max() < 0.0005
    assert not table.fired["funding_extreme"].any()
    compared = assert_agree_all(bars, SignalParams(), HOUR_MS, chunk=2000)
    assert compared == int(sum(v.sum() for v in table.fired.values()))
    assert_agree_ticks(bars, SignalParams(), HOUR_MS, list(range(0, len(bars), 997)))


@pytest.mark.parametrize("lookback_h", [24.0, 168.0])
def test_sol_5m_flags_agree(lookback_h: float) -> None:
    bars = sol_bars()
    params = SignalParams(lookback_h=lookback_h)
    table = evaluate(bars, params, FIVE_MIN)
    fired = {n for n in FLAG_NAMES if table.fired[n].any()}
    # Real price / OI / funding / L/S moves plus the synthetic liquidations exercise most rules.
    assert {"cascade_risk", "funding_flip"} <= fired and len(fired) >= 5, fired
    assert not table.available["leverage_driven"]
    # Every bar with the 24 h lookback; every 3rd with 7 d, whose windows are 2028 bars deep.
    stride = 3 if lookback_h > 24 else 1
    assert_agree_all(bars, params, FIVE_MIN, chunk=150 if lookback_h > 24 else 600, stride=stride)
    assert_agree_ticks(bars, params, FIVE_MIN, list(range(0, len(bars), 89)))


# ---- synthetic ---------------------------------------------------------------------------------


def synthetic_bars(t: int, seed: int) -> np.ndarray:
    """Regime-switching random bars that make every flag fire, with tied and zero liquidations and gaps."""
    rng = np.random.default_rng(seed)
    b = np.full((t, len(COLUMNS)), np.nan)
    b[:, Col.TIME] = 1.7e12 + HOUR_MS * np.arange(t)
    drift = np.repeat(rng.normal(0, 0.004, t // 8 + 1), 8)[:t]
    b[:, INDEX["price"]] = 100 * np.exp(np.cumsum(drift + rng.normal(0, 0.003, t)))
    b[:, INDEX["oi"]] = np.round(1e4 * np.exp(np.cumsum(rng.normal(0, 0.005, t))), 0)  # ties in the median
    b[:, INDEX["funding"]] = np.repeat(rng.choice([-6e-4, -1e-4, 0.0, 1e-4, 4e-4, 7e-4], t // 8 + 1), 8)[:t]
    b[:, INDEX["funding_interval_h"]] = rng.choice([1.0, 4.0, 8.0, np.nan])
    b[:, INDEX["ls_ratio"]] = np.round(np.exp(rng.normal(0.3, 0.6, t)), 2)
    levels = np.concatenate([np.zeros(3), rng.exponential(3e4, 4)])
    b[:, INDEX["liq_long_usd"]] = rng.choice(levels, t)
    b[:, INDEX["liq_short_usd"]] = rng.choice(levels, t)
    b[:, INDEX["spot_volume_usd"]] = rng.choice([0.0, 1e5, 1e6, 5e6], t)
    b[:, INDEX["futures_volume_usd"]] = rng.choice([1e6, 5e6, 2e7], t)
    for col in ("oi", "funding", "liq_long_usd", "spot_volume_usd", "ls_ratio"):
        b[rng.random(t) < 0.01, INDEX[col]] = np.nan
    # The added columns, drawn after the others so those keep their values: premium and the funding
    # spread around their thresholds, top traders on either side of 1, and taker flows that take sides
    # in 8-bar regimes (perp and spot apart), with bars of no taker volume at all.
    b[:, INDEX["premium"]] = np.repeat(rng.choice([-0.0015, -0.0004, 0.0, 0.0003, 0.0011], t // 8 + 1), 8)[:t]
    b[:, INDEX["funding_spread_8h"]] = rng.choice([0.0, 0.0001, 0.0003, 0.0006], t)
    b[:, INDEX["ls_top_position"]] = np.round(np.exp(rng.normal(0.0, 0.4, t)), 2)
    for buy, sell in (("taker_buy_usd", "taker_sell_usd"), ("spot_taker_buy_usd", "spot_taker_sell_usd")):
        lean = np.repeat(rng.choice([-0.3, -0.05, 0.0, 0.05, 0.3], t // 8 + 1), 8)[:t]
        volume = rng.choice([0.0, 2e5, 1e6, 3e6], t, p=[0.05, 0.35, 0.4, 0.2])
        b[:, INDEX[buy]] = volume * (1 + lean + rng.normal(0, 0.05, t)) / 2
        b[:, INDEX[sell]] = volume * (1 - lean + rng.normal(0, 0.05, t)) / 2
    for col in ("premium", "taker_buy_usd", "spot_taker_sell_usd", "ls_top_position", "funding_spread_8h"):
        b[rng.random(t) < 0.01, INDEX[col]] = np.nan
    return b


@pytest.mark.parametrize(
    ("seed", "params"),
    [
        (1, SignalParams(lookback_h=48, liq_window_h=2, sfr_window_h=6, liq_quantile=0.9)),
        (2, SignalParams(lookback_h=48, liq_window_h=2, sfr_window_h=6)),
        # p95 of 4 values interpolates at 0.85, where a differently arranged lerp rounds otherwise.
        (3, SignalParams(lookback_h=4, liq_window_h=1, sfr_window_h=5, window_h=3)),
    ],
)
def test_synthetic_every_flag_fires_and_agrees(seed: int, params: SignalParams) -> None:
    bars = synthetic_bars(1500, seed)
    table = evaluate(bars, params, HOUR_MS)
    assert {n for n in FLAG_NAMES if not table.fired[n].any()} == set()
    assert any(f.confidence < 1 for t in range(len(bars)) for f in table.flags_at(t))
    assert_agree_all(bars, params, HOUR_MS)
    assert_agree_ticks(bars, params, HOUR_MS, list(range(0, len(bars), 13)))


def test_direction_table_matches_the_flags() -> None:
    bars = synthetic_bars(600, 3)
    table = evaluate(bars, SignalParams(lookback_h=24), HOUR_MS)
    for t in range(len(bars)):
        for f in table.flags_at(t):
            assert f.direction == table.direction[f.name][t]


def test_latest_over_a_bar_store_panel_matches_each_series() -> None:
    # The live monitor's call: every series of the store at once, the ALL rows included.
    from feeds.messages import History
    from tui.model.bars import BarStore, capacity_for

    params = SignalParams(lookback_h=24, liq_window_h=2, sfr_window_h=6)
    store = BarStore(["BTC", "ETH"], ["binance", "okx"], capacity_for(params, HOUR_MS), HOUR_MS)
    histories = [
        History(v, s, synthetic_bars(300, 10 * k + j))
        for k, s in enumerate(store.symbols)
        for j, v in enumerate(store.venues)
    ]
    store.load_history(histories)
    t = needed_bars(params, HOUR_MS)
    panel = store.tail(t).reshape(t, -1, len(COLUMNS))
    results = evaluate_latest(panel, params, HOUR_MS, LatestCache())
    names = [(s, v) for s in store.symbols for v in [*store.venues, "all"]]
    seen = 0
    for (s, v), res in zip(names, results, strict=True):
        series = store.series(s, v)
        expected = evaluate(series, params, HOUR_MS).flags_at(len(series) - 1)
        assert list(res.flags) == expected, (s, v)
        seen += len(expected)
    assert seen > 0
