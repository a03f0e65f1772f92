"""The scorecard as GitHub-flavoured Markdown: tables, and the plots as plotext text charts in code blocks.

Strings from the file or the command line are escaped for Markdown (a ``|`` would end a table cell, a
``<b>`` would be taken for HTML); inside code blocks nothing is interpreted, so the charts are left as
drawn, without colour codes.
"""

from __future__ import annotations

import re

from signals.formats import counted
from tui.cli.scorecard_charts import (
    Calibration,
    Chart,
    Point,
    calibrations,
    chart_horizons,
    chart_periods,
    chart_regimes,
)
from tui.cli.scorecard_data import Scorecard
from tui.cli.scorecard_rows import (
    COMBINED_HEADER,
    combined_rows,
    context_text,
    data_rows,
    unscorable_rows,
    verdict_header,
    verdict_rows,
)

WIDTH = 100
HEIGHT = 18
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
FENCE = "```"


def md(text: str) -> str:
    """``text`` with Markdown's active characters backslash-escaped; a line break becomes a space."""
    return _SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(md(h) for h in header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return out


def _block(text: str) -> list[str]:
    """A chart in a fenced code block (a fence inside it, impossible from plotext, is broken up)."""
    return [FENCE, text.rstrip("\n").replace(FENCE, "`` `"), FENCE]


def rates_chart(chart: Chart) -> str:
    """Hit rate (o) and its interval (|) against the baseline (x) per mark, as text; the marks are numbered
    on the axis and named in a key under the chart (their names are too long to sit side by side)."""
    import plotext as plt

    plt.clear_figure()
    plt.limitsize(False, False)  # not capped at the terminal's width: the file is read elsewhere
    plt.plotsize(min(WIDTH, 8 * len(chart.points) + 24), HEIGHT)
    plt.title("hit rate (o), 95% interval (|), baseline (x)")
    xs = list(range(1, len(chart.points) + 1))
    for x, p in zip(xs, chart.points, strict=True):
        if p.ci is not None:
            plt.plot([x, x], [p.ci[0] * 100, p.ci[1] * 100], marker="│")
    base = [(x, p.baseline * 100) for x, p in zip(xs, chart.points, strict=True) if p.baseline is not None]
    if base:
        plt.scatter([b[0] for b in base], [b[1] for b in base], marker="x")
    rate = [(x, p.rate * 100) for x, p in zip(xs, chart.points, strict=True) if p.rate is not None]
    if rate:
        plt.scatter([r[0] for r in rate], [r[1] for r in rate], marker="o")
    plt.xticks(xs, [str(x) for x in xs])
    plt.xlim(0.5, len(xs) + 0.5)
    plt.ylim(0, 100)
    plt.ylabel("%")
    text = str(plt.uncolorize(plt.build()))
    plt.clear_figure()
    key = [f"{x:>3}  {p.label:<24} {_rate(p)}" for x, p in zip(xs, chart.points, strict=True)]
    return text.rstrip("\n") + "\n\n" + "\n".join(key)


def _rate(p: Point) -> str:
    """``n 48: 45.8 % (32.6-59.7 %) vs 50.1 %``: a mark's figures, under the chart."""
    ci = "-" if p.ci is None else f"{p.ci[0] * 100:.1f}-{p.ci[1] * 100:.1f} %"
    rate = "-" if p.rate is None else f"{p.rate * 100:.1f} %"
    base = "-" if p.baseline is None else f"{p.baseline * 100:.1f} %"
    return f"n {p.n:>5,}: {rate} ({ci}) vs baseline {base}"


def reliability_chart(cal: Calibration) -> str:
    """Mean predicted against observed rises per bin (o), and the diagonal (.)."""
    import plotext as plt

    plt.clear_figure()
    plt.limitsize(False, False)
    plt.plotsize(64, 24)
    plt.title("observed (o) vs perfectly calibrated (.)")
    xs = [b[0] * 100 for b in cal.bins]
    ys = [b[1] * 100 for b in cal.bins]
    lo = max(0.0, min([*xs, *ys, 50.0]) - 5)
    hi = min(100.0, max([*xs, *ys, 50.0]) + 5)
    plt.plot([lo, hi], [lo, hi], marker=".")
    plt.scatter(xs, ys, marker="o")
    plt.xlim(lo, hi)
    plt.ylim(lo, hi)
    plt.xlabel("mean predicted P(up) %")
    plt.ylabel("observed up %")
    text = plt.uncolorize(plt.build())
    plt.clear_figure()
    return str(text)


def _charts(charts: list[Chart]) -> list[str]:
    out: list[str] = []
    for chart in charts:
        if not chart.points:
            out += [f"{md(chart.title)}: no events to draw.", ""]
            continue
        out += [f"{md(chart.title)}:", "", *_block(rates_chart(chart)), ""]
    return out


def render(card: Scorecard) -> str:
    """The whole document."""
    doc = card.doc
    out = [
        f"# perptop backtest scorecard: {md(str(doc['file']))}",
        "",
        f"perptop {md(card.version)}",
        "",
        f"made {card.made}",
        "",
        "command: `` " + card.command.replace("`", "'") + " ``",
        "",
        "## The data",
        "",
        *_table(["", ""], [[k, v] for k, v in data_rows(card)]),
        "",
        "## The method",
        "",
    ]
    for line in card.method():
        out += [md(line), ""]
    out += ["## Verdicts", ""]
    header = verdict_header(card)
    for h, spec in doc["horizons"].items():
        out += [f"### horizon {md(h)} ({counted(spec['bars'], 'bar')} ahead)", ""]
        rows = verdict_rows(card, h)
        out += [*(_table(header, rows) if rows else ["no directional flag can be scored."]), ""]
    out += [f"context flags (events only, no direction to score): {md(context_text(card))}", ""]
    unscorable = unscorable_rows(card)
    if unscorable:
        out += ["cannot be scored on this file:", ""]
        out += [f"- {md(n)}: {md(why)}" for n, why in unscorable]
        out.append("")
    out += [
        "## Hit rate against baseline",
        "",
        (
            "o: hit rate of the events at least one horizon apart; |: its 95 % interval; x: the baseline "
            "(the same bet on every bar); n: events apart."
        ),
        "",
        *_charts(chart_horizons(card)),
        f"## By regime, at {md(card.first)}",
        "",
        *_charts(chart_regimes(card)),
        f"## By quarter, at {md(card.first)}",
        "",
        *_charts(chart_periods(card)),
    ]
    combined = doc["combined"]
    out += [
        f"## The combined claim ({combined['claimed_accuracy'] * 100:.1f} % prediction accuracy)",
        "",
        md(combined["method"]) + ".",
        "",
    ]
    for h, claim in card.claims.items():
        out += [f"**horizon {md(h)}: {md(claim)}**", ""]
    out += [*_table(COMBINED_HEADER, combined_rows(card)), ""]
    for cal in calibrations(card):
        out += [f"combined model calibration, horizon {md(cal.horizon)}:", ""]
        out += [*_block(reliability_chart(cal)), "", md(cal.claim), ""]
    return "\n".join(out).rstrip("\n") + "\n"
