"""Funding settlements: the next one of a series, the soonest across venues, and funding as APR.

Venues settle funding on a fixed schedule (every 8 h on Binance, OKX and most Bybit pairs, every hour
on Hyperliquid) and each poll says when the next settlement is. Between polls the time the store holds
can fall behind: a settlement passed and the next poll has not come yet, or a venue stopped answering.
Settlements recur every funding interval, so a time in the past is rolled forward by whole intervals
rather than shown as "now" or left counting below zero. Pure numpy, no Textual.
"""

from __future__ import annotations

import math

import numpy as np

HOUR_MS = 3_600_000
DEFAULT_INTERVAL_H = 8.0  # where a venue's interval is not known (as ``signals.features.funding8h``)
APR_PER_8H = 3 * 365
"""8 h periods in a year: funding per 8 h times this is the annual rate (simple, not compounded)."""


def apr(funding_8h: float) -> float:
    """Funding per 8 h (a fraction) as a simple annual rate: 0.0001 -> 0.1095 (+10.95 % a year)."""
    return funding_8h * APR_PER_8H


def _period_ms(interval_h: float) -> int:
    hours = interval_h if math.isfinite(interval_h) and interval_h > 0 else DEFAULT_INTERVAL_H
    return round(hours * HOUR_MS)


def next_settlement(next_ms: int, interval_h: float, now_ms: int) -> int:
    """The first settlement after ``now_ms`` on the schedule through ``next_ms``; 0 when unknown (0).

    Args:
        next_ms: a settlement time the venue published (ms), 0 when unknown.
        interval_h: the venue's funding interval (NaN: 8 h).
        now_ms: the time now.
    """
    if next_ms <= 0 or next_ms > now_ms:
        return max(next_ms, 0)
    period = _period_ms(interval_h)
    return next_ms + ((now_ms - next_ms) // period + 1) * period


def roll_forward(next_ms: np.ndarray, interval_h: np.ndarray, now_ms: int) -> np.ndarray:
    """``next_settlement`` over arrays of the same shape (int64 times, 0 unknown; float intervals)."""
    next_ms = np.asarray(next_ms, dtype=np.int64)
    hours = np.asarray(interval_h, dtype=np.float64)
    known = np.isfinite(hours) & (hours > 0)
    period = np.rint(np.where(known, hours, DEFAULT_INTERVAL_H) * HOUR_MS).astype(np.int64)
    late = (next_ms > 0) & (next_ms <= now_ms)
    steps = np.where(late, (now_ms - next_ms) // period + 1, 0)
    rolled: np.ndarray = next_ms + steps * period
    return rolled


def soonest(next_ms: np.ndarray) -> np.ndarray:
    """The earliest known time along the last axis (the venues); 0 where no venue has one."""
    times = np.asarray(next_ms, dtype=np.int64)
    big = np.iinfo(np.int64).max
    low = np.where(times > 0, times, big).min(axis=-1) if times.shape[-1] else np.zeros(times.shape[:-1])
    return np.where(low == big, 0, low).astype(np.int64)


def series_next_funding(next_ms: np.ndarray, interval_h: np.ndarray, now_ms: int | None) -> np.ndarray:
    """Next settlement of k symbols on V venues (k, V), plus the cross-venue one: (k, V + 1).

    ``now_ms`` None leaves the times as the venues last said; otherwise past ones are rolled forward.
    The cross-venue column is the soonest of the venues'.
    """
    times = np.asarray(next_ms, dtype=np.int64)
    if now_ms is not None:
        times = roll_forward(times, interval_h, now_ms)
    return np.concatenate([times, soonest(times)[:, None]], axis=1)
