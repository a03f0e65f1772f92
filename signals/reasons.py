"""One-line reasons with the figures that made a flag fire, and the small formatters they use.

``reason`` reads one element of a ``Features``, so the batch and the latest-bar paths word a flag the
same way from the same numbers.
"""

from __future__ import annotations

import math
from functools import lru_cache

from signals.features import Features
from signals.params import SignalParams

Labels = tuple[str, str, str, str, str, str]
"""Formatted labels of a ``SignalParams``: W, liq window, quantile, L, sfr window, funding_extreme."""

_USD_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def usd_amount(x: float) -> str:
    """An amount with three significant figures and a unit, no currency sign: ``1.23B``, ``-45.6M``, ``950``.

    The one USD shortener of the project (``tui.format.fmt_usd`` calls it too). ``x`` must be finite.
    """
    sign = "-" if x < 0 else ""
    a = abs(x)
    for scale, unit in _USD_UNITS:
        # 999,600 rounds to 1.00M at three figures, not to 1000K.
        if a >= scale * 0.9995:
            return f"{sign}{_three_sig(a / scale)}{unit}"
    return f"{sign}{a:.0f}"


def fmt_usd(x: float) -> str:
    """USD with three significant figures and a unit: ``$1.23B``, ``$45.6M``, ``$12.3K``, ``$950``."""
    if not math.isfinite(x):
        return "$?"
    amount = usd_amount(x)
    return f"-${amount[1:]}" if amount.startswith("-") else f"${amount}"


def _three_sig(v: float) -> str:
    """``v`` (about 1 or more) with three significant figures in fixed notation: 1.23, 45.6, 123."""
    if v >= 99.95:
        return f"{v:.0f}"
    if v >= 9.995:
        return f"{v:.1f}"
    return f"{v:.2f}"


def signed_pct(frac: float, decimals: int = 1) -> str:
    """A fraction as a signed percent: 0.021 -> ``+2.1%``; one that rounds to zero has no sign (``0.0%``).

    The one percent formatter of the project (``tui.format`` and the drill-down charts call it too).
    """
    if round(frac * 100, decimals) == 0:
        return f"{0:.{decimals}f}%"
    return f"{frac * 100:+.{decimals}f}%"


def fmt_funding(f8: float) -> str:
    """funding8h as a signed percent per 8 h: 0.00071 -> ``+0.071%/8h``."""
    return signed_pct(f8, 3) + "/8h"


def fmt_hours(h: float) -> str:
    """A window in hours as ``30m``, ``4h``, ``24h``, ``7d``."""
    if h > 24 and h % 24 == 0:
        return f"{h / 24:g}d"
    if h >= 1:
        return f"{h:g}h"
    return f"{h * 60:g}m"


def _sign(x: float) -> str:
    return "+" if x > 0 else ("-" if x < 0 else "0")


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
    w, liq_w, q, lookback, sfr_w, fx = label
    if name in ("weak_rally", "weak_selloff"):
        return f"price {signed_pct(f.price_chg[i])} / OI {signed_pct(f.oi_chg[i])} in {w}"
    if name in ("bull_momentum", "bear_momentum"):
        return (
            f"price {signed_pct(f.price_chg[i])} / OI {signed_pct(f.oi_chg[i])} in {w}, "
            f"funding {fmt_funding(f.f8[i])}"
        )
    if name in ("short_squeeze_risk", "long_squeeze_risk"):
        return f"funding {fmt_funding(f.f8[i])}, L/S {f.ls[i]:.2f}"
    if name == "cascade_risk":
        return (
            f"liq {fmt_usd(f.liq_w[i])} in {liq_w} >= {q} {fmt_usd(f.liq_q[i])}; "
            f"OI {f.oi[i] / f.oi_med[i]:.2f}x {lookback} median"
        )
    if name == "leverage_driven":
        return f"spot/futures {f.sfr[i]:.2f} ({sfr_w})"
    if name == "funding_extreme":
        return f"funding {fmt_funding(f.f8[i])} (|x| >= {fx})"
    if name == "funding_flip":
        return f"funding flipped {_sign(f.f8_prev[i])} -> {_sign(f.f8[i])} ({fmt_funding(f.f8[i])})"
    raise KeyError(name)
