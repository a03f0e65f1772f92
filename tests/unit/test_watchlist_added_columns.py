"""The watchlist's columns for SIGNALS.md's added figures: premium, basis, top L/S and taker flow.

Expected texts and widths by hand:
- premium 0.00042 is ``+0.042%``; -0.0014 is ``-0.140%``; 0.0123 (a dislocation) ``+1.23%`` (two decimals
  from 1 % up, so it stays in the seven cells of the column).
- basis: a perp at 96,512.3 over spot at 96,480.0 is 32.3 / 96,480 = 0.000335 = ``+0.033%``.
- flow: perp +0.06, spot -0.04 is ``+6/-4``; 0.004 rounds to ``0``.
- widths: the old fifteen columns need 155 cells with their separators (the flags at their 12-cell
  minimum), 172 with the flags at their full 29. The added ones show only beside full-width flags and give
  way first, in this order: basis (7 + 1 cells), flow (9 + 1), top L/S (7 + 1), premium (7 + 1); so the
  premium shows from 172 + 8 = 180 cells, top L/S from 188, the flow from 198, the basis from 206. The old
  columns then go as before: the venue below 155 (12 + 1), funding APR below 143 (9), the countdown below
  134 (7), the OI sparkline below 127 (11), the price sparkline below 116 (13), S/F below 103 (6), L/S
  below 97 (6), liquidations below 91 (14), OI $ below 77.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from feeds.messages import ALL, BarUpdate
from signals.params import SignalParams
from tui.config.columns import COLUMN_KEYS
from tui.config.loader import ConfigError, load_config
from tui.model.bars import BarStore
from tui.model.rows import SORTS, Cell, RowData, compute_rows, display_order, row_cells
from tui.widgets.columns import default_columns, fit_columns

NAN = math.nan
HOUR = 3_600_000
T = 1_760_000_400_000 - 1_760_000_400_000 % HOUR
ADDED = ("premium", "basis", "top_ls", "flow")


def _row(symbol: str = "BTC", **figures: float) -> RowData:
    base: dict[str, float] = {
        "price": 96_512.3,
        "change_24h": 0.01,
        "oi": 1.0,
        "oi_usd": 1e9,
        "oi_change": 0.0,
        "funding": 0.0001,
        "funding_8h": 0.0001,
        "funding_interval_h": 8.0,
        "ls_ratio": 1.0,
        "liq_long_usd_1h": 0.0,
        "liq_short_usd_1h": 0.0,
        "spot_futures_ratio": 1.0,
    }
    return RowData(symbol, ALL, **{**base, **figures})  # type: ignore[arg-type]


def _cells(row: RowData) -> dict[str, Cell]:
    return dict(zip(COLUMN_KEYS, row_cells(row, "", "", row.symbol), strict=True))


def _text(cell: Cell) -> str:
    return "".join(t for t, _ in cell)


# ---- the cells ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("premium", "text", "style"),
    [
        (0.00042, "+0.042%", "up"),
        (-0.0014, "-0.140%", "down"),
        (0.0123, "+1.23%", "up"),
        (0.0, "0.000%", "neutral"),
        (NAN, "—", "neutral"),
    ],
)
def test_the_premium_cell_is_a_signed_percent_coloured_by_its_sign(
    premium: float, text: str, style: str
) -> None:
    assert _cells(_row(premium=premium))["premium"] == ((text, style),)


def test_the_basis_is_the_perp_over_the_spot_price() -> None:
    cells = _cells(_row(price=96_512.3, spot_price=96_480.0))
    assert cells["basis"] == (("+0.033%", "up"),)
    assert _cells(_row(price=99.0, spot_price=100.0))["basis"] == (("-1.00%", "down"),)
    assert _text(_cells(_row())["basis"]) == "—"  # no spot price: unknown, not 0


def test_top_traders_ratio_has_two_decimals() -> None:
    assert _text(_cells(_row(ls_top_position=1.449))["top_ls"]) == "1.45"
    assert _text(_cells(_row())["top_ls"]) == "—"


def test_the_flow_cell_shows_perp_then_spot_each_by_its_sign() -> None:
    cell = _cells(_row(taker_flow_4h=0.06, spot_taker_flow_4h=-0.04))["flow"]
    assert _text(cell) == "+6/-4"
    assert [style for t, style in cell if t != "/"] == ["up", "down"]
    assert _text(_cells(_row(taker_flow_4h=0.004, spot_taker_flow_4h=1.0))["flow"]) == "0/+100"
    assert _cells(_row(taker_flow_4h=0.004))["flow"][0] == ("0", "neutral")
    assert _text(_cells(_row(spot_taker_flow_4h=0.02))["flow"]) == "—/+2"
    assert _text(_cells(_row())["flow"]) == "—"  # no venue publishes taker flow


def test_venue_rows_show_their_own_figures_and_the_cross_venue_row_the_aggregate() -> None:
    # binance perp 100.2 over its spot 100.0: +0.200 %; okx 100.4 over 100.3: +0.0997 %; across venues
    # the mean perp price 100.3 over the first venue's spot 100.0: +0.300 %. Premium by OI in USD:
    # (0.0005 x 1002 - 0.0001 x 502) / 1504 = +0.030 %. Takers: binance perp 300 / 100 (+50), spot 10 / 30
    # (-50); okx perp 100 / 300 (-50), no spot; across (400 - 400) / 800 = 0 perp, -50 spot.
    store = BarStore(["BTC"], ["binance", "okx"], capacity=4, step_ms=HOUR)
    store.apply(
        [
            BarUpdate(
                "binance",
                "BTC",
                T,
                100.2,
                oi=10.0,
                premium=0.0005,
                spot_price=100.0,
                ls_top_position=1.6,
                spot_taker_buy_usd=10.0,
                spot_taker_sell_usd=30.0,
                taker_buy_usd=300.0,
                taker_sell_usd=100.0,
            ),
            BarUpdate(
                "okx",
                "BTC",
                T,
                100.4,
                oi=5.0,
                premium=-0.0001,
                spot_price=100.3,
                taker_buy_usd=100.0,
                taker_sell_usd=300.0,
            ),
        ]
    )
    rows = compute_rows(store, SignalParams())
    texts = {v: {k: _text(c) for k, c in _cells(rows[("BTC", v)]).items()} for v in ("binance", "okx", ALL)}
    assert [texts["binance"][k] for k in ADDED] == ["+0.050%", "+0.200%", "1.60", "+50/-50"]
    assert [texts["okx"][k] for k in ADDED] == ["-0.010%", "+0.100%", "—", "-50/—"]
    assert [texts[ALL][k] for k in ADDED] == ["+0.030%", "+0.300%", "1.60", "0/-50"]


# ---- sorting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "figure"),
    [
        ("premium", "premium"),
        ("top L/S", "ls_top_position"),
        ("taker flow", "taker_flow_4h"),
    ],
)
def test_s_sorts_by_each_added_column_largest_first_unknown_last(label: str, figure: str) -> None:
    labels = [lab for lab, _ in SORTS]
    column = SORTS[labels.index(label)][1]
    rows = {
        ("A", ALL): _row("A", **{figure: 0.5}),
        ("B", ALL): _row("B"),
        ("C", ALL): _row("C", **{figure: 2.0}),
    }
    assert [s for s, _ in display_order(["A", "B", "C"], [], rows, column)] == ["C", "A", "B"]
    assert [s for s, _ in display_order(["A", "B", "C"], [], rows, column, reverse=True)] == ["A", "C", "B"]


def test_s_sorts_by_basis_from_price_and_spot() -> None:
    column = dict(SORTS)["basis"]
    rows = {
        ("A", ALL): _row("A", price=100.1, spot_price=100.0),  # +0.1 %
        ("B", ALL): _row("B", price=99.0, spot_price=100.0),  # -1 %
        ("C", ALL): _row("C", price=101.0, spot_price=100.0),  # +1 %
        ("D", ALL): _row("D", price=101.0),  # no spot
    }
    assert [s for s, _ in display_order(["A", "B", "C", "D"], [], rows, column)] == ["C", "A", "B", "D"]


def test_the_sort_order_follows_the_columns() -> None:
    labels = [lab for lab, _ in SORTS]
    assert labels[labels.index("APR") + 1 : labels.index("APR") + 3] == ["premium", "basis"]
    assert labels[labels.index("L/S") + 1] == "top L/S"
    assert labels[labels.index("liquidations") + 1] == "taker flow"


# ---- which columns fit ----------------------------------------------------------------------------


def _keys(width: int) -> list[str]:
    return [c.key for c in fit_columns(default_columns(4.0), width)]


def test_the_added_columns_sit_where_a_trader_reads_them() -> None:
    keys = _keys(240)
    assert keys[keys.index("next_funding") + 1 : keys.index("next_funding") + 3] == ["premium", "basis"]
    assert keys[keys.index("ls_ratio") + 1] == "top_ls"
    assert keys[keys.index("liq") + 1] == "flow"
    titles = {c.key: c.title for c in default_columns(4.0)}
    assert [titles[k] for k in ADDED] == ["premium", "basis", "top L/S", "flow p/s"]


# The narrowest width that keeps each column that gives way (the sums of the module docstring).
ADDED_FROM = {"premium": 180, "top_ls": 188, "flow": 198, "basis": 206}
OLD_FROM = {
    "venue": 155,
    "funding_apr": 143,
    "next_funding": 134,
    "oi_spark": 127,
    "spark": 116,
    "sfr": 103,
    "ls_ratio": 97,
    "liq": 91,
    "oi_usd": 77,
}


def test_the_added_columns_give_way_first_and_every_old_column_keeps_its_widths() -> None:
    for width in range(60, 241):
        expected = [k for k in COLUMN_KEYS if {**ADDED_FROM, **OLD_FROM}.get(k, 0) <= width]
        columns = fit_columns(default_columns(4.0), width)
        assert [c.key for c in columns] == expected, f"at {width} cells"
        if width >= 172:  # the added columns never narrow the flags
            assert columns[-1].width == 29, f"at {width} cells"
    # Below that the flags take what is left, as before: 12 + (171 - 155) at 171.
    assert fit_columns(default_columns(4.0), 171)[-1].width == 28


# ---- the config file ------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_accepts_the_added_columns_in_display_order(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, 'columns = ["flow", "top_ls", "premium", "basis", "price"]\n'))
    assert config.columns == ("symbol", "price", "premium", "basis", "top_ls", "flow")


def test_a_misspelt_added_column_is_a_one_line_error_naming_the_new_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, 'columns = ["price", "premum"]\n'))
    message = str(err.value)
    assert 'item 2: unknown column "premum"' in message
    assert "premium, basis" in message and "top_ls" in message and "flow" in message
    assert "\n" not in message.strip()
