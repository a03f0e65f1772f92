"""Snapshots of the drill-down at the sizes it is left open on: 80x24 (over SSH), 120x30 and 200x60.

The drill-down is pushed over a store of the simulated market with a fixed seed and start time (see
``tests/app/test_drilldown.py``), so every run draws the same charts. At 80x24 one chart is shown at a
time (the liquidations chart, once ``c`` brought it forward, is the one whose axis once read ``10.0M``
twice); at 120x30 one chart on a scrolling page, the flag list beside it; at 200x60 all five charts,
the taker flow across both columns.

Regenerate after an intended visual change with ``pytest tests/snapshot --snapshot-update`` and review
the SVG diff.
"""

from __future__ import annotations

import plotext._utility as plotext_utility
import pytest

from tests.app.test_drilldown import DrilldownHost, simulated_histories, store_from


@pytest.fixture(autouse=True)
def stable_plotext(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plotext's point de-duplication follows the per-process hash seed: keep its order instead."""
    monkeypatch.setattr(plotext_utility, "no_duplicates", lambda data: list(dict.fromkeys(data)))


def _app() -> DrilldownHost:
    return DrilldownHost(store_from(simulated_histories()), symbol="HYPE", window="3")


@pytest.mark.parametrize("size", [(80, 24), (120, 30), (200, 60)], ids=["80x24", "120x30", "200x60"])
def test_drilldown(snap_compare, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), terminal_size=size)


def test_drilldown_80x24_liquidations(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(), terminal_size=(80, 24), press=["c", "c", "c"])
