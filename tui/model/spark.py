"""Text sparklines (``▁▂▃▄▅▆▇█``) computed for many series at once.

The watchlist draws a price and an OI sparkline per row. Building them one series at a time in Python
would dominate a paint, so ``sparklines`` takes a (T, k) block and returns k strings in one numpy pass.
"""

from __future__ import annotations

import numpy as np

BLOCKS = "▁▂▃▄▅▆▇█"
_LUT = np.array(list(BLOCKS + " "))


def sparklines(block: np.ndarray, width: int) -> list[str]:
    """Sparkline strings of ``width`` characters for each column of ``block``.

    Args:
        block: float array (T, k), oldest first; NaN where unknown.
        width: characters per sparkline; the series is split into ``width`` equal time buckets and each
            character shows the bucket's last value, scaled between the series' min and max.

    Returns:
        k strings; a bucket with no value is a space, a flat series is a row of ``▄``.
    """
    t, k = block.shape
    if k == 0:
        return []
    if t == 0 or width <= 0:
        return [" " * max(width, 0)] * k
    # The last bar of each bucket; buckets align on the right so the newest bar is always shown.
    ends = t - 1 - np.floor(np.arange(width - 1, -1, -1) * (t / width)).astype(np.int64)
    ends = np.clip(ends, 0, t - 1)
    sample = block[ends]  # (width, k)
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(np.where(np.isnan(block), np.inf, block), axis=0)
        hi = np.nanmax(np.where(np.isnan(block), -np.inf, block), axis=0)
        span = hi - lo
        level = np.where(span > 0, (sample - lo) / np.where(span > 0, span, 1.0) * 7.999, 3.0)
    level = np.where(np.isnan(sample) | ~np.isfinite(level), 8, np.clip(level, 0, 7)).astype(np.int64)
    chars = _LUT[level]  # (width, k)
    return ["".join(col) for col in chars.T.tolist()]
