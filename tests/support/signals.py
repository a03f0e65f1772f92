"""Helpers of the signal tests: bar arrays from columns, and the batch-vs-latest agreement check."""

from __future__ import annotations

import numpy as np

from signals.columns import COLUMNS, INDEX, Col
from signals.evaluate import LatestCache, evaluate, evaluate_latest, needed_bars
from signals.features import Features, Windows
from signals.flags import Flag
from signals.latest import latest_features, prev_stats
from signals.params import SignalParams

HOUR_MS = 3_600_000


def make_bars(n: int, step_ms: float = HOUR_MS, **cols: object) -> np.ndarray:
    """(n, len(COLUMNS)) bars: ``time`` every ``step_ms``, the given columns (scalar or sequence), NaN
    elsewhere."""
    b = np.full((n, len(COLUMNS)), np.nan)
    b[:, Col.TIME] = 1_700_000_000_000 + step_ms * np.arange(n)
    for name, values in cols.items():
        b[:, INDEX[name]] = values
    return b


def assert_agree_all(
    bars: np.ndarray, params: SignalParams, step_ms: float, chunk: int = 400, stride: int = 1
) -> int:
    """Latest on the trailing window ending at every ``stride``-th bar (many windows per call) gives the
    batch flags and, bit for bit, the batch figures behind them.

    Returns the number of flags compared (so callers can check the comparison was not vacuous).
    """
    table = evaluate(bars, params, step_ms)
    need = needed_bars(params, step_ms)
    padded = np.concatenate([np.full((need - 1, len(COLUMNS)), np.nan), bars])
    compared = 0
    rows = np.arange(0, len(bars), stride)
    for start in range(0, len(rows), chunk):
        ts = rows[start : start + chunk]
        # Window k holds bars t-need+1 .. t of bar t = ts[k] (NaN rows before the first bar).
        idx = ts[None, :] + np.arange(need)[:, None]
        windows = padded[idx]
        results = evaluate_latest(windows, params, step_ms)
        # The figures behind the flags agree to the last bit, not just after rounding into a reason.
        live = latest_features(windows[-1], prev_stats(windows, params, Windows.of(params, step_ms)))
        for name in Features.__dataclass_fields__:
            got, want = getattr(live, name), getattr(table.features, name)[ts]
            assert np.array_equal(got, want, equal_nan=True), f"{name} differs at bars {ts[got != want]}"
        for t, res in zip(ts.tolist(), results, strict=True):
            expected = table.flags_at(t)
            assert list(res.flags) == expected, f"bar {t}"
            compared += len(expected)
    return compared


def assert_agree_ticks(bars: np.ndarray, params: SignalParams, step_ms: float, rows: list[int]) -> None:
    """At each bar of ``rows``, one series: latest without cache, and with a cache warmed by an earlier
    tick of the same bar (other values, some missing), agree with ``evaluate(...).flags_at``."""
    table = evaluate(bars, params, step_ms)
    need = needed_bars(params, step_ms)
    cache = LatestCache()
    for t in rows:
        window = bars[max(0, t + 1 - need) : t + 1][:, None, :]
        expected = table.flags_at(t)
        assert list(evaluate_latest(window, params, step_ms)[0].flags) == expected, f"bar {t}, no cache"
        early = window.copy()
        early[-1, 0, 1:] = early[-1, 0, 1:] * 1.5 + 7.0
        early[-1, 0, INDEX["oi"]] = np.nan
        evaluate_latest(early, params, step_ms, cache)
        got = evaluate_latest(window, params, step_ms, cache)[0]
        assert list(got.flags) == expected, f"bar {t}, warm cache"
        again = evaluate_latest(window, params, step_ms, cache)[0]
        assert again == got


def flags_on(bars: np.ndarray, params: SignalParams) -> list[list[str]]:
    """Names of the flags on at each bar of hourly ``bars``; also checks the latest path agrees bar for bar."""
    assert_agree_ticks(bars, params, HOUR_MS, list(range(len(bars))))
    table = evaluate(bars, params, HOUR_MS)
    return [[f.name for f in table.flags_at(i)] for i in range(len(bars))]


def flag_at(bars: np.ndarray, name: str, params: SignalParams, i: int = -1) -> Flag | None:
    """The flag ``name`` at bar ``i`` of hourly ``bars`` as the batch path reports it, or None when off."""
    i = i % len(bars)
    return next((f for f in evaluate(bars, params, HOUR_MS).flags_at(i) if f.name == name), None)
