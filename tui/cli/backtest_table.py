"""The text of ``perptop backtest``: the table (``write_table``) and the terminal plot (``plot``).

Split from ``tui.cli.backtest_report`` (which still exports both): the table says in words whether each flag
beats its baseline, with the non-overlapping row under each flag and, with ``--bootstrap N``, the
moving-block bootstrap row under that (``signals.bootstrap``); without ``--bootstrap`` the table is the one
it always was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from signals.bootstrap import BootInterval
from signals.flags import CODE, FLAG_NAMES
from signals.formats import counted
from signals.params import n_bars
from signals.scoring import DIRECTIONAL, Counts, HorizonScore
from signals.significance import BEATS, NO_EDGE, Q_MAX, WORSE, Significance
from signals.times import HOUR_MS, utc_text
from tui.cli.backtest_json import why
from tui.cli.backtest_regimes import write_regimes
from tui.config.values import format_duration

if TYPE_CHECKING:  # the class is only needed for annotations
    from tui.cli.backtest_result import BacktestResult

VERDICT_WORDS = {
    # The verdict of signals.significance: dependence-aware interval and q-value; short enough for 120 columns.
    BEATS: "beats its baseline beyond its interval",
    WORSE: "below its baseline beyond its interval",
    NO_EDGE: NO_EDGE,
}
NO_EVENT_AT_ALL = "no events"


def _pct(x: float | None, signed: bool = False) -> str:
    return "-" if x is None else f"{x * 100:+.2f}%" if signed else f"{x * 100:.1f}%"


def _ci(c: Counts) -> str:
    ci = c.ci95
    return "-" if ci is None else f"{ci[0] * 100:.1f}-{ci[1] * 100:.1f}%"


# 80 columns of figures, then the verdict (at most 38 characters): a row fits in 120 columns.
_ROW = "{:<21}{:>7}{:>6}{:>6}{:>9}{:>13}{:>9}{:>9}  {}"
INDEPENDENT = "  non-overlapping"


def _row(label: str, events: str, c: Counts, base: str, verdict: str) -> str:
    return _ROW.format(
        label, events, c.n, c.hits, _pct(c.hit_rate), _ci(c), base, _pct(c.mean_return, True), verdict
    ).rstrip()


def _q(q: float | None) -> str:
    return "-" if q is None else "<0.001" if q < 0.001 else f"{q:.3f}"


def _significance_words(sig: Significance | None) -> str:
    """The tail of the non-overlapping row: the q-value and the excess return over all bars."""
    if sig is None or sig.n_independent == 0:
        return ""
    # round to an int first: -0.3 bp reads "+0 bp", not "-0 bp"
    ex = "-" if sig.excess_return_bp is None else f"{round(sig.excess_return_bp) + 0:+d} bp"
    return f"q {_q(sig.q_value)}, excess {ex}"


BOOTSTRAP = "  block bootstrap"


def _bootstrap_words(b: BootInterval) -> str:
    """The tail of the bootstrap row: the excess return's interval, and the resamples that drew no event."""
    none = f"{b.no_event}/{b.resamples} empty" if b.no_event else ""
    if b.hit_ci is None:
        return f"no interval: {none}"
    ex = (
        ""
        if b.excess_ci is None
        else f"excess {round(b.excess_ci[0]) + 0:+d} to {round(b.excess_ci[1]) + 0:+d} bp"
    )
    return ", ".join(w for w in (ex, none) if w)


def _bootstrap_row(hs: HorizonScore) -> str:
    """``  block bootstrap`` with the bootstrap 95 % interval of the hit rate in the interval column."""
    b = hs.boot_interval()
    assert b is not None
    ci = "-" if b.hit_ci is None else f"{b.hit_ci[0] * 100:.1f}-{b.hit_ci[1] * 100:.1f}%"
    return _ROW.format(BOOTSTRAP, "", "", "", "", ci, "", "", _bootstrap_words(b)).rstrip()


def _iso(ms: float) -> str:
    return utc_text(ms, suffix="")


def write_table(result: BacktestResult, out: TextIO) -> None:
    """The table: per horizon a row per directional flag with its verdict in words, then context and
    unscorable flags, then (for several symbols) each symbol's events."""
    history = result.history
    step = format_duration(result.step_ms / HOUR_MS)
    out.write(
        f"{history.path}: {counted(result.rows, 'bar')} of {step}, {_iso(history.first_ms)} to "
        f"{_iso(history.last_ms)} UTC, {len(history.symbols)} series"
        + (f", {counted(result.missing_bars, 'missing bar')} left empty" if result.missing_bars else "")
        + "\n"
    )
    out.write(
        "A hit is a forward move in the flag's direction; the baseline is that same bet on every bar.\n"
        "The verdict uses the non-overlapping events (the row below each flag: an event within one horizon of "
        "the\nlast one counted is not counted again) and the Benjamini-Hochberg q-value over all "
        f"{counted(result.tests, 'test')} of this run;\n'beats' needs q <= {Q_MAX:g}. "
        "Excess: mean signed forward return at those events minus that of all bars.\n"
    )
    if result.bootstrap:
        out.write(
            f"Block bootstrap rows: moving-block bootstrap, {result.bootstrap} resamples, blocks of one horizon, "
            f"seed {result.seed};\nthe percentile 95% interval of the hit rate over every event, and of the "
            "excess return; resamples\nthat drew no event ('empty') are left out.\n"
        )
    pooled = result.pooled
    split = pooled.flags["leverage_driven"].scorable
    for h, hours in result.horizons.items():
        out.write(f"\nhorizon {h} ({counted(n_bars(hours, result.step_ms), 'bar')})\n")
        out.write(
            _ROW.format(
                "flag", "events", "n", "hits", "hit rate", "95% interval", "baseline", "mean fwd", "verdict"
            )
            + "\n"
        )
        for name in DIRECTIONAL:
            f = pooled.flags[name]
            if not f.scorable:
                continue
            hs = f.horizons[h]
            sig = result.significance.get(id(hs))
            verdict = NO_EDGE if sig is None else sig.verdict
            words = NO_EVENT_AT_ALL if not f.events else VERDICT_WORDS[verdict]
            out.write(_row(name, f"{f.events:,}", hs.events, _pct(hs.baseline), words) + "\n")
            if hs.events.n:
                out.write(_row(INDEPENDENT, "", hs.independent, "", _significance_words(sig)) + "\n")
            if hs.events.n and hs.boot_interval() is not None:
                out.write(_bootstrap_row(hs) + "\n")
            if split and hs.events.n:
                out.write(_row("  leverage_driven on", "", hs.leverage_on, "", "") + "\n")
                out.write(_row("  leverage_driven off", "", hs.leverage_off, "", "") + "\n")
    context = [f for n, f in pooled.flags.items() if n not in DIRECTIONAL and f.scorable]
    if context:
        out.write(
            "\ncontext flags (events only, no direction to score): "
            + ", ".join(f"{f.name} {f.events:,}" for f in context)
            + "\n"
        )
    if not split:
        out.write("split by leverage_driven: not available (leverage_driven cannot be scored)\n")
    cannot = [f for f in pooled.flags.values() if not f.scorable]
    if cannot:
        out.write("\ncannot be scored on this file:\n")
        for f in cannot:
            out.write(f"  {f.name}: {why(f)}\n")
    write_regimes(result.pooled, result.splits, result.split_significance, next(iter(result.horizons)), out)
    if len(result.per_series) > 1:
        first = next(iter(result.horizons))
        out.write(f"\nper symbol: events, hit rate at {first} (codes as in the watchlist)\n")
        for key, s in result.per_series.items():
            cells = []
            for name in FLAG_NAMES:
                f = s.flags[name]
                if f.scorable and f.events:
                    rate = f.horizons[first].events.hit_rate if f.horizons else None
                    cells.append(f"{CODE[name]} {f.events}" + (f" {_pct(rate)}" if rate is not None else ""))
            bars = "bar " if s.bars == 1 else "bars"  # padded: the cells after it stay in their column
            out.write(f"  {key:<12} {s.bars:>8,} {bars}  {'  '.join(cells) or 'no events'}\n")


def plot(result: BacktestResult, color: bool = False, width: int = 100, height: int = 16) -> str:
    """Each directional flag's hit rate (o) against its baseline (x), its 95 % interval as a bar, per horizon.

    Args:
        result: the scored file (its pooled scores are drawn).
        color: keep plotext's colours (for a terminal); False strips them.
        width: characters per chart.
        height: lines per chart.
    """
    import plotext as plt

    charts = []
    for h in result.horizons:
        shown = [
            f for f in (result.pooled.flags[n] for n in DIRECTIONAL) if f.scorable and f.horizons[h].events.n
        ]
        if not shown:
            charts.append(f"horizon {h}: no flag has an event with a full horizon, nothing to plot\n")
            continue
        plt.clear_figure()
        plt.plotsize(width, height)
        plt.title(f"hit rate (o) vs baseline (x), 95% interval, horizon {h}")
        xs = list(range(1, len(shown) + 1))
        for x, f in zip(xs, shown, strict=True):
            lo, hi = f.horizons[h].events.ci95 or (0.0, 0.0)
            plt.plot([x, x], [lo * 100, hi * 100], marker="│", color="blue")
        plt.scatter(
            xs,
            [(f.horizons[h].baseline or 0) * 100 for f in shown],
            marker="x",
            color="red",
            label="baseline",
        )
        plt.scatter(
            xs,
            [(f.horizons[h].events.hit_rate or 0) * 100 for f in shown],
            marker="o",
            color="green",
            label="hit rate",
        )
        plt.xticks(xs, [f"{CODE[f.name]} n={f.horizons[h].events.n}" for f in shown])
        plt.xlim(0.5, len(shown) + 0.5)
        plt.ylim(0, 100)
        plt.ylabel("%")
        text = plt.build()
        charts.append((text if color else plt.uncolorize(text)) + "\n")
    plt.clear_figure()
    return "".join(charts)
