"""Bars read back from the history store: to resume the app's windows, and as whole series.

``read_for`` only reads the file (safe in a worker thread while the event loop runs); ``restore``
loads what it read on the event loop before the feed starts, so its first poll lands on resumed
windows, and a later backfill merges over it. ``stored_series`` rebuilds a symbol's series (its
cross-venue one by the bar store's own aggregation) for ``perptop export`` and the hit rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from feeds.history.store import HistoryStore
from feeds.messages import ALL, BAR_STEP_MS, History
from signals.columns import Col
from signals.times import wall_ms
from tui.model.bars import BarStore


def read_for(
    store: BarStore, path: Path, since_ms: int | None = None, symbols: Sequence[str] | None = None
) -> list[History]:
    """The stored bars ``store`` can hold: its symbols and venues, its capacity back from now.

    Args:
        store: the app's bar store (only its symbols, venues, step and capacity are read).
        path: the history file (absent: nothing).
        since_ms: read from here instead of from the store's capacity back.
        symbols: only these (a symbol just added); default every symbol of ``store``.
    """
    if not Path(path).exists():
        return []
    if since_ms is None:
        now = wall_ms()
        since_ms = now - now % store.step_ms - (store.capacity - 1) * store.step_ms
    reader = HistoryStore(Path(path), None, readonly=True)
    try:
        return reader.load(list(store.symbols if symbols is None else symbols), list(store.venues), since_ms)
    finally:
        reader.close()


def restore(store: BarStore, histories: Iterable[History]) -> int:
    """Load stored bars (what ``read_for`` returned) into ``store``; returns the bars loaded.

    Merged, so nothing a feed already wrote is overwritten, and not told to the store's observers, so
    nothing read from the history store is written back to it.
    """
    histories = list(histories)
    store.load_history(histories, merge=True, notify=False)
    return sum(len(h.bars) for h in histories)


LOAD_SYMBOLS = 4
"""Symbols read from the store in one pass. Each pass checks every day it spans for being whole in
blocks (a count of the day's rows: two thirds of a symbol's read of a packed week), so a pass for a few
symbols, not one each. The flag records of 50 symbols on the packed 50-symbol week of
``bench/bench_store_load.py``: 2.9 s with one symbol a pass, 1.25 s with four (14 MB more at the peak),
0.97 s with eight (32 MB more)."""


def stored_series(
    reader: HistoryStore, symbols: list[str], venue: str, since: int, venues: Sequence[str] | None = None
) -> tuple[dict[str, np.ndarray], int]:
    """Bar arrays per symbol (rows with a price only) and the bar step, as ``export`` writes them.

    Args:
        reader: the open store.
        symbols: the symbols to export (those without bars are left out).
        venue: ``"all"`` for the cross-venue series, else one venue's name.
        since: first bar time (epoch ms).
        venues: the venues whose series make the cross-venue one (the monitor's own); default: every venue
            the store holds, found by a scan of all its rows (0.15-0.35 s for a 50-symbol week: too much to
            pay for each symbol the alerts measure every few minutes).
    """
    step = stored_step(reader)
    return dict(each_stored_series(reader, symbols, venue, since, step, venues)), step


def stored_step(reader: HistoryStore) -> int:
    """The bar step of the store's bars (ms)."""
    return int(reader.meta("step_ms") or BAR_STEP_MS)


def each_stored_series(
    reader: HistoryStore,
    symbols: Sequence[str],
    venue: str,
    since: int,
    step: int,
    venues: Sequence[str] | None = None,
) -> Iterator[tuple[str, np.ndarray]]:
    """``stored_series`` a symbol at a time, read ``LOAD_SYMBOLS`` a pass: a caller that lets each go
    holds no more than one pass's bars."""
    if venue != ALL:
        venues = [venue]
    elif venues is None:
        venues = sorted({v for _, v in reader.series_keys()})
    for start in range(0, len(symbols), LOAD_SYMBOLS):
        yield from _pass(reader, list(symbols[start : start + LOAD_SYMBOLS]), venue, since, step, venues)


def _pass(
    reader: HistoryStore, chunk: list[str], venue: str, since: int, step: int, venues: Sequence[str]
) -> list[tuple[str, np.ndarray]]:
    """One pass's series. A function of its own, not the generator's body: a venue's bars are views of
    the whole pass's array, and one left bound in the suspended generator kept it (10 MB) alive while
    the caller scored."""
    loaded: dict[str, list[History]] = {s: [] for s in chunk}
    for h in reader.load(chunk, sorted(venues), since):
        loaded[h.symbol].append(h)
    made = []
    for symbol in chunk:
        bars = _series_of(loaded.pop(symbol, []), venue, step)
        if bars is not None:
            bars = bars[~np.isnan(bars[:, Col.PRICE])]
            if len(bars):
                made.append((symbol, bars))
    return made


def _series_of(histories: list[History], venue: str, step: int) -> np.ndarray | None:
    """One symbol's series: its venue's bars, or the cross-venue ones of its ``histories``."""
    if not histories:
        return None
    if venue != ALL:
        return histories[0].bars
    first = min(int(h.bars[0, Col.TIME]) for h in histories)
    last = max(int(h.bars[-1, Col.TIME]) for h in histories)
    # One symbol at a time: a panel spanning the whole range costs (bars x venues x columns) floats.
    symbol = histories[0].symbol
    panel = BarStore([symbol], [h.venue for h in histories], (last - first) // step + 1, step)
    panel.load_history(histories)
    return panel.series(symbol, ALL)
