"""The flags at a bar store's current bar (or one just before it), every series in one vectorised call.

``evaluate_store`` reads the store's rows as they lie: the hot rows as views, the float32 rows of the
7-day lookback apart (``BarPanel.tail_split``), so the watchlist's tick copies nothing the size of a week.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feeds.messages import ALL
from signals.columns import COLUMNS
from signals.evaluate import LatestCache, LatestResult, evaluate_latest, needed_bars, short_bars
from signals.params import SignalParams
from tui.model.bars import BarStore
from tui.model.rows import SeriesKey


def evaluate_store(
    store: BarStore,
    params: SignalParams,
    cache: LatestCache | None = None,
    venues: Sequence[str] | None = None,
    symbols: Sequence[str] | None = None,
    reasons: bool = True,
    at: int | None = None,
) -> dict[SeriesKey, LatestResult]:
    """Flags at the current bar of ``symbols`` x ``venues`` (default: every symbol, every venue and ALL).

    One vectorised ``evaluate_latest`` call over the store's tail. The cross-venue rows of every symbol
    are a strided view of the panel, so the live screen's common case copies nothing. Pass the same
    ``cache`` for the same selection on every tick (and clear it after ``load_history``). ``reasons=False``
    leaves the flags' reason lines empty, for the watchlist, which shows codes only. ``at`` evaluates at
    an earlier bar the store still holds (a bar that just closed) instead of the current one.
    """
    depth = min(needed_bars(params, store.step_ms), store.capacity)
    older, tail = store.tail_split(depth, at)  # the float32 rows apart: a float64 week would be a copy
    if older is not None and len(tail) <= short_bars(params, store.step_ms):
        older, tail = None, store.tail(depth, at)  # a bar so old its short windows are cold: one copy
    depth = tail.shape[0]
    if depth == 0:
        return {}
    names = [*store.venues, ALL] if venues is None else list(venues)
    syms = list(store.symbols) if symbols is None else list(symbols)
    s_idx = store.slots(syms)
    v_idx = [store.venue_index(v) for v in names]

    def select(rows: np.ndarray) -> np.ndarray:
        n = rows.shape[0]
        if names == [ALL] and symbols is None:
            return rows[:, :, store.venue_index(ALL), :]
        if s_idx == list(range(rows.shape[1])) and v_idx == list(range(rows.shape[2])):
            # Every series in slot order (the snapshot): the panel's own rows, not a copy of a week.
            return rows.reshape(n, -1, len(COLUMNS))
        # one fancy index, one copy (two in a row copied the selection twice)
        return rows[:, np.array(s_idx)[:, None], np.array(v_idx)[None, :]].reshape(n, -1, len(COLUMNS))

    window = select(tail)
    results = evaluate_latest(
        window, params, store.step_ms, cache, reasons=reasons, older=None if older is None else select(older)
    )
    return dict(zip([(s, v) for s in syms for v in names], results, strict=True))
