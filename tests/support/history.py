"""Histories the tests replay: simulated venue bars, and real Binance BTC candles with funding from ../shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from feeds.history.replay import ReplaySource
from feeds.sim import SimulatedMarket
from signals.params import SignalParams
from tests.support.paths import SHARED
from tui.model.bars import BarStore, capacity_for

START_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC


def sim_series(symbols: list[str], seed: int = 3) -> dict[str, np.ndarray]:
    """One simulated venue's bars per symbol (every column present, liquidations included)."""
    market = SimulatedMarket(symbols, seed=seed, start_ms=START_MS)
    return {h.symbol: h.bars for h in market.history() if h.venue == "simA"}


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
