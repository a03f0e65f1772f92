"""Bars the backtest tests score: a seeded random walk with every base column, swinging enough to fire flags."""

from __future__ import annotations

import numpy as np

from signals.columns import COLUMNS, Col

STEP = 300_000.0
T0 = 1.7e12


def walk_bars(seed: int, n: int = 700) -> np.ndarray:
    """``n`` five-minute bars with every column, a random walk with swings big enough to fire flags."""
    rng = np.random.default_rng(seed)
    bars = np.full((n, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = T0 + STEP * np.arange(n)
    bars[:, Col.PRICE] = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, Col.OI] = 1e6 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    bars[:, Col.FUNDING] = rng.normal(0, 0.0006, n)
    bars[:, Col.FUNDING_INTERVAL_H] = 8.0
    bars[:, Col.LS_RATIO] = np.exp(rng.normal(0.3, 0.5, n))
    bars[:, Col.LIQ_LONG] = rng.exponential(1e4, n)
    bars[:, Col.LIQ_SHORT] = rng.exponential(1e4, n)
    bars[:, Col.FUT_VOL] = rng.exponential(1e6, n)
    bars[:, Col.SPOT_VOL] = bars[:, Col.FUT_VOL] * rng.uniform(0.05, 0.5, n)
    return bars
