"""The ten flag rules of SIGNALS.md, written once over arrays of ``Features``.

``fire`` works on any shape (every bar of a series, or the last bar of many series): the batch and the
latest-bar paths differ only in how they gather the ``Features``. NaN compares false, so a bar with a
missing or undefined input never fires.
"""

from __future__ import annotations

import numpy as np

from signals.columns import INDEX
from signals.features import Features
from signals.flags import DIRECTION, FLAG_NAMES, INPUTS
from signals.params import SignalParams

INPUT_COLUMNS: dict[str, tuple[int, ...]] = {
    name: tuple(INDEX[c] for c in INPUTS[name]) for name in FLAG_NAMES
}
"""Column indices each flag needs (a flag whose column is all NaN in a series is unavailable)."""


def fire(f: Features, p: SignalParams) -> dict[str, np.ndarray]:
    """Whether each flag is on, per element of ``f``.

    Args:
        f: the rule inputs.
        p: thresholds.

    Returns:
        FLAG_NAMES -> bool array of ``f``'s shape.
    """
    up = f.price_chg >= p.price_change
    down = f.price_chg <= -p.price_change
    oi_up = f.oi_chg >= p.oi_change
    oi_down = f.oi_chg <= -p.oi_change
    paid_by_longs = f.f8 > 0
    paid_by_shorts = f.f8 < 0
    return {
        "weak_rally": up & oi_down,
        "bull_momentum": up & oi_up & paid_by_longs,
        "bear_momentum": down & oi_up & paid_by_shorts,
        "weak_selloff": down & oi_down,
        "short_squeeze_risk": paid_by_shorts & (f.ls < p.ls_short),
        "long_squeeze_risk": (f.f8 >= p.funding_hi) & (f.ls > p.ls_long),
        # Deliberate reading: a window without liquidations is no spike. On quiet symbols the 95th
        # percentile of previous windows is often 0 too, and the literal `liqW >= p95` would then fire
        # on zero liquidations about half the time.
        "cascade_risk": (f.liq_w > 0) & (f.liq_w >= f.liq_q) & (f.oi >= f.oi_med),
        "leverage_driven": f.sfr <= p.sfr_max,
        "funding_extreme": np.abs(f.f8) >= p.funding_extreme,
        # np.sign(NaN) is NaN and NaN != x is true, so existence is checked explicitly.
        "funding_flip": (np.sign(f.f8) != np.sign(f.f8_prev))
        & ~np.isnan(f.f8_prev)
        & ~np.isnan(f.f8)
        & (f.f8 != 0),
    }


def directions(f: Features) -> dict[str, np.ndarray]:
    """Direction of each flag per element: DIRECTION, and -sign(funding8h) for funding_extreme (0 if NaN)."""
    shape = f.f8.shape
    out = {name: np.full(shape, DIRECTION[name], dtype=np.int8) for name in FLAG_NAMES}
    out["funding_extreme"] = -np.sign(np.nan_to_num(f.f8, nan=0.0)).astype(np.int8)
    return out


def funding_extreme_direction(f8: float) -> int:
    """-sign(funding8h): contrarian to whoever pays."""
    return -1 if f8 > 0 else (1 if f8 < 0 else 0)
