"""Number formatting for the screen and the snapshot table: no raw float ever reaches a widget.

Prices get adaptive precision (BTC 96,512.3; PEPE 0.00001234), changes and funding a sign and a
percent, USD amounts a suffix (1.23B / 45.6M). Every function returns ``MISSING`` for NaN or None.
"""

from __future__ import annotations

import math

from signals.reasons import signed_pct, usd_amount

MISSING = "—"


def _bad(x: float | None) -> bool:
    return x is None or not math.isfinite(x)


def fmt_price(x: float | None) -> str:
    """A price with about six significant digits above 1 and four below.

    Examples: 96512.34 -> ``96,512.3``; 3412.556 -> ``3,412.56``; 2.30412 -> ``2.3041``;
    0.0000123456 -> ``0.00001235``.
    """
    if _bad(x):
        return MISSING
    assert x is not None
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1:
        decimals = min(4, max(1, 5 - math.floor(math.log10(a))))
    else:
        decimals = min(12, 3 - math.floor(math.log10(a)))
    return f"{x:,.{decimals}f}"


def fmt_pct(frac: float | None, decimals: int = 2) -> str:
    """A fraction as a signed percent: 0.02141 -> ``+2.14%``."""
    if _bad(frac):
        return MISSING
    assert frac is not None
    return signed_pct(frac, decimals)


def fmt_funding(frac: float | None) -> str:
    """A funding rate (fraction) as a signed percent with four decimals: 0.0001 -> ``+0.0100%``."""
    return fmt_pct(frac, decimals=4)


def fmt_usd(x: float | None) -> str:
    """A USD amount with a suffix: 1_234_000_000 -> ``1.23B``, 45_600_000 -> ``45.6M``, 789_400 -> ``789K``."""
    if _bad(x):
        return MISSING
    assert x is not None
    return usd_amount(x)


def fmt_ratio(x: float | None) -> str:
    """A ratio with two decimals: 1.849 -> ``1.85``."""
    if _bad(x):
        return MISSING
    assert x is not None
    return f"{x:.2f}"


def fmt_age(seconds: float | None) -> str:
    """An age, coarsened to its largest unit: 4 -> ``4s``, 190 -> ``3m``, 7300 -> ``2h``, 200000 -> ``2d``."""
    if _bad(seconds):
        return MISSING
    assert seconds is not None
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"
