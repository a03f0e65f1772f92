"""How the latest-bar path gathers ``Features`` for the last bar of many series, with its per-bar cache.

Everything over bars before the current one (the values ``n(W)`` bars back, the previous bar's funding,
the partial sums of the trailing windows, the quantile and median over the previous L, which columns a
series has) is fixed while the current bar updates tick by tick; ``LatestCache`` keeps it for as long
as the current bar's time stays the same, so a tick costs a few vector operations over N series.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from signals.columns import Col
from signals.features import Features, Windows, funding8h
from signals.flows import flow_terms, flows_of_sums
from signals.params import SignalParams
from signals.windows import (
    interpolate,
    midpoint,
    rank,
    sum_rows,
    trailing_sum,
    window_order_stats,
)


@dataclass(frozen=True)
class PrevStats:
    """Statistics of the bars before the current one, one value per series (N,)."""

    price_back: np.ndarray  # price n(W) bars back
    oi_back: np.ndarray
    f8_prev: np.ndarray  # funding8h at the previous bar
    liq_prefix: np.ndarray | None  # liq over the n(liq)-1 bars before this one (None when n(liq) == 1)
    spot_prefix: np.ndarray | None  # the same for the 24 h volume sums
    fut_prefix: np.ndarray | None
    flow_prefix: np.ndarray | None  # (N, 4) the taker flow terms summed over the n(W)-1 bars before this one
    liq_q: np.ndarray  # quantile of liqW over the previous L
    oi_med: np.ndarray  # median of oi over the previous L
    present: np.ndarray  # (N, C) bool: the column has a value in some earlier bar of the window


class LatestCache:
    """Per-bar statistics for ``evaluate_latest``, reused while the current bar's time is unchanged.

    Keyed by the time of every series' last row, the previous row's values, the window shape, the params
    and the step. A caller that rewrites bars older than the previous one (a backfill that stops short of
    it) without opening a new bar calls ``clear``.
    """

    def __init__(self) -> None:
        self.key: tuple[object, ...] | None = None
        self.stats: PrevStats | None = None
        self.last: tuple[np.ndarray, list[Any]] | None = None  # (current rows, results) of the last call

    def clear(self) -> None:
        """Forget the cached statistics (the next call recomputes them)."""
        self.key = None
        self.stats = None
        self.last = None


def prev_stats(
    window: np.ndarray, params: SignalParams, win: Windows, older: np.ndarray | None = None
) -> PrevStats:
    """Statistics of the rows before the last of ``window``, computed as the batch path does.

    Args:
        window: (T, N, C) with T >= ``win.needed`` (pad with NaN rows at the top if shorter).
        params: thresholds (``liq_quantile`` is used).
        win: the windows in bars.
        older: (T0, N, C) rows before ``window``'s (a bar store's float32 tier), read only for the
            lookback's quantile and median, the 24 h volume sums and which columns a series has;
            ``window`` then holds at least the change and flow windows and T0 + T >= ``win.needed``.
    """
    t = window.shape[0] - 1  # row of the current bar
    lk, nl = win.lookback, win.liq

    def before(c: int, *more: int) -> np.ndarray:
        """Column ``c`` (plus ``more``) at every row before the current one, the older rows first."""
        x = window[:t, :, c] + sum(window[:t, :, m] for m in more) if more else window[:t, :, c]
        if older is None:
            return x
        o = older[:, :, c].astype(np.float64) + sum(older[:, :, m] for m in more)
        return np.concatenate([o, x])

    def last(c: int, k: int) -> np.ndarray:
        """Column ``c`` at the ``k`` rows before the current one (the older rows' end where ``window``'s
        do not reach): the 24 h volume sums, which the monitor's store keeps mostly in float32."""
        if older is None or k <= t:
            return window[t - k : t, :, c]
        return np.concatenate([older[len(older) - (k - t) :, :, c].astype(np.float64), window[:t, :, c]])

    if older is not None and t < max(win.change, win.flow, 1):
        raise ValueError(f"{t + 1} newer rows hold not the change and flow windows")
    liq_all = before(Col.LIQ_LONG, Col.LIQ_SHORT)
    liq = liq_all[len(liq_all) - (lk + nl - 1) :]
    # liqW at each of the previous n(L) bars, summed in the batch path's order.
    liq_w_prev = trailing_sum(liq, nl)[nl - 1 :]
    q_lo, q_hi, q_frac = rank(params.liq_quantile, lk)
    a, b = window_order_stats(liq_w_prev, q_lo, q_hi)
    m_lo, m_hi, _ = rank(0.5, lk)
    oi = before(Col.OI)
    ma, mb = window_order_stats(oi[len(oi) - lk :], m_lo, m_hi)
    ns, nf = win.sfr, win.flow
    present = ~np.isnan(window[:t]).all(axis=0)
    if older is not None:
        present |= ~np.isnan(older).all(axis=0)
    return PrevStats(
        price_back=window[t - win.change, :, Col.PRICE],
        oi_back=window[t - win.change, :, Col.OI],
        f8_prev=funding8h(window[t - 1, :, Col.FUNDING], window[t - 1, :, Col.FUNDING_INTERVAL_H]),
        liq_prefix=sum_rows(liq[len(liq) - (nl - 1) :]) if nl > 1 else None,
        spot_prefix=sum_rows(last(Col.SPOT_VOL, ns - 1)) if ns > 1 else None,
        fut_prefix=sum_rows(last(Col.FUT_VOL, ns - 1)) if ns > 1 else None,
        flow_prefix=sum_rows(flow_terms(window[t - nf + 1 : t])) if nf > 1 else None,
        liq_q=interpolate(a, b, q_frac),
        oi_med=midpoint(ma, mb),
        present=present,
    )


def _plus(prefix: np.ndarray | None, x: np.ndarray) -> np.ndarray:
    return x if prefix is None else prefix + x


def latest_features(cur: np.ndarray, s: PrevStats) -> Features:
    """The rule inputs at the current bar of N series.

    Args:
        cur: (N, C) the current bar of each series.
        s: the statistics of the bars before it.
    """
    price = cur[:, Col.PRICE]
    oi = cur[:, Col.OI]
    perp_flow, spot_flow = flows_of_sums(_plus(s.flow_prefix, flow_terms(cur)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return Features(
            price=price,
            price_chg=price / s.price_back - 1.0,
            oi=oi,
            oi_chg=oi / s.oi_back - 1.0,
            f8=funding8h(cur[:, Col.FUNDING], cur[:, Col.FUNDING_INTERVAL_H]),
            f8_prev=s.f8_prev,
            ls=cur[:, Col.LS_RATIO],
            liq_w=_plus(s.liq_prefix, cur[:, Col.LIQ_LONG] + cur[:, Col.LIQ_SHORT]),
            liq_q=s.liq_q,
            oi_med=s.oi_med,
            sfr=_plus(s.spot_prefix, cur[:, Col.SPOT_VOL]) / _plus(s.fut_prefix, cur[:, Col.FUT_VOL]),
            premium=cur[:, Col.PREMIUM],
            perp_flow=perp_flow,
            spot_flow=spot_flow,
            ls_top=cur[:, Col.LS_TOP],
            spread=cur[:, Col.FUNDING_SPREAD],
        )
