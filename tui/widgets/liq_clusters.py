"""The drill-down's liquidation clusters: observed liquidation USD by price level over the window.

Provides ``LiqClusters``, a horizontal histogram along a price axis (highest price at the top): one row
per price bin, its level, then the long positions liquidated there as a bar growing left from the middle
line and the short positions as a bar growing right, each with its amount. The bin holding the current
price is marked ``▶``. Bins follow the widget's height (``tui.model.liq_tape.price_bins``), so a taller
panel shows finer levels. Built from observed events only (the tape's), said in its caption; no
modelled liquidation levels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import RenderResult
from textual.content import Content
from textual.widget import Widget

from feeds.records import Liquidation
from signals.formats import fmt_price, fmt_usd
from signals.times import utc_text
from tui.model.liq_tape import LiqTape, PriceBins, price_bins

CAPTION = "observed liquidations only (no model)"
EMPTY = "no observed liquidations in this window"
LONG_STYLE, SHORT_STYLE = "$flag-bear", "$flag-bull"  # a long is liquidated by a fall, a short by a rise
HEAD_LINES = 2  # the caption and the legend


@dataclass(frozen=True)
class ClusterData:
    """What the panel shows.

    Attributes:
        events: the symbol's events in the window.
        current_price: the latest price (nan: none).
        window: the window's label (``24h``).
        note: replaces the empty text where no events can exist (a replay), or says from when the
            events held start when older ones of the window were dropped.
    """

    events: Sequence[Liquidation]
    current_price: float
    window: str
    note: str = ""


def clusters_of(
    tape: LiqTape, symbol: str, start_ms: int, end_ms: int, price: float, window: str
) -> ClusterData:
    """What the panel shows of ``symbol`` over ``[start_ms, end_ms)`` from the tape's events."""
    since = tape.held_since(symbol)
    note = tape.unavailable
    if since is not None and since > start_ms:  # older events of the window were dropped
        note = f"events held since {utc_text(since, suffix='')} UTC"
    return ClusterData(tape.window(symbol, start_ms, end_ms), price, window, note)


def level_text(edge: float, step: float) -> str:
    """A bin's lower edge with the decimals its step needs: 97250 (step 250), 2.25 (step 0.25)."""
    decimals = max(0, math.ceil(-math.log10(step) - 1e-9))
    if abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:  # 2.5 x 10^k needs one more
        decimals += 1
    return f"{edge:,.{decimals}f}"


class LiqClusters(Widget):
    """Liquidated longs (left) and shorts (right) by price level, the current price marked."""

    DEFAULT_CSS = """
    LiqClusters {
        height: 16;
        border: round $muted;
        border-title-color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "liquidations by price"
        self._data: ClusterData | None = None

    def show(self, data: ClusterData | None) -> None:
        """Display ``data`` (None: no bars yet) and repaint."""
        self._data = data
        self.refresh()

    def render(self) -> RenderResult:
        """The caption, the legend and one row per price bin, fitted to the current size."""
        d = self._data
        if d is None:
            return Content.styled("no bars for this symbol yet", "$text-muted")
        now = f" · ▶ now {fmt_price(d.current_price)}" if d.current_price == d.current_price else ""
        head = Content.assemble((CAPTION, "$text-muted"), (f" · {d.window}{now}", "$text-muted"))
        bins = price_bins(d.events, max(1, self.size.height - HEAD_LINES), d.current_price)
        if bins is None:
            return Content("\n").join([head, Content.styled(d.note or EMPTY, "$text-muted")])
        legend = Content.assemble(
            (f"longs {fmt_usd(float(bins.longs.sum()))} ◀", LONG_STYLE),
            (f" {bins.events:,} events ", "$text-muted"),
            (f"▶ shorts {fmt_usd(float(bins.shorts.sum()))}", SHORT_STYLE),
            (f"  {d.note}" if d.note else "", "$stale"),
        )
        return Content("\n").join([head, legend, *self._rows(bins, self.size.width)])

    @staticmethod
    def _rows(bins: PriceBins, width: int) -> list[Content]:
        labels = [level_text(float(e), bins.step) for e in bins.edges]
        label_w = max(len(s) for s in labels) + 2  # the marker and a space
        half = max(4, (width - label_w - 1) // 2)
        top = float(max(bins.longs.max(), bins.shorts.max())) or 1.0
        rows: list[Content] = []
        for i in reversed(range(len(labels))):  # the highest price at the top, as on a price axis
            now = i == bins.current
            label = ("▶ " if now else "  ") + labels[i].rjust(label_w - 2)
            rows.append(
                Content.assemble(
                    (label, "bold $foreground" if now else "$text-muted"),
                    _bar(float(bins.longs[i]), top, half, LONG_STYLE, left=True),
                    ("│", "$text-muted"),
                    _bar(float(bins.shorts[i]), top, half, SHORT_STYLE, left=False),
                )
            )
        return rows


def _bar(usd: float, top: float, width: int, style: str, *, left: bool) -> Content:
    """One side's bar in ``width`` cells: its amount beside a bar scaled to ``top`` (a crumb still shows)."""
    if usd <= 0:
        return Content(" " * width)
    amount = fmt_usd(usd)
    room = max(1, width - len(amount) - 1)
    cells = max(1, round(usd / top * room))
    bar = "█" * cells
    if left:
        return Content.assemble(
            " " * (width - cells - len(amount) - 1), (f"{amount} ", "$text-muted"), (bar, style)
        )
    return Content.assemble(
        (bar, style), (f" {amount}", "$text-muted"), " " * (width - cells - len(amount) - 1)
    )


__all__ = ["CAPTION", "EMPTY", "ClusterData", "LiqClusters", "clusters_of", "level_text"]
