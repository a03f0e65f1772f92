"""The flag rules of SIGNALS.md (its table's ten and the four of "Added columns and flags"), written once
over arrays of ``Features``.

``fire`` works on any shape (every bar of a series, or the last bar of many series): the batch and the
latest-bar paths differ only in how they gather the ``Features``. NaN compares false, so a bar with a
missing or undefined input never fires.
"""

from __future__ import annotations

import numpy as np

from signals.columns import INDEX
from signals.features import Features
from signals.flags import DIRECTION, FLAG_NAMES, INPUTS, PER_BAR
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
        "premium_extreme": np.abs(f.premium) >= p.premium_max,
        # Opposite signs: the product is negative (NaN or a zero flow is neither side, and compares false).
        "flow_divergence": (f.perp_flow * f.spot_flow < 0)
        & (np.abs(f.perp_flow) >= p.flow_min)
        & (np.abs(f.spot_flow) >= p.flow_min),
        # Opposite sides of 1 (a ratio of exactly 1 is on neither), and at least ls_gap apart.
        "top_trader_divergence": ((f.ls_top - 1.0) * (f.ls - 1.0) < 0)
        & (np.abs(f.ls_top - f.ls) >= p.ls_gap),
        "funding_dispersion": f.spread >= p.dispersion_min,
    }


def _per_bar_basis(f: Features) -> dict[str, tuple[np.ndarray, int]]:
    """Each PER_BAR flag's figure and the sign that turns the figure's sign into the flag's direction."""
    return {
        "funding_extreme": (f.f8, -1),  # contrarian to whoever pays
        "premium_extreme": (f.premium, -1),  # contrarian to the rich or cheap perp
        "flow_divergence": (f.spot_flow, 1),  # spot leads
        "top_trader_divergence": (f.ls_top - 1.0, 1),  # follow the largest traders
    }


def directions(f: Features) -> dict[str, np.ndarray]:
    """Direction of each flag per element: DIRECTION, and for the PER_BAR flags their rule at the element
    (0 where its figure is NaN or zero)."""
    shape = f.f8.shape
    out = {name: np.full(shape, DIRECTION[name], dtype=np.int8) for name in FLAG_NAMES}
    for name, (x, s) in _per_bar_basis(f).items():
        out[name] = (s * np.sign(np.nan_to_num(x, nan=0.0))).astype(np.int8)
    return out


def direction_at(name: str, f: Features, i: int) -> int:
    """Direction of flag ``name`` at element ``i`` of ``f``: the element of ``directions``, read from one
    scalar (the latest path words a handful of flags over thousands of series)."""
    if name not in PER_BAR:
        return DIRECTION[name]
    if name == "top_trader_divergence":
        v, s = float(f.ls_top[i]) - 1.0, 1
    else:
        arr, s = _SCALAR_BASIS[name]
        v = float(getattr(f, arr)[i])
    return s if v > 0 else (-s if v < 0 else 0)


_SCALAR_BASIS: dict[str, tuple[str, int]] = {
    "funding_extreme": ("f8", -1),
    "premium_extreme": ("premium", -1),
    "flow_divergence": ("spot_flow", 1),
}
"""``_per_bar_basis`` by field name, for ``direction_at`` (top_trader_divergence is a difference)."""
