"""The watchlist's funding APR and countdown to the next settlement, and the snapshot's keys for them.

Expected figures by hand: +0.01 % per 8 h is 0.0001 x 3 x 365 = +10.95 % a year; -0.02 % per 8 h is
-21.9 % (shown with one decimal, as the other percents of the list); 1 h 23 min 45 s to a settlement
shows ``1h23m`` (whole minutes left, as the drill-down counts them).
"""

from __future__ import annotations

import math

import pytest

from feeds.messages import ALL, BarUpdate
from signals.formats import fmt_apr, fmt_countdown
from signals.params import SignalParams
from tui.model.bars import BarStore
from tui.model.rows import SORTS, RowData, compute_rows, countdown_updates, display_order, row_cells

HOUR = 3_600_000
MINUTE = 60_000
T = 1_760_000_400_000 - 1_760_000_400_000 % HOUR


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (HOUR + 23 * MINUTE + 45_000, "1h23m"),
        (45 * MINUTE, "45m"),
        (7 * HOUR + 5 * MINUTE, "7h05m"),
        (30_000, "<1m"),
        (math.nan, "—"),
        (-1, "—"),
    ],
)
def test_countdown_text(ms: float, text: str) -> None:
    assert fmt_countdown(ms) == text


@pytest.mark.parametrize(
    ("apr", "text"), [(0.1234, "+12.3%"), (-0.219, "-21.9%"), (10.95, "+1095.0%"), (math.nan, "—")]
)
def test_apr_text(apr: float, text: str) -> None:
    assert fmt_apr(apr) == text


def _rows(now_ms: int | None = None) -> dict[tuple[str, str], RowData]:
    store = BarStore(["BTC", "ETH"], ["binance", "hyperliquid"], capacity=4, step_ms=HOUR)
    store.apply(
        [
            BarUpdate("binance", "BTC", T, 100.0, oi=10.0, funding=0.0001, next_funding_ms=T + 8 * HOUR),
            BarUpdate(
                "hyperliquid",
                "BTC",
                T,
                100.0,
                oi=10.0,
                funding=0.0000125,
                funding_interval_h=1.0,
                next_funding_ms=T + HOUR,
            ),
            BarUpdate("binance", "ETH", T, 10.0, oi=10.0, funding=-0.0002),
        ]
    )
    return compute_rows(store, SignalParams(), now_ms=now_ms)


def test_apr_is_the_8h_rate_a_year() -> None:
    rows = _rows()
    assert rows[("BTC", "binance")].funding_apr == pytest.approx(0.1095)
    assert rows[("BTC", "hyperliquid")].funding_apr == pytest.approx(0.1095)  # 0.00125 %/1h = 0.01 %/8h
    assert rows[("ETH", ALL)].funding_apr == pytest.approx(-0.219)


def test_the_cross_venue_row_counts_down_to_its_soonest_venue() -> None:
    rows = _rows()
    assert rows[("BTC", "binance")].next_funding_ms == T + 8 * HOUR
    assert rows[("BTC", ALL)].next_funding_ms == T + HOUR  # Hyperliquid's, an hour away
    assert rows[("ETH", ALL)].next_funding_ms == 0  # no venue said


def test_cells_show_apr_and_the_countdown_beside_the_8h_funding() -> None:
    rows = _rows()
    now = T + 36 * MINUTE + 15_000
    texts = ["".join(t for t, _ in cell) for cell in row_cells(rows[("BTC", ALL)], "", "", "BTC", now_ms=now)]
    i = next(k for k, t in enumerate(texts) if t.startswith("+0.0100%"))
    assert texts[i + 2] == "23m"  # Hyperliquid settles at T + 1 h: 23 min 45 s left
    eth = ["".join(t for t, _ in cell) for cell in row_cells(rows[("ETH", ALL)], "", "", "ETH", now_ms=now)]
    assert eth[i + 1 : i + 3] == ["-21.9%", "—"]


def test_a_countdown_past_its_settlement_rolls_to_the_next_on_the_venues_schedule() -> None:
    rows = _rows()
    key = ("BTC", "hyperliquid")
    drawn = {key: row_cells(rows[key], "", "", "└ hyperliquid", now_ms=T + 59 * MINUTE)}  # "1m" then
    # Hyperliquid settled at T + 1 h; two minutes later its next poll has not come yet: 58 min to the next.
    moved = countdown_updates(rows, drawn.get, [key], T + HOUR + 2 * MINUTE)
    texts = ["".join(t for t, _ in cell) for cell in moved[key]]
    assert "58m" in texts and "1m" not in texts
    others = [c for c in moved[key] if c != (("58m", "muted"),)]
    assert others == [c for c in drawn[key] if c != (("1m", "muted"),)]  # the other cells as drawn
    # 1 min 30 s left still reads "1m": nothing to repaint.
    assert countdown_updates(rows, drawn.get, [key], T + 58 * MINUTE + 30_000) == {}
    # Rows computed with the time now already hold the rolled-forward settlement.
    assert _rows(now_ms=T + HOUR + 2 * MINUTE)[("BTC", ALL)].next_funding_ms == T + 2 * HOUR


def test_sorting_by_apr_puts_the_highest_first() -> None:
    labels = [label for label, _ in SORTS]
    assert "APR" in labels
    column = SORTS[labels.index("APR")][1]
    rows = _rows()
    order = display_order(["ETH", "BTC"], ["binance", "hyperliquid"], rows, column)
    assert [s for s, _ in order] == ["BTC", "ETH"]


def test_snapshot_json_gains_funding_apr_and_next_funding_time() -> None:
    d = _rows()[("BTC", ALL)].as_dict()
    assert d["funding_apr"] == pytest.approx(0.1095)
    assert d["next_funding_time"] == "2025-10-09T10:00:00Z"  # T is 09:00 UTC; Hyperliquid's next is 10:00
    assert d["funding_8h"] == pytest.approx(0.0001)  # old keys kept
    assert _rows()[("ETH", ALL)].as_dict()["next_funding_time"] is None
