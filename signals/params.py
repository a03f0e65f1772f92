"""Signal thresholds and windows, with the defaults of SIGNALS.md.

Every value is configurable under ``[signals]`` in the config file; ``tui.config.loader`` builds a
``SignalParams`` from it. Durations are in hours, rates and changes are fractions (0.01 = 1 %).
"""

from __future__ import annotations

from dataclasses import dataclass

from signals.times import HOUR_MS


@dataclass(frozen=True)
class SignalParams:
    """Thresholds of the flags; field comments name the symbol SIGNALS.md uses."""

    window_h: float = 4.0  # W: window of the price / OI change flags
    price_change: float = 0.01  # p
    oi_change: float = 0.01  # q
    ls_short: float = 1.0  # short_squeeze_risk: ls_ratio below this
    ls_long: float = 2.0  # long_squeeze_risk: ls_ratio above this
    funding_hi: float = 0.0003  # long_squeeze_risk: funding8h at or above this (0.03 %)
    liq_window_h: float = 1.0  # liq_window
    lookback_h: float = 168.0  # L (7 days)
    liq_quantile: float = 0.95
    sfr_max: float = 0.2  # leverage_driven: spot/futures volume ratio at or below this
    sfr_window_h: float = 24.0  # sfr sums volumes over the last 24 h
    funding_extreme: float = 0.0005  # |funding8h| at or above this (0.05 %)
    premium_max: float = 0.001  # premium_extreme: |premium| at or above this (0.1 %)
    flow_window_h: float = 4.0  # W of flow_divergence's taker flows (its own key: the flows need not
    # share the price / OI window)
    flow_min: float = 0.02  # flow_divergence: each |flow| at or above this (a share of taker volume)
    ls_gap: float = 0.2  # top_trader_divergence: |ls_top_position - ls_ratio| at or above this
    dispersion_min: float = 0.0003  # funding_dispersion: funding_spread_8h at or above this (0.03 %)
    low_confidence: float = 0.5  # confidence of the other flags while leverage_driven is on


def n_bars(window_h: float, step_ms: float) -> int:
    """``n(W) = max(1, round(W / step))``: the number of bars a window spans.

    Args:
        window_h: the window in hours.
        step_ms: the bar step in milliseconds.
    """
    return max(1, round(window_h * HOUR_MS / step_ms))


def bars_needed(params: SignalParams, step_ms: float, extra_h: float = 0.0) -> int:
    """Bars a series must hold so every window of ``params`` (and ``extra_h``) is full at its latest bar.

    The lookback L of bars that each sum a liquidation window, or the longest other window, plus a
    margin of two. The store sizes its buffers with it and the simulator its history.
    """
    need = n_bars(params.lookback_h, step_ms) + n_bars(params.liq_window_h, step_ms)
    windows = (params.window_h, params.sfr_window_h, params.flow_window_h, extra_h)
    return max(need, *(n_bars(w, step_ms) for w in windows)) + 2
