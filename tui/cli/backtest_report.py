"""The report of ``perptop backtest``: read a history CSV, score every flag, pool, print.

``run_backtest`` reads the file with ``feeds.history.csvfile``, scores each series with ``signals.scoring``,
pools them and prints. Output is a table that says in words whether
each flag beats its baseline beyond its 95 % interval, or ``--json`` in the shape of SIGNALS.md (plus
per-symbol results, ``unscorable`` with reasons and the file's ``problems``), or ``--plot``: hit rate
against baseline with the interval, drawn in the terminal with plotext. Exit status 0, or 2 with one line
on stderr for a bad file or argument.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from feeds.history.csvfile import (
    HistoryCsvError,
    HistoryFile,
    SymbolsNotInFile,
    read_history_csv,
    symbol_listing,
)
from signals.flags import CODE, FLAG_NAMES
from signals.formats import counted
from signals.params import n_bars
from signals.regimes import DEFINITIONS, RegimeScores, pool_splits, score_series_split
from signals.scoring import DIRECTIONAL, Counts, SeriesScore, fill_gaps, pool
from signals.significance import BEATS, NO_EDGE, Q_MAX, WORSE, Significance
from signals.times import HOUR_MS, utc_text
from tui.cli.backtest_json import flags_json, regime_significance, significance_of, tests_of, unscorable, why
from tui.cli.backtest_regimes import write_regimes
from tui.config.loader import AppConfig
from tui.config.values import BadValue, format_duration, parse_duration

EXIT_OK = 0
EXIT_USAGE = 2
PROG = "perptop backtest"
MAX_PROBLEMS_SHOWN = 10

VERDICT_WORDS = {
    # The verdict of signals.significance: dependence-aware interval and q-value; short enough for 120 columns.
    BEATS: "beats its baseline beyond its interval",
    WORSE: "below its baseline beyond its interval",
    NO_EDGE: NO_EDGE,
}
NO_EVENT_AT_ALL = "no events"


class UsageError(ValueError):
    """A bad argument; the message is the one line printed."""


def parse_horizons(text: str) -> dict[str, float]:
    """``"4h,24h"`` -> ``{"4h": 4.0, "24h": 24.0}`` (labels as written, a repeated duration dropped).

    Raises:
        UsageError: for an empty list or a malformed or non-positive duration.
    """
    out: dict[str, float] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            hours = parse_duration(item)
        except BadValue as exc:
            raise UsageError(f"--horizons: {exc}") from None
        if hours <= 0:
            raise UsageError(f"--horizons: a horizon must be longer than zero, got {item!r}")
        if hours not in out.values():
            out[item.lower()] = hours
    if not out:
        raise UsageError("--horizons: no horizon given")
    return out


def _fail(err: TextIO, message: str) -> int:
    err.write(f"{PROG}: error: {message}\n")
    return EXIT_USAGE


def run_backtest(
    config: AppConfig, args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``perptop backtest`` and return the exit status.

    Args:
        config: the resolved config (its ``signals`` thresholds are the ones scored).
        args: ``file``, ``horizons``, ``symbols``, ``json``, ``plot`` as ``add_parser`` defines them.
        out: where results go (default stdout).
        err: where progress, file problems and errors go (default stderr).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    quiet = bool(getattr(args, "json", False))
    try:
        horizons = parse_horizons(getattr(args, "horizons", None) or "4h,24h")
        if quiet and getattr(args, "plot", False):
            raise UsageError("--plot and --json cannot be combined")
        wanted = _symbols(getattr(args, "symbols", None))
    except UsageError as exc:
        return _fail(err, str(exc))
    progress = Progress(err, enabled=not quiet)
    started = time.perf_counter()
    try:
        history = read_history_csv(args.file, symbols=wanted)
    except SymbolsNotInFile as exc:
        return _fail(err, _not_in_file(exc.missing, args.file, exc.present))
    except HistoryCsvError as exc:
        return _fail(err, str(exc))
    if wanted is not None and "" in history.series:
        return _fail(err, f"--symbols: {args.file} has no symbol column (it holds one series)")
    if history.missing:  # some of the symbols are there: score those, and say which were not
        err.write(f"{PROG}: warning: {_not_in_file(history.missing, args.file, history.in_file)}\n")
    rows = sum(len(b) for b in history.series.values())
    progress.note(f"read {args.file}: {counted(rows, 'row')} in {time.perf_counter() - started:.1f} s")
    result = score_file(history, config, horizons, progress)
    progress.done(
        f"scored {counted(result.rows, 'bar')} of {len(history.series)} series in "
        f"{time.perf_counter() - started:.1f} s"
    )
    if quiet:
        json.dump(result.as_json(), out, indent=1)
        out.write("\n")
        return EXIT_OK
    _print_problems(history.problems, err)
    write_table(result, out)
    if getattr(args, "plot", False):
        out.write(plot(result, color=_colour_wanted(out)))
    return EXIT_OK


def _not_in_file(missing: list[str], file: object, present: list[str]) -> str:
    """``--symbols: NOPE is not in FILE (it has BTC, ETH)``: the symbols asked for that the file lacks."""
    verb = "is" if len(missing) == 1 else "are"
    return f"--symbols: {', '.join(missing)} {verb} not in {file} (it has {symbol_listing(present)})"


def _symbols(text: str | None) -> set[str] | None:
    if text is None:
        return None
    names = {s.strip() for s in text.split(",") if s.strip()}
    if not names:
        raise UsageError("--symbols: no symbol given")
    return names


def _colour_wanted(out: TextIO) -> bool:
    return bool(getattr(out, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


class Progress:
    """Progress lines on stderr: rewritten in place on a terminal, at most about ten lines otherwise."""

    def __init__(self, err: TextIO, enabled: bool) -> None:
        self.err = err
        self.enabled = enabled
        self.tty = bool(getattr(err, "isatty", lambda: False)())
        self._shown = -1

    def note(self, text: str) -> None:
        """One line of what is being done."""
        if self.enabled:
            self.err.write(f"\r{text}\x1b[K" if self.tty else f"{text}\n")
            self.err.flush()

    def step(self, i: int, n: int, label: str) -> None:
        """Series ``i`` of ``n`` is being scored."""
        tenth = 10 * i // max(n, 1)
        if self.enabled and n > 1 and (self.tty or tenth != self._shown):
            self._shown = tenth
            self.note(f"scoring {label} ({i + 1}/{n})")

    def done(self, text: str) -> None:
        """The last line; ends the line rewritten in place."""
        self.note(text)
        if self.enabled and self.tty:
            self.err.write("\n")


@dataclass
class BacktestResult:
    """A scored file: per-series scores, their pool, and what the file held."""

    history: HistoryFile
    horizons: dict[str, float]
    per_series: dict[str, SeriesScore]
    pooled: SeriesScore
    rows: int
    missing_bars: int
    significance: dict[int, Significance]
    splits: RegimeScores = field(default_factory=RegimeScores)
    split_significance: dict[int, Significance] = field(default_factory=dict)

    @property
    def tests(self) -> int:
        """How many flag x horizon x series tests the q-values were corrected over."""
        return tests_of(self.significance)

    @property
    def step_ms(self) -> float:
        """The file's bar step."""
        return self.history.step_ms

    def as_json(self) -> dict[str, Any]:
        """The SIGNALS.md ``--json`` shape, plus per-symbol results, ``unscorable`` and ``problems``."""
        doc: dict[str, Any] = {
            "bars": self.rows,
            "step_s": self.step_ms / 1000,
            "flags": flags_json(self.pooled, self.significance, self.splits, self.split_significance),
            "unscorable": unscorable(self.pooled),
            "tests": self.tests,
            "regime_tests": tests_of(self.split_significance),
            "regime_definitions": {r: DEFINITIONS[r] for r in self.splits.regimes},
            "file": str(self.history.path),
            "columns": list(self.history.columns),
            "horizons": {h: {"hours": v, "bars": n_bars(v, self.step_ms)} for h, v in self.horizons.items()},
            "missing_bars": self.missing_bars,
            "problems": self.history.problems,
        }
        if any(self.per_series):
            doc["symbols"] = {
                k: {"bars": s.bars, "flags": flags_json(s, self.significance), "unscorable": unscorable(s)}
                for k, s in self.per_series.items()
            }
        return doc


def score_file(
    history: HistoryFile, config: AppConfig, horizons: dict[str, float], progress: Progress | None = None
) -> BacktestResult:
    """Score every series of a history file with ``config.signals`` and pool them."""
    scores: dict[str, SeriesScore] = {}
    splits: list[RegimeScores] = []
    rows = missing = 0
    for i, (key, bars) in enumerate(history.series.items()):
        if progress is not None:
            progress.step(i, len(history.series), key or str(history.path.name))
        rows += len(bars)
        # Windows count bars, so a hole in the file is put back as empty bars rather than closed up.
        grid, added = fill_gaps(bars, history.step_ms)
        missing += added
        scores[key], split = score_series_split(grid, config.signals, history.step_ms, horizons)
        splits.append(split)
    pooled = pool(scores.values()) if len(scores) > 1 else next(iter(scores.values()))
    pooled_splits = pool_splits(splits) if len(splits) > 1 else splits[0]
    # One family of tests per run: every symbol's and the pool's flag x horizon, corrected together.
    sig = significance_of([*scores.values(), pooled])
    # The regime cells (of the pool, the only ones reported) are a second family, corrected on their own.
    split_sig = regime_significance(pooled_splits)
    return BacktestResult(history, horizons, scores, pooled, rows, missing, sig, pooled_splits, split_sig)


def _print_problems(problems: list[str], err: TextIO) -> None:
    if not problems:
        return
    err.write(f"{PROG}: {counted(len(problems), 'problem')} in the file, those rows skipped:\n")
    err.writelines(f"  {line}\n" for line in problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        err.write(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (all of them in --json's problems)\n")


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


def _iso(ms: float) -> str:
    return utc_text(ms, suffix="")


def write_table(result: BacktestResult, out: TextIO) -> None:
    """The table: per horizon a row per directional flag with its verdict in words, then context and
    unscorable flags, then (for several symbols) each symbol's events."""
    series = result.history.series
    t0 = min(b[0, 0] for b in series.values())
    t1 = max(b[-1, 0] for b in series.values())
    step = format_duration(result.step_ms / HOUR_MS)
    out.write(
        f"{result.history.path}: {counted(result.rows, 'bar')} of {step}, {_iso(t0)} to {_iso(t1)} UTC, "
        f"{len(series)} series"
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
