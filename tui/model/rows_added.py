"""The watchlist cells of SIGNALS.md's added figures: premium, basis, top traders' L/S and taker flow.

Kept apart from ``tui.model.rows`` (whose ``row_cells`` places ``added_cells`` and whose ``sort_value``
asks ``ADDED_SORT_VALUES``) so that module does not grow. Every number goes through ``signals.formats``.

- ``premium``: mark over index - 1, a signed percent with three decimals (premiums live in the hundredths
  of a percent: ``+0.042%``), fewer from 1 % up so a dislocation still fits the cell (``+1.23%``).
- ``basis``: the perp's last price over the spot last price - 1 (``basis``), formatted as the premium;
  unknown where there is no spot price. On the cross-venue row it is the venues' mean perp price over the
  spot price of the first venue that has one (``tui.model.aggregate``).
- ``top_ls``: top traders' long/short position ratio, two decimals as the all-accounts L/S.
- ``flow``: perp and spot net taker flow over 4 h (SIGNALS.md ``flow``, -1..1) as whole percents without
  the ``%`` sign (``+6/-4``), each part coloured by its sign, so a divergence reads at a glance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

from signals.formats import MISSING, fmt_pct, fmt_ratio

Span = tuple[str, str]
"""(text, style name), as ``tui.model.rows.Span`` (repeated: rows imports this module, not the reverse)."""
Cell = tuple[Span, ...]


class RowData(Protocol):
    """The figures of a row these cells read (``tui.model.rows.RowData`` has them)."""

    @property
    def price(self) -> float: ...

    @property
    def spot_price(self) -> float: ...

    @property
    def premium(self) -> float: ...

    @property
    def ls_top_position(self) -> float: ...

    @property
    def taker_flow_4h(self) -> float: ...

    @property
    def spot_taker_flow_4h(self) -> float: ...


def _sign_style(x: float) -> str:
    """``up`` / ``down`` by sign; ``neutral`` for zero or unknown (the rows' own convention)."""
    if not math.isfinite(x) or x == 0:
        return "neutral"
    return "up" if x > 0 else "down"


def basis(row: RowData) -> float:
    """The perp's last price over the spot last price - 1; NaN without both (or with a spot price of 0)."""
    price, spot = row.price, row.spot_price
    if not (math.isfinite(price) and math.isfinite(spot)) or spot <= 0:
        return math.nan
    return price / spot - 1.0


def fmt_premium(frac: float) -> str:
    """A premium or basis: ``+0.042%`` below 1 %, ``+1.23%`` below 100 %, ``+123.4%`` above; ``—`` unknown.

    The decimals shrink as the figure grows so it stays within seven cells, the column's width.
    """
    if not math.isfinite(frac):
        return MISSING
    a = abs(frac)
    return fmt_pct(frac, 3 if a < 0.01 else 2 if a < 1 else 1)


def flow_span(frac: float) -> Span:
    """One side of the flow cell: a whole signed percent without ``%`` (``+6``, ``-4``, ``0``), by its sign.

    Coloured by the figure as shown: a flow that rounds to ``0`` is neutral, not green or red.
    """
    if not math.isfinite(frac):
        return (MISSING, "neutral")
    pct = round(frac * 100)
    return ("0", "neutral") if pct == 0 else (f"{pct:+d}", "up" if pct > 0 else "down")


def flow_cell(perp: float, spot: float) -> Cell:
    """The ``flow`` cell: ``+6/-4`` (perp / spot), one ``—`` when neither venue publishes taker flow."""
    if not math.isfinite(perp) and not math.isfinite(spot):
        return ((MISSING, "neutral"),)
    return (flow_span(perp), ("/", "muted"), flow_span(spot))


def added_cells(row: RowData) -> dict[str, Cell]:
    """The cells of the added columns, by watchlist column key (``premium``, ``basis``, ``top_ls``, ``flow``)."""
    b = basis(row)
    return {
        "premium": ((fmt_premium(row.premium), _sign_style(row.premium)),),
        "basis": ((fmt_premium(b), _sign_style(b)),),
        "top_ls": ((fmt_ratio(row.ls_top_position), ""),),
        "flow": flow_cell(row.taker_flow_4h, row.spot_taker_flow_4h),
    }


ADDED_SORT_VALUES: dict[str, Callable[[RowData], float]] = {
    "premium": lambda r: r.premium,
    "basis": basis,
    "top_ls": lambda r: r.ls_top_position,
    "flow": lambda r: r.taker_flow_4h,  # the perp's, the cell's first figure
}
"""The number a row sorts by in each added column (NaN sorts last), for ``tui.model.rows.sort_value``."""
