"""One-line reasons with the figures that made a flag fire.

``reason`` reads one element of a ``Features``, so the batch and the latest-bar paths word a flag the
same way from the same numbers.
"""

from __future__ import annotations

from functools import lru_cache

from signals.features import Features
from signals.formats import fmt_dollars, fmt_funding_8h, fmt_hours, signed_pct
from signals.params import SignalParams

Labels = tuple[str, str, str, str, str, str, str]
"""Formatted labels of a ``SignalParams``: W, liq window, quantile, L, sfr window, funding_extreme, and the
taker flows' window."""


def _sign(x: float) -> str:
    return "+" if x > 0 else ("-" if x < 0 else "0")


def _flow(x: float) -> str:
    """A net taker flow as words and a whole percent: ``net buy 6%``, ``net sell 4%`` (one decimal under 1 %,
    so a small threshold's flow never reads as 0 %)."""
    share = abs(x) * 100
    digits = 0 if share >= 0.95 else 1
    return f"net {'buy' if x > 0 else 'sell'} {share:.{digits}f}%"


@lru_cache(maxsize=64)
def _labels(p: SignalParams) -> Labels:
    """Window and threshold labels of ``p``, formatted once rather than per reason."""
    return (
        fmt_hours(p.window_h),
        fmt_hours(p.liq_window_h),
        f"p{p.liq_quantile * 100:g}",
        fmt_hours(p.lookback_h),
        fmt_hours(p.sfr_window_h),
        f"{p.funding_extreme * 100:g}%",
        fmt_hours(p.flow_window_h),
    )


def labels(p: SignalParams) -> Labels:
    """The labels ``reason_with`` quotes for ``p`` (windows and thresholds), formatted once per params."""
    return _labels(p)


def reason(name: str, f: Features, i: int, p: SignalParams) -> str:
    """The reason line of flag ``name`` at element ``i`` of ``f``.

    Args:
        name: one of FLAG_NAMES.
        f: the rule inputs the flag fired on (arrays, or lists of floats: the figures read the same).
        i: index into ``f``'s arrays (a bar, or a series).
        p: thresholds (for window labels and the thresholds quoted).
    """
    return reason_with(name, f, i, _labels(p))


def reason_with(name: str, f: Features, i: int, label: Labels) -> str:
    """``reason`` with the labels of the params already formatted (``labels(p)``): the hot-path form."""
    w, liq_w, q, lookback, sfr_w, fx, flow_w = label
    if name in ("weak_rally", "weak_selloff"):
        return f"price {signed_pct(f.price_chg[i])} / OI {signed_pct(f.oi_chg[i])} in {w}"
    if name in ("bull_momentum", "bear_momentum"):
        return (
            f"price {signed_pct(f.price_chg[i])} / OI {signed_pct(f.oi_chg[i])} in {w}, "
            f"funding {fmt_funding_8h(f.f8[i])}"
        )
    if name in ("short_squeeze_risk", "long_squeeze_risk"):
        return f"funding {fmt_funding_8h(f.f8[i])}, L/S {f.ls[i]:.2f}"
    if name == "cascade_risk":
        return (
            f"liq {fmt_dollars(f.liq_w[i])} in {liq_w} >= {q} {fmt_dollars(f.liq_q[i])}; "
            f"OI {f.oi[i] / f.oi_med[i]:.2f}x {lookback} median"
        )
    if name == "leverage_driven":
        return f"spot/futures {f.sfr[i]:.2f} ({sfr_w})"
    if name == "funding_extreme":
        return f"funding {fmt_funding_8h(f.f8[i])} (|x| >= {fx})"
    if name == "funding_flip":
        return f"funding flipped {_sign(f.f8_prev[i])} -> {_sign(f.f8[i])} ({fmt_funding_8h(f.f8[i])})"
    if name == "premium_extreme":
        x = f.premium[i]
        return f"perp {signed_pct(x, 2)} {'over' if x > 0 else 'under'} index"
    if name == "flow_divergence":
        return f"spot takers {_flow(f.spot_flow[i])}, perp {_flow(f.perp_flow[i])} in {flow_w}"
    if name == "top_trader_divergence":
        return f"top traders {f.ls_top[i]:.2f} long/short vs accounts {f.ls[i]:.2f}"
    if name == "funding_dispersion":
        return f"funding spread {f.spread[i] * 100:.3f}%/8h across venues"
    raise KeyError(name)
