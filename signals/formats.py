"""Every number and text format of perptop, in one place: the screen, the snapshot, reason lines, charts.

No raw float reaches a widget or a reason line: prices get adaptive precision (BTC 96,512.3; PEPE
0.00001234), changes and funding a sign and a percent, USD amounts a suffix (1.23B / 45.6M). The
screen formatters (``fmt_*`` taking ``float | None``) return ``MISSING`` for NaN or None. Text that must fit
a width is cut by ``shorten``, and a count names its noun in the right number with ``counted``.
"""

from __future__ import annotations

import math

_USD_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def usd_amount(x: float) -> str:
    """An amount with three significant figures and a unit, no currency sign: ``1.23B``, ``-45.6M``, ``950``.

    The one USD shortener of the project (``fmt_usd`` and ``fmt_dollars`` call it). ``x`` must be finite.
    """
    sign = "-" if x < 0 else ""
    a = abs(x)
    for scale, unit in _USD_UNITS:
        # 999,600 rounds to 1.00M at three figures, not to 1000K.
        if a >= scale * 0.9995:
            return f"{sign}{_three_sig(a / scale)}{unit}"
    return f"{sign}{a:.0f}"


def fmt_dollars(x: float) -> str:
    """USD with a dollar sign, three significant figures and a unit: ``$1.23B``, ``$45.6M``, ``$950``.

    For reason lines; ``$?`` where the amount is unknown."""
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

    The one percent formatter of the project (``fmt_pct`` and the drill-down charts call it too).
    """
    if round(frac * 100, decimals) == 0:
        return f"{0:.{decimals}f}%"
    return f"{frac * 100:+.{decimals}f}%"


def fmt_funding_8h(f8: float) -> str:
    """funding8h as a signed percent per 8 h, for reason lines: 0.00071 -> ``+0.071%/8h``."""
    return signed_pct(f8, 3) + "/8h"


def fmt_hours(h: float) -> str:
    """A window in hours as ``30m``, ``4h``, ``24h``, ``7d``."""
    if h > 24 and h % 24 == 0:
        return f"{h / 24:g}d"
    if h >= 1:
        return f"{h:g}h"
    return f"{h * 60:g}m"


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


def fmt_apr(frac: float | None) -> str:
    """An annualised rate (fraction per year) as a signed percent with one decimal: 0.219 -> ``+21.9%``."""
    return fmt_pct(frac, decimals=1)


def fmt_countdown(ms: float | None) -> str:
    """Time left until an event, floored to the minute: 5_025_000 -> ``1h23m``, 2_700_000 -> ``45m``.

    Under a minute is ``<1m`` (not ``0m``, which would read as "already past"); negative or unknown is
    ``MISSING``. Hours stay hours past a day (``25h00m``): funding intervals are at most 8 h.
    """
    if _bad(ms) or ms is None or ms < 0:
        return MISSING
    minutes = int(ms // 60_000)
    if minutes == 0:
        return "<1m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


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


def fmt_bytes(n: int) -> str:
    """A size on disk: 950 -> ``950 B``, 31_600_000 -> ``31.6 MB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


ELLIPSIS = "…"


def shorten(text: str, width: int) -> str:
    """``text`` on one line in at most ``width`` characters, cut at a word boundary and marked with ``…``.

    The one text shortener of the project. Runs of whitespace (newlines too) become one space, as in
    ``textwrap.shorten``; unlike it, the cut keeps the words that fit and puts the ellipsis right after
    them, and a word too long to leave half the width before it (a URL) is cut inside, so a long token
    still shows its start instead of leaving only ``…``. Examples, width 20:
    ``"Connection refused by peer"`` -> ``"Connection refused…"``;
    ``"see https://example.com/a/long/path"`` -> ``"see https://example…"``.
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    if width < 1:
        return ""
    room = width - 1  # what the words may take beside the ellipsis
    cut = text.rfind(" ", 0, room + 1)  # the last space that leaves the words before it within room
    kept = text[:cut] if cut > room // 2 else text[:room]
    # A comma or colon left dangling before the ellipsis reads as if the sentence went on from there.
    return kept.rstrip(" ,;:") + ELLIPSIS


def counted(n: int, noun: str, plural: str = "") -> str:
    """``n`` and its noun, singular for exactly one: ``1 symbol``, ``12 symbols``, ``1,234 bars``.

    ``plural`` is for nouns that do not take an ``s`` (``counted(2, "series", "series")``).
    """
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
