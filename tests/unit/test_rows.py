"""RowData figures of a small hand-built store, worked out by hand; display order; sparklines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from feeds.messages import ALL, History
from signals.columns import COLUMNS, INDEX
from signals.flags import Flag
from signals.params import SignalParams
from tui.model.bars import BarStore, capacity_for
from tui.model.rows import RowData, compute_rows, display_order, row_cells
from tui.model.spark import sparklines

HOUR = 3_600_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % HOUR
N = 30


def _bars(**cols: np.ndarray | float) -> np.ndarray:
    bars = np.full((N, len(COLUMNS)), np.nan)
    bars[:, INDEX["time"]] = T0 + HOUR * np.arange(N)
    for name, value in cols.items():
        bars[:, INDEX[name]] = value
    return bars


@pytest.fixture
def rows() -> dict[tuple[str, str], RowData]:
    params = SignalParams()
    store = BarStore(["BTC"], ["binance", "okx"], capacity_for(params, HOUR), step_ms=HOUR)
    i = np.arange(N, dtype=float)
    store.load_history(
        [
            History(
                "binance",
                "BTC",
                _bars(
                    price=100 + i,
                    oi=1000 + 10 * i,
                    funding=0.0001,
                    funding_interval_h=8.0,
                    ls_ratio=1.5,
                    liq_long_usd=10 * i,
                    liq_short_usd=5.0,
                    spot_volume_usd=50.0,
                    futures_volume_usd=200.0,
                ),
            ),
            History(
                "okx",
                "BTC",
                _bars(
                    price=100 + i,
                    oi=500.0,
                    funding=0.0002,
                    funding_interval_h=4.0,
                    ls_ratio=0.5,
                    futures_volume_usd=100.0,
                ),
            ),
        ]
    )
    return compute_rows(store, params)


def test_venue_row_figures(rows: dict[tuple[str, str], RowData]) -> None:
    r = rows[("BTC", "binance")]
    assert r.price == 129
    assert r.change_24h == pytest.approx(129 / 105 - 1)  # no venue 24h figure: derived from 24 bars back
    assert r.oi == 1290
    assert r.oi_usd == pytest.approx(1290 * 129)
    assert r.oi_change == pytest.approx(1290 / 1250 - 1)  # W = 4 h = 4 bars back
    assert r.funding_8h == pytest.approx(0.0001)
    assert r.funding_interval_h == 8
    assert r.ls_ratio == 1.5
    assert r.liq_long_usd_1h == 290 and r.liq_short_usd_1h == 5  # the last 1 h bar only
    assert r.spot_futures_ratio == pytest.approx(0.25)  # 24 x 50 / 24 x 200


def test_hourly_funding_is_normalised_to_8h(rows: dict[tuple[str, str], RowData]) -> None:
    r = rows[("BTC", "okx")]
    assert r.funding == pytest.approx(0.0002)
    assert r.funding_interval_h == 4
    assert r.funding_8h == pytest.approx(0.0004)
    assert math.isnan(r.liq_long_usd_1h)  # not published: unknown, not zero
    assert math.isnan(r.spot_futures_ratio)


def test_cross_venue_row(rows: dict[tuple[str, str], RowData]) -> None:
    r = rows[("BTC", ALL)]
    usd_b, usd_o = 1290 * 129, 500 * 129
    assert r.price == 129
    assert r.oi_usd == pytest.approx(usd_b + usd_o)
    assert r.oi_change == pytest.approx(1790 / 1750 - 1)
    assert r.funding_8h == pytest.approx((0.0001 * usd_b + 0.0004 * usd_o) / (usd_b + usd_o))
    assert r.funding_interval_h == 8
    assert r.ls_ratio == pytest.approx((1.5 * usd_b + 0.5 * usd_o) / (usd_b + usd_o))
    assert r.liq_long_usd_1h == 290
    assert r.spot_futures_ratio == pytest.approx(24 * 50 / (24 * 300))


def test_cells_show_signed_funding_with_native_interval(rows: dict[tuple[str, str], RowData]) -> None:
    cells = row_cells(rows[("BTC", "okx")], "", "", "└ okx")
    texts = ["".join(t for t, _ in c) for c in cells]
    assert "+0.0400% 4h" in texts
    assert "+22.9%" in texts  # 129 / 105 - 1; one decimal, so it does not flicker on every price tick
    assert dict(cells[3])["+22.9%"] == "up"


def test_flag_codes_coloured_by_direction_and_dimmed() -> None:
    flags = (
        Flag("weak_rally", -1, "r"),
        Flag("short_squeeze_risk", 1, "r", 0.5),
        Flag("funding_flip", 0, "r"),
    )
    row = RowData("X", ALL, *([math.nan] * 12), flags=flags)
    spans = [s for s in row_cells(row, "", "", "X")[-1] if s[0].strip()]
    # Each code follows its direction mark, so the column reads without colour (monochrome, NO_COLOR).
    assert spans == [("▼WR", "flag-bear"), ("▲SQ", "flag-bull-dim"), ("◆FF", "flag-context")]


def _row(sym: str, change: float, flagged: bool = False) -> RowData:
    flags = (Flag("weak_rally", -1, "r"),) if flagged else ()
    return RowData(sym, ALL, 1.0, change, *([math.nan] * 10), flags=flags)


def test_display_order_sort_filter_flagged() -> None:
    rows = {
        (s, ALL): _row(s, c, s == "SOL")
        for s, c in [("BTC", 0.01), ("ETH", -0.02), ("SOL", 0.05), ("XRP", math.nan)]
    }
    syms = ["BTC", "ETH", "SOL", "XRP"]
    first = [k[0] for k in display_order(syms, ["binance"], rows, "change_24h")]
    assert first == ["SOL", "BTC", "ETH", "XRP"]  # largest first, unknown last
    assert [k[0] for k in display_order(syms, [], rows, "change_24h", reverse=True)] == [
        "ETH",
        "BTC",
        "SOL",
        "XRP",
    ]
    assert [k[0] for k in display_order(syms, [], rows, "symbol", reverse=True)] == [
        "XRP",
        "SOL",
        "ETH",
        "BTC",
    ]
    assert display_order(syms, [], rows, text="et") == [("ETH", ALL)]
    assert display_order(syms, [], rows, flagged_only=True) == [("SOL", ALL)]
    assert display_order(["BTC"], ["binance", "okx"], rows, expanded={"BTC"}) == [
        ("BTC", ALL),
        ("BTC", "binance"),
        ("BTC", "okx"),
    ]


def test_sparklines_scale_each_series_to_its_range() -> None:
    block = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, np.nan], [4.0, 7.0]])
    assert sparklines(block, 4) == ["▁▃▆█", "▄▄ ▄"]
