"""The watchlist's column keys, and which of them give way first on a narrow terminal.

Kept here, below the widgets, so the config file's ``columns = [...]`` is checked against the same names
the watchlist draws (``tui.widgets.columns`` gives each key its title and width).
"""

from __future__ import annotations

COLUMN_KEYS: tuple[str, ...] = (
    "symbol",
    "venue",
    "price",
    "change_24h",
    "spark",
    "oi_usd",
    "oi_change",
    "oi_spark",
    "funding_8h",
    "funding_apr",
    "next_funding",
    "premium",
    "basis",
    "ls_ratio",
    "top_ls",
    "liq",
    "flow",
    "sfr",
    "flags",
)
"""Every column, in display order (the order ``tui.model.rows.row_cells`` fills them)."""

ALWAYS_SHOWN: tuple[str, ...] = ("symbol", "price", "change_24h", "oi_change", "funding_8h", "flags")
"""Columns kept at every width from 80 columns up, unless the user chose otherwise."""

ROOM_FOR_FLAGS: tuple[str, ...] = ("basis", "flow", "top_ls", "premium")
"""The front of ``GIVE_WAY``: SIGNALS.md's added figures (the basis, which the premium mostly repeats; taker
flow; top traders' L/S; the premium). They also give way to the flags column: each shows only where the
flags keep their full width beside it, so at every width the columns that showed before they existed show
as they did, flags included: a row's flags are never cut short to make room for these figures."""

GIVE_WAY: tuple[str, ...] = (
    *ROOM_FOR_FLAGS,
    "venue",
    "funding_apr",
    "next_funding",
    "oi_spark",
    "spark",
    "sfr",
    "ls_ratio",
    "liq",
    "oi_usd",
)
"""The other columns, first to go first when the terminal is too narrow for them all. SIGNALS.md's added
figures go first (``ROOM_FOR_FLAGS``), so that every width that showed a column before they existed still
shows it; then the venue (a venue row names its venue in the symbol column too), funding as APR (the 8 h
figure in other units), the countdown to the next settlement, the OI and price sparklines, S/F, L/S,
liquidations, OI in USD. The two funding columns go before the sparklines so that every width that showed
the sparklines before they existed still does."""
