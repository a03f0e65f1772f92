"""The scorecard as one self-contained HTML page: inline style, inline SVG plots, nothing fetched.

Every string that comes from the file or the command line (paths, symbols, problems) goes through
``html.escape``; the plots are matplotlib's SVG (``scorecard_plots``), which draws no text it was not given
and whose text is escaped by matplotlib itself. Verdicts are coloured and carry the word too, so the
page reads the same printed in black and white.
"""

from __future__ import annotations

from html import escape

from signals.formats import counted
from signals.significance import BEATS, NO_EDGE, WORSE
from tui.cli import scorecard_plots
from tui.cli.scorecard_charts import (
    Chart,
    calibrations,
    chart_horizons,
    chart_periods,
    chart_regimes,
)
from tui.cli.scorecard_data import Scorecard
from tui.cli.scorecard_rows import (
    COMBINED_HEADER,
    NO_EVENTS,
    combined_rows,
    context_text,
    data_rows,
    unscorable_rows,
    verdict_header,
    verdict_rows,
)

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;max-width:72rem;
margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
h3{font-size:1rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;white-space:nowrap}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f5f5f5;padding:0 .2rem;
overflow-wrap:anywhere}
.meta{color:#555}.claim{font-weight:600}
.v{font-weight:600;white-space:nowrap}.v-beats{color:#17703a}.v-worse{color:#b3261e}
.v-none{color:#6b6b6b}.v-noevents{color:#999}
figure{margin:1rem 0;page-break-inside:avoid;break-inside:avoid}figure svg{max-width:100%;height:auto}
figcaption{font-size:.9rem;color:#444}
@media print{body{margin:0;max-width:none;font-size:11px}h2{page-break-after:avoid}
.v-beats,.v-worse,.v-none{color:#000}a{color:#000}}
"""
VERDICT_CLASS = {BEATS: "v-beats", WORSE: "v-worse", NO_EDGE: "v-none", NO_EVENTS: "v-noevents"}
NUMERIC = frozenset({"events", "events apart", "baseline", "q", "test bars", "majority baseline", "Brier"})


def _verdict(word: str) -> str:
    return f'<span class="v {VERDICT_CLASS.get(word, "v-none")}">{escape(word)}</span>'


def _table(header: list[str], rows: list[list[str]], verdict_last: bool = False) -> list[str]:
    out = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, (h, cell) in enumerate(zip(header, row, strict=True)):
            if verdict_last and i == len(row) - 1:
                cells.append(f"<td>{_verdict(cell)}</td>")
            else:
                cls = ' class="num"' if h in NUMERIC else ""
                cells.append(f"<td{cls}>{escape(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return out


def _figure(svg: str, caption: str) -> list[str]:
    return ["<figure>", svg, f"<figcaption>{escape(caption)}</figcaption>", "</figure>"]


def _charts(charts: list[Chart], prefix: str, caption: str) -> list[str]:
    out: list[str] = []
    for i, chart in enumerate(charts):
        if not chart.points:
            out.append(f"<p>{escape(chart.title)}: no events to draw.</p>")
            continue
        out += _figure(scorecard_plots.rates(chart, f"perptop-{prefix}-{i}"), caption)
    return out


def render(card: Scorecard) -> str:
    """The whole page."""
    doc = card.doc
    title = f"perptop backtest scorecard: {doc['file']}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">perptop {escape(card.version)}</p>',
        f'<p class="meta">made {escape(card.made)}</p>',
        f'<p class="meta">command: <code>{escape(card.command)}</code></p>',
        "<h2>The data</h2>",
        "<table>",
        *(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in data_rows(card)),
        "</table>",
        "<h2>The method</h2>",
        *(f"<p>{escape(line)}</p>" for line in card.method()),
        "<h2>Verdicts</h2>",
    ]
    header = verdict_header(card)
    for h, spec in doc["horizons"].items():
        out.append(f"<h3>horizon {escape(h)} ({counted(spec['bars'], 'bar')} ahead)</h3>")
        rows = verdict_rows(card, h)
        out += (
            _table(header, rows, verdict_last=True) if rows else ["<p>no directional flag can be scored.</p>"]
        )
    out.append(f"<p>context flags (events only, no direction to score): {escape(context_text(card))}</p>")
    unscorable = unscorable_rows(card)
    if unscorable:
        out.append("<p>cannot be scored on this file:</p><ul>")
        out += [f"<li>{escape(n)}: {escape(why)}</li>" for n, why in unscorable]
        out.append("</ul>")
    out.append("<h2>Hit rate against baseline</h2>")
    out += _charts(
        chart_horizons(card),
        "h",
        "Dot: hit rate of the events at least one horizon apart, bar: its 95 % interval, red line: the "
        "baseline (the same bet on every bar), n: events apart.",
    )
    out.append(f"<h2>By regime, at {escape(card.first)}</h2>")
    out += _charts(
        chart_regimes(card),
        "r",
        "Each regime value: hit rate of the events apart in it (dot, 95 % interval) against the baseline of "
        "the same bet on that value's bars (red line).",
    )
    out.append(f"<h2>By quarter, at {escape(card.first)}</h2>")
    out += _charts(
        chart_periods(card),
        "p",
        "Each calendar quarter (UTC): hit rate of the events apart (dot, 95 % interval) against that "
        "quarter's baseline (red line).",
    )
    out += _combined(card)
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _combined(card: Scorecard) -> list[str]:
    combined = card.doc["combined"]
    out = [
        f"<h2>The combined claim ({combined['claimed_accuracy'] * 100:.1f} % prediction accuracy)</h2>",
        f"<p>{escape(combined['method'])}.</p>",
    ]
    for h, claim in card.claims.items():
        out.append(f'<p class="claim">horizon {escape(h)}: {escape(claim)}</p>')
    out += _table(COMBINED_HEADER, combined_rows(card))
    for i, cal in enumerate(calibrations(card)):
        out += _figure(
            scorecard_plots.reliability(cal, f"perptop-c-{i}"),
            f"Calibration at {cal.horizon}: mean predicted probability of a rise against the share that rose, "
            f"per bin of equal count; the dashed diagonal is a perfectly calibrated model. {cal.claim}",
        )
    return out
