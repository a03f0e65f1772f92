"""Net taker flow, ``flow(x, W)`` of SIGNALS.md "Added columns and flags", for the batch and latest paths.

``flow(x, W)[t]`` = sum over the last ``n(W)`` bars (bar t included) of ``x_buy - x_sell`` / the same sum of
``x_buy + x_sell``: the net taker flow as a share of taker volume, -1..1. It is NaN where the window is not
full, where a bar of it misses a buy or sell figure, or where no taker traded at all (a zero sum).

Both paths sum the same four terms per bar (``flow_terms``: perp net, perp total, spot net, spot total) in
the same order (``signals.windows.trailing_sum`` oldest first; the latest path adds the current bar to the
``sum_rows`` of the bars before it) and divide them with ``ratio``, so their flows agree to the last bit.
"""

from __future__ import annotations

import numpy as np

from signals.columns import Col
from signals.windows import trailing_sum

PERP_NET, PERP_TOTAL, SPOT_NET, SPOT_TOTAL = range(4)
"""Positions of the four summed terms on the last axis of ``flow_terms``."""


def flow_terms(bars: np.ndarray) -> np.ndarray:
    """Per bar, ``(perp buy - sell, perp buy + sell, spot buy - sell, spot buy + sell)`` on a new last axis.

    Args:
        bars: bar rows of any leading shape, ``signals.columns`` on the last axis.

    Returns:
        A contiguous float64 array of shape ``bars.shape[:-1] + (4,)`` (one contiguous block, so a trailing
        sum over time makes one numpy call per bar of the window for all four terms).
    """
    buy, sell = bars[..., Col.TAKER_BUY], bars[..., Col.TAKER_SELL]
    sbuy, ssell = bars[..., Col.SPOT_TAKER_BUY], bars[..., Col.SPOT_TAKER_SELL]
    return np.stack([buy - sell, buy + sell, sbuy - ssell, sbuy + ssell], axis=-1)


def ratio(net: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``net / total``, NaN where ``total`` is not positive (no taker volume) or either is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(total > 0, net / total, np.nan)
    return out


def flows_of_sums(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(perp flow, spot flow)`` from the window sums of ``flow_terms``."""
    return (
        ratio(sums[..., PERP_NET], sums[..., PERP_TOTAL]),
        ratio(sums[..., SPOT_NET], sums[..., SPOT_TOTAL]),
    )


def batch_flows(bars: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(flow(perp, W), flow(spot, W))`` at every bar of one series, ``n = n(W)`` bars per window.

    Args:
        bars: (T, len(COLUMNS)).
        n: the window in bars (>= 1).
    """
    return flows_of_sums(trailing_sum(flow_terms(bars), n))


def flow(buy: np.ndarray, sell: np.ndarray, n: int) -> np.ndarray:
    """``flow(x, W)`` of one buy / sell pair over time (axis 0), ``n = n(W)``: the spec's formula as written.

    Args:
        buy: taker notional bought per bar.
        sell: taker notional sold per bar.
        n: the window in bars (>= 1).
    """
    return ratio(trailing_sum(buy - sell, n), trailing_sum(buy + sell, n))
