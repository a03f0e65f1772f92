"""The HTML scorecard's plots: matplotlib figures as inline SVG text (``perptop[report]``, imported lazily).

Each function draws one figure and returns its ``<svg>`` element, ready to paste into the HTML: no XML
prologue, no ``<metadata>`` (it names matplotlib's web site, and a shared file should reference nothing),
text as ``<text>`` rather than glyph paths (a quarter of the size, and searchable). The same input gives
the same bytes: the SVG ids come from ``svg.hashsalt`` (one salt per figure, so ids never clash between
the figures of one page) and the file carries no date.
"""

from __future__ import annotations

import io
import re
from typing import Any

from tui.cli.scorecard_charts import Calibration, Chart

WIDTH_IN = 8.0
HEIGHT_IN = 3.4
HIT = "#1f6fb4"
BASE = "#c0392b"


def _pyplot(salt: str) -> Any:
    """pyplot on the Agg backend with the settings that make the SVG small and repeatable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.hashsalt": salt,
            "svg.fonttype": "none",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _svg(fig: Any, salt: str) -> str:
    """The figure as an ``<svg>`` element (closed after).

    matplotlib names its groups ``figure_1``, ``axes_1``, ... in every figure; those names (referred to
    by nothing: references use the salted hash ids) get the figure's salt in front, so the ids of one page
    stay unique."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S).strip()
    return re.sub(r' id="([\w.]+_\d+)"', rf' id="{salt}-\1"', text)


def rates(chart: Chart, salt: str) -> str:
    """Hit rate (dot) with its 95 % interval (bar) and n, against the baseline (red tick), per mark."""
    plt = _pyplot(salt)
    width = max(WIDTH_IN, 0.55 * len(chart.points) + 1.5)
    fig, ax = plt.subplots(figsize=(min(width, 14.0), HEIGHT_IN))
    xs = list(range(len(chart.points)))
    for x, p in zip(xs, chart.points, strict=True):
        if p.ci is not None:
            ax.plot([x, x], [p.ci[0] * 100, p.ci[1] * 100], color=HIT, linewidth=2.2, alpha=0.55)
        if p.baseline is not None:
            ax.plot([x - 0.3, x + 0.3], [p.baseline * 100] * 2, color=BASE, linewidth=2)
        if p.rate is not None:
            ax.annotate(
                f"n={p.n}",
                (x, p.rate * 100),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
    ax.scatter(
        xs, [_pct(p.rate) for p in chart.points], color=HIT, zorder=3, s=22, label="hit rate (95% interval)"
    )
    ax.plot([], [], color=BASE, linewidth=2, label="baseline")
    tilt = len(xs) > 6  # more labels than fit side by side: turned 30 degrees
    labels = [p.label for p in chart.points]
    ax.set_xticks(xs, labels, rotation=30 if tilt else 0, ha="right" if tilt else "center")
    # Fixed margins, not bbox_inches="tight": that draws each figure twice (half the report's time). A
    # turned label of k characters (about 0.075 in each at 9 pt) drops k * 0.075 * sin(30 deg) below the axis.
    drop = 0.3 + (0.0375 * max(map(len, labels), default=0) if tilt else 0.15)
    fig.subplots_adjust(
        left=0.75 / fig.get_figwidth(), right=0.99, top=0.9, bottom=min(0.55, drop / HEIGHT_IN)
    )
    ax.set_xlim(-0.7, max(len(xs), 1) - 0.3)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of events that hit")
    ax.set_title(chart.title, fontsize=10, loc="left")
    ax.legend(loc="upper right", fontsize=7, frameon=False, ncols=2)
    ax.grid(axis="y", alpha=0.3)
    return _svg(fig, salt)


def reliability(cal: Calibration, salt: str) -> str:
    """Mean predicted probability of "up" against the share observed up, per bin, with the diagonal."""
    plt = _pyplot(salt)
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    ax.plot([0, 100], [0, 100], color="#888888", linestyle="--", linewidth=1, label="perfectly calibrated")
    xs = [b[0] * 100 for b in cal.bins]
    ys = [b[1] * 100 for b in cal.bins]
    ax.plot(xs, ys, color=HIT, marker="o", markersize=4, linewidth=1.2, label="model (bins of equal count)")
    lo = min([*xs, *ys, 50.0]) - 5
    hi = max([*xs, *ys, 50.0]) + 5
    ax.set_xlim(max(0.0, lo), min(100.0, hi))
    ax.set_ylim(max(0.0, lo), min(100.0, hi))
    ax.set_aspect("equal")
    fig.subplots_adjust(left=0.15, right=0.97, top=0.92, bottom=0.12)
    ax.set_xlabel("mean predicted P(up), %")
    ax.set_ylabel("observed up, %")
    ax.set_title(f"combined model calibration, horizon {cal.horizon}", fontsize=10, loc="left")
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.grid(alpha=0.3)
    return _svg(fig, salt)


def _pct(x: float | None) -> float:
    """A rate in % for a scatter (NaN draws nothing)."""
    return float("nan") if x is None else x * 100
