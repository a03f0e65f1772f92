"""The columns of one symbol fetched from Parquet (``feeds.history.parquet_read``), checked into bar rows.

Rows the CSV reader would skip (no time or price, a value not finite, a negative volume, a zero price or
funding interval) are left out and counted, one line per file, symbol and reason, in the order the checks
run. Nearly every file passes every check: the checks are first asked of all the columns at once, and
the column-by-column pass that words the problems only runs when one of them finds something.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from feeds.history.csvfile import OI_USD, _ordered
from signals.columns import COLUMNS, INDEX, Col

if TYPE_CHECKING:
    from feeds.history.parquet_source import Source

SECONDS_BELOW = 1e11  # as the CSV reader: below this a numeric time is epoch seconds
NON_NEGATIVE = frozenset(COLUMNS) - {"time", "funding", "premium"}  # the signed columns
POSITIVE = frozenset({"price", "funding_interval_h"})


def checked_bars(
    src: Source, key: str, got: dict[str, np.ndarray], where: str, problems: list[str]
) -> np.ndarray:
    """The fetched columns of one symbol as bars, the rows the CSV reader would skip left out and counted."""
    n = len(got["time"])
    bars = np.full((n, len(COLUMNS)), np.nan)
    t = np.ma.filled(got["time"].astype(np.float64), np.nan)
    if src.numeric_time:
        t = np.where(t < SECONDS_BELOW, t * 1000.0, t)
    bars[:, Col.TIME] = t
    oi_usd = None
    for col in src.columns:
        v = np.ma.filled(got[col].astype(np.float64), np.nan)
        if col == OI_USD:
            oi_usd = v
        else:
            bars[:, INDEX[col]] = v
    checked = [(c, bars[:, INDEX[c]]) for c in src.columns if c != OI_USD]
    if oi_usd is not None:
        checked.append((OI_USD, oi_usd))
    bad = np.zeros(n, dtype=bool)
    who = f" of {key}" if key and src.symbol_column is not None else ""

    def drop(mask: np.ndarray, why: str) -> None:
        new = mask & ~bad
        if new.any():
            problems.append(f"{where}: {int(new.sum())} row(s){who} skipped: {why}")
        bad[:] |= mask

    drop(np.isnan(t) | (t < 0) | np.isinf(t), "time is missing or negative")
    if _any_problem(bars, src.columns, oi_usd):  # else every column check below would find nothing: skipped
        for col, v in checked:
            drop(np.isinf(v), f"{col} is not finite")
            if col in NON_NEGATIVE or col == OI_USD:
                drop(v < 0, f"{col} is negative")
            if col in POSITIVE:
                drop(v == 0, f"{col} is zero")
    drop(np.isnan(bars[:, Col.PRICE]), "price is missing")
    if oi_usd is not None:
        fill = np.isnan(bars[:, Col.OI]) & ~np.isnan(oi_usd)
        bars[fill, Col.OI] = oi_usd[fill] / bars[fill, Col.PRICE]
    kept = bars[~bad] if bad.any() else bars
    times = kept[:, Col.TIME]
    if times.size < 2 or bool((times[1:] > times[:-1]).all()):
        return kept  # already in time order without repeats: _ordered would copy it unchanged
    return _ordered(kept, src.name, key, problems)


def _any_problem(bars: np.ndarray, columns: tuple[str, ...], oi_usd: np.ndarray | None) -> bool:
    """Whether a check of ``columns`` fails at some row (or the time is not finite: the worded pass is
    right either way), in three passes over the whole array."""
    if np.isinf(bars).any():
        return True
    negative: np.ndarray = np.asarray((bars < 0).any(axis=0))  # per column
    zero: np.ndarray = np.asarray((bars == 0).any(axis=0))
    for col in columns:
        if col == OI_USD:
            continue
        i = INDEX[col]
        if (col in NON_NEGATIVE and negative[i]) or (col in POSITIVE and zero[i]):
            return True
    return oi_usd is not None and bool((np.isinf(oi_usd) | (oi_usd < 0)).any())
