"""``perptop backtest FILE --report SCORECARD.html|.md``: the backtest, and a scorecard a user can share.

``run_scorecard`` checks the report's name first (suffix ``.html`` or ``.md``, matplotlib present for
HTML, the folder there and writable), so a wrong name costs no scoring. It then reads and scores the file
once, prints what the plain backtest prints (its table, ``--plot``, or ``--json``; with ``--combined``
also the combined model's lines or key), fits the combined model (the scorecard always has it), and
writes the scorecard through ``tui.cli.outfile.write_whole`` (a temporary file beside the target renamed
into place: a failure leaves nothing behind). One line on stderr says what was written.

This module also gathers what both renderers (``scorecard_html``, ``scorecard_md``) show: the
``Scorecard`` (the ``--json`` document with ``combined``, the facts about the data, the claim sentences);
``scorecard_charts`` and ``scorecard_rows`` turn it into the charts' marks and the tables' cells, so the
HTML and the Markdown agree figure for figure. Every figure is read from the JSON document, so a key
another option adds (``ci95_bootstrap`` with ``--bootstrap``) is shown when present and its absence is
normal.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from signals.columns import COLUMNS
from signals.formats import counted
from signals.times import HOUR_MS, utc_text
from signals.walkforward import combined
from tui.cli.backtest_combined import claim_sentence, combined_json, combined_lines
from tui.cli.backtest_input import (
    EXIT_OK,
    PROG,
    Progress,
    UsageError,
    colour_wanted,
    fail,
    print_problems,
    read_history,
    read_request,
)
from tui.cli.backtest_report import BacktestResult, plot, score_file, write_table
from tui.cli.outfile import OutputError, write_whole
from tui.cli.scorecard_data import Scorecard
from tui.config.loader import AppConfig
from tui.config.values import format_duration

SUFFIXES = (".html", ".md")
MATPLOTLIB_MISSING = (
    "--report FILE.html draws its plots with matplotlib, which is not installed: "
    "pip install 'perptop[report]' (a .md report needs nothing more)"
)


def check_target(target: Path) -> str | None:
    """Why ``target`` cannot be a scorecard (its suffix, matplotlib for HTML, its folder), else None."""
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        return f"--report {target}: name a .html or .md file (got {suffix or 'no suffix'!r})"
    if suffix == ".html":
        try:
            import matplotlib  # noqa: F401  (only whether it is there; the plots import it themselves)
        except ImportError:
            return MATPLOTLIB_MISSING
    folder = target.parent
    if target.is_dir():
        return f"could not write {target}: it is a folder; name a file"
    if not folder.is_dir():
        return f"could not write {target}: there is no folder {folder}"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"could not write {target}: Permission denied; no file was left"
    return None


def run_scorecard(
    config: AppConfig,
    args: argparse.Namespace,
    out: TextIO | None = None,
    err: TextIO | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    """Run ``perptop backtest ... --report FILE`` and return the exit status (0, or 2 with one line).

    Args:
        config: the resolved config (its ``signals`` thresholds are the ones scored).
        args: the backtest's arguments, ``report`` the scorecard's path.
        out: where the backtest's own output goes (default stdout).
        err: progress, problems, errors and the "wrote" line (default stderr).
        argv: the command line shown in the scorecard (default ``sys.argv``).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    target = Path(args.report)
    try:
        request = read_request(args)
        problem = check_target(target)
        if problem is not None:
            raise UsageError(problem)
        progress = Progress(err, enabled=not request.quiet)
        started = time.perf_counter()
        history = read_history(args, request.wanted, err)
    except UsageError as exc:
        return fail(err, str(exc))
    horizons, quiet = request.horizons, request.quiet
    rows = sum(len(b) for b in history.series.values())
    progress.note(f"read {args.file}: {counted(rows, 'row')} in {time.perf_counter() - started:.1f} s")
    result = score_file(
        history, config, horizons, progress, bootstrap=request.resamples, seed=request.seed, jobs=request.jobs
    )
    scores = combined(history.series, config.signals, history.step_ms, horizons)
    progress.done(
        f"scored {counted(result.rows, 'bar')} of {len(history.series)} series and the combined model in "
        f"{time.perf_counter() - started:.1f} s"
    )
    doc = result.as_json()
    doc["combined"] = combined_json(scores)
    want_combined = bool(getattr(args, "combined", False))
    if quiet:
        shown = doc if want_combined else {k: v for k, v in doc.items() if k != "combined"}
        json.dump(shown, out, indent=1)
        out.write("\n")
    else:
        print_problems(history.problems, err)
        write_table(result, out)
        if getattr(args, "plot", False):
            out.write(plot(result, color=colour_wanted(out)))
        if want_combined:
            out.writelines(f"{line}\n" for line in combined_lines(scores))
    card = gather(result, doc, {h: claim_sentence(c) for h, c in scores.items() if c.n}, argv)
    return write_card(card, target, err)


def gather(
    result: BacktestResult, doc: dict[str, Any], claims: dict[str, str], argv: Sequence[str] | None = None
) -> Scorecard:
    """The ``Scorecard`` of a scored file."""
    t0, t1 = result.history.first_ms, result.history.last_ms
    absent: dict[str, list[str]] = {}
    for col in COLUMNS:
        if col not in result.history.columns:
            absent[col] = [n for n, f in result.pooled.flags.items() if not f.scorable and col in f.missing]
    argv = list(sys.argv if argv is None else argv)
    return Scorecard(
        made=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        command=shlex.join(["perptop", *argv[1:]]),
        doc=doc,
        symbols=[k for k in result.history.symbols if k],
        span=(utc_text(t0), utc_text(t1)),
        step=format_duration(result.step_ms / HOUR_MS),
        absent=absent,
        claims=claims,
    )


def write_card(card: Scorecard, target: Path, err: TextIO) -> int:
    """Render ``card`` for ``target``'s suffix and write it whole; 0, or the status of a failed write."""
    if target.suffix.lower() == ".html":
        from tui.cli.scorecard_html import render
    else:
        from tui.cli.scorecard_md import render
    text = render(card)

    def write(fh: TextIO) -> None:
        fh.write(text)

    try:
        write_whole(target, write)
    except OutputError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return exc.status
    size = len(text.encode("utf-8"))
    err.write(f"wrote {target} ({max(1, round(size / 1024)):,} KB)\n")
    return EXIT_OK
