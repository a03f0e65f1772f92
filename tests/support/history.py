"""Histories the tests replay: simulated venue bars, and real Binance BTC candles with funding from ../shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from feeds.history.replay import ReplaySource
from feeds.sim import SimulatedMarket
from signals.columns import Col
from signals.params import SignalParams
from tests.support.paths import SHARED
from tui.model.bars import BarStore, capacity_for

START_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def sim_series(symbols: list[str], seed: int = 3) -> dict[str, np.ndarray]:
    """One simulated venue's bars per symbol (every column present, liquidations included).

    ``funding_spread_8h`` is a cross-venue figure that no venue row has: it is filled in from the four
    venues' funding (8h-normalised, highest minus lowest), so a replay of one venue covers every flag.
    """
    market = SimulatedMarket(symbols, seed=seed, start_ms=START_MS)
    out: dict[str, np.ndarray] = {}
    f8: dict[str, list[np.ndarray]] = {}
    for h in market.history():
        f8.setdefault(h.symbol, []).append(h.bars[:, Col.FUNDING] * 8.0 / h.bars[:, Col.FUNDING_INTERVAL_H])
        if h.venue == "simA":
            out[h.symbol] = h.bars.copy()
    for symbol, bars in out.items():
        rates = np.stack(f8[symbol])
        bars[:, Col.FUNDING_SPREAD] = rates.max(axis=0) - rates.min(axis=0)
    return out


def replay_store(source: ReplaySource, params: SignalParams) -> BarStore:
    store = BarStore(
        source.symbols, source.venues, capacity_for(params, source.step_ms, 24.0), source.step_ms
    )
    source.attach(store)
    return store


def real_binance_btc(tmp_path: Path) -> np.ndarray:
    """Binance BTCUSDT hourly candles and funding (../shared/data), imported, first 1,600 bars."""
    data = SHARED / "data" / "binance-btc-1h-funding-ggcmk"
    if not data.is_dir():
        pytest.skip(f"shared data not found at {data}")
    from feeds.history.binance_vision import import_dir

    # The files use Binance's archive layouts; links under archive names let the importer read them in place.
    (tmp_path / "BTCUSDT-1h-2025-01.csv").symlink_to(data / "BTCUSDT-1h-futures.csv")
    (tmp_path / "BTCUSDT-fundingRate-2025-01.csv").symlink_to(data / "BTCUSDT-funding.csv")
    series, step, problems = import_dir(tmp_path, err=None)
    assert step == 3_600_000 and not problems
    return series["BTC"][:1600]  # default params need 169 bars before the first replayed one
