"""The rows the bar store works out from the venues' own: each venue's earliest open interest (its
anchor) and the cross-venue series (``ALL``) of every symbol, over the rows of both tiers.

``CrossVenueRows`` sits between the panel's reads (``tui.model.bar_panel``) and the writes of
``tui.model.bars.BarStore``, which calls these after every write.
"""

from __future__ import annotations

import numpy as np

from signals.columns import Col
from tui.model.aggregate import cross_venue, mean_present
from tui.model.bar_panel import BarPanel

_CHUNK = 128  # rows per pass over the panel where a whole-panel temporary would double it


class CrossVenueRows(BarPanel):
    """``BarPanel`` with the derived rows: the open-interest anchors and the ``ALL`` slot.

    Attributes:
        oi_anchor: float array (n_symbols, n_venues + 1): each venue's earliest known open interest.
        versions: int array (n_symbols, n_venues + 1), bumped whenever a series changes.
        change_24h: float array (n_symbols, n_venues + 1): each venue's 24 h change, ALL's their mean.
    """

    oi_anchor: np.ndarray
    versions: np.ndarray
    change_24h: np.ndarray

    def _anchor_oi(self, sym_idx: np.ndarray, v_idx: np.ndarray) -> None:
        """The earliest open interest the panel holds becomes each of these series' anchor (see
        _aggregate); a series with none keeps the anchor it had."""
        at = (sym_idx[:, None], v_idx[None, :])
        oi = self._gather(0, self.capacity, at[0], at[1], Col.OI)  # (rows, symbols, venues)
        known = ~np.isnan(oi)
        first = np.take_along_axis(oi, known.argmax(axis=0)[None], axis=0)[0]
        self.oi_anchor[at] = np.where(known.any(axis=0), first, self.oi_anchor[at])

    def _aggregate_all(self, sym_idx: np.ndarray) -> None:
        """Recompute the ALL slot of ``sym_idx`` over every row.

        In row chunks: one pass over the whole panel would copy it several times over (measured
        +100 MB of RSS for 50 symbols that the allocator never gave back).
        """
        c0 = self.n_cold
        for a, b in ((0, c0), (c0, self.capacity)):  # chunks within one tier (see _aggregate)
            for start in range(a, b, _CHUNK):
                self._aggregate(sym_idx, slice(start, min(start + _CHUNK, b)))

    def _aggregate(self, sym_idx: np.ndarray | slice, rows: slice) -> None:
        """Recompute the ALL slot of ``sym_idx`` over ``rows`` from the venue slots."""
        nv = len(self.venues)
        if isinstance(sym_idx, np.ndarray) and np.array_equal(sym_idx, np.arange(len(self.symbols))):
            sym_idx = slice(None)  # every symbol (each simulator tick): views, not fancy-index copies
        if rows.start < self.n_cold:  # cold rows (never both tiers: every caller's rows are in one)
            out = self._gather(rows.start, rows.stop, sym_idx)  # a float64 copy of these symbols only
            agg = out[:, :, nv]
            cross_venue(out[:, :, :nv, :], self.oi_anchor[sym_idx, :nv], agg)
            self.cold[rows, sym_idx, nv] = agg
        else:
            out = self.data[rows.start - self.n_cold : rows.stop - self.n_cold]
            agg = out[:, sym_idx, nv]  # a copy when sym_idx is an index array: written back below
            cross_venue(out[:, sym_idx, :nv, :], self.oi_anchor[sym_idx, :nv], agg)
            out[:, sym_idx, nv] = agg  # ``out`` is a view of ``self.data``
        self.versions[sym_idx, nv] += 1
        self.change_24h[sym_idx, nv] = mean_present(self.change_24h[sym_idx, :nv])
