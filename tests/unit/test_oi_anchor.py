"""A venue whose open interest starts later than its prices counts its earliest OI before that
(SIGNALS.md cross-venue OI), whether the week is loaded or written into the panel in place.

By hand, one-hour bars, three of them, both venues at price 100 throughout:
- binance: OI 10 in every bar;
- okx: no OI in bars 0 and 1, OI 20 in bar 2 (its earliest).
Cross-venue OI = sum(OI x price) / mean price: 30 in every bar (okx counted at 20 before it reports).
Without the anchor bars 0 and 1 would read 10: a 200 % OI jump that no trader made.
"""

from __future__ import annotations

import numpy as np

from feeds.messages import ALL, History
from signals.columns import Col
from tui.model.bars import BarStore

HOUR = 3_600_000
T0 = 1_760_000_400_000 - 1_760_000_400_000 % HOUR
VENUES = ["binance", "okx"]


def _bars(oi: list[float]) -> np.ndarray:
    bars = np.full((len(oi), len(Col)), np.nan)
    bars[:, Col.TIME] = [T0 + k * HOUR for k in range(len(oi))]
    bars[:, Col.PRICE] = 100.0
    bars[:, Col.OI] = oi
    return bars


HISTORIES = [
    History("binance", "BTC", _bars([10.0, 10.0, 10.0])),
    History("okx", "BTC", _bars([np.nan, np.nan, 20.0])),
]


def _cross_venue_oi(store: BarStore) -> list[float]:
    return [float(x) for x in store.series("BTC", ALL)[-3:, Col.OI]]


def test_loaded_history_counts_a_late_venue_at_its_earliest_oi() -> None:
    store = BarStore(["BTC"], VENUES, capacity=8, step_ms=HOUR)
    store.load_history(HISTORIES)
    assert _cross_venue_oi(store) == [30.0, 30.0, 30.0]


def test_history_written_in_place_counts_a_late_venue_at_its_earliest_oi() -> None:
    store = BarStore(["BTC"], VENUES, capacity=8, step_ms=HOUR)
    rows = store.history_rows(["BTC"], VENUES, 3, T0 + 2 * HOUR)
    assert rows is not None
    for v, h in enumerate(HISTORIES):
        rows[:, 0, v, :] = h.bars
    store.history_written(HISTORIES, 3)
    assert _cross_venue_oi(store) == [30.0, 30.0, 30.0]
