"""The panel's rows are filled with NaN on the first write or read, not when the store is made (which put
the page faults of the whole panel before the first frame): whichever comes first, no figure is ever
read from a row nothing wrote.

The store is 73 MB (a 50-symbol week), past the size glibc serves from fresh zeroed pages: a row
left unfilled would read 0.0 (a price of 0, a funding of 0 %), never NaN by chance.
"""

from __future__ import annotations

import numpy as np

from feeds.messages import ALL, History
from signals.columns import COLUMNS, Col
from tui.model.bars import BarStore

STEP = 300_000
T0 = 1_760_000_400_000 - 1_760_000_400_000 % STEP
SYMBOLS = [f"S{i:02d}" for i in range(50)]
VENUES = ["simA", "simB", "simC", "simD"]


def _store() -> BarStore:
    return BarStore(SYMBOLS, VENUES, 2_030, STEP)


def test_reads_before_the_first_bar_see_no_figures() -> None:
    store = _store()
    idx = np.arange(3)
    assert np.isnan(store.hourly(Col.FUNDING, 24, [0, 1, 2], store.all_slot)).all()
    assert np.isnan(store.window(Col.PRICE, 288, idx, idx)).all()
    assert np.isnan(store.tail(2_030)).all()
    assert np.isnan(store.latest()).all()


def test_the_first_bars_written_leave_every_older_row_without_figures() -> None:
    store = _store()
    bars = np.full((2, len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = [T0, T0 + STEP]
    bars[:, Col.PRICE] = [100.0, 101.0]
    store.load_history([History("simA", "S00", bars)])
    older = store.data[:-2]
    assert np.isnan(older[:, :, : len(VENUES), 1:]).all()  # every venue's values (time is the axis's)
    assert np.isnan(older[:, :, store.all_slot, Col.PRICE]).all()
    assert store.series("S00", "simA")[:, Col.PRICE].tolist() == [100.0, 101.0]
    assert store.series("S00", ALL)[:, Col.PRICE].tolist() == [100.0, 101.0]
    assert np.isnan(store.hourly(Col.PRICE, 24, [0], store.all_slot)[0, :-1]).all()
