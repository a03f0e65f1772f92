"""What every ``perptop backtest`` mode reads before it scores: its arguments and the history.

The plain backtest, ``--report``, ``--sweep`` and ``--combined`` take the same ``--horizons``,
``--symbols`` and history (a CSV, a Parquet file or a partitioned Parquet folder, told apart by
``feeds.history.source``), and must refuse the same bad input with the same one line; they all read them
here. ``stream_input`` gives the plain backtest one series at a time (memory follows one symbol);
``read_history`` reads the whole history, for the modes that need every series at once (``--sweep``, the
combined model). ``Progress`` is the progress line they share on stderr.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from feeds.history.csvfile import HistoryCsvError, HistoryFile, SymbolsNotInFile, symbol_listing
from feeds.history.source import HistoryMeta, open_history, stream_history
from signals.formats import counted
from tui.config.values import BadValue, parse_duration

PROG = "perptop backtest"
EXIT_OK = 0
EXIT_USAGE = 2
MAX_PROBLEMS_SHOWN = 10


class UsageError(ValueError):
    """A bad argument or file; the message is the one line printed."""


def fail(err: TextIO, message: str) -> int:
    """Print ``perptop backtest: error: MESSAGE`` and return the usage status."""
    err.write(f"{PROG}: error: {message}\n")
    return EXIT_USAGE


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


def parse_symbols(text: str | None) -> set[str] | None:
    """``--symbols BTC,ETH`` -> ``{"BTC", "ETH"}``; None when not given.

    Raises:
        UsageError: for a list with no symbol in it.
    """
    if text is None:
        return None
    names = {s.strip() for s in text.split(",") if s.strip()}
    if not names:
        raise UsageError("--symbols: no symbol given")
    return names


@dataclass(frozen=True)
class Request:
    """The checked arguments shared by every mode.

    Attributes:
        horizons: label -> hours.
        wanted: the symbols asked for, None for all.
        resamples: bootstrap resamples, 0 for off.
        seed: the bootstrap's seed.
        quiet: ``--json``: no progress, one document on stdout.
        jobs: worker processes scoring series side by side (1: in this process).
    """

    horizons: dict[str, float]
    wanted: set[str] | None
    resamples: int
    seed: int
    quiet: bool
    jobs: int = 1


def read_request(args: argparse.Namespace) -> Request:
    """The shared arguments of ``args``, checked.

    Raises:
        UsageError: for a bad horizon or symbol list, ``--plot`` with ``--json``, a negative seed.
    """
    quiet = bool(getattr(args, "json", False))
    horizons = parse_horizons(getattr(args, "horizons", None) or "4h,24h")
    if quiet and getattr(args, "plot", False):
        raise UsageError("--plot and --json cannot be combined")
    wanted = parse_symbols(getattr(args, "symbols", None))
    resamples = int(getattr(args, "bootstrap", 0) or 0)
    seed = getattr(args, "bootstrap_seed", None)
    seed = 0 if seed is None else int(seed)
    if resamples < 0:
        raise UsageError(f"--bootstrap: expected 0 (off) or 99 to 100000 resamples, got {resamples}")
    if seed < 0:  # numpy's seed sequences take whole numbers >= 0
        raise UsageError(f"--bootstrap-seed: expected a whole number >= 0, got {seed}")
    jobs = getattr(args, "jobs", None)
    if jobs is None:  # one worker per core this process may use, as far as the series go
        from tui.cli.backtest_parallel import usable_cores

        jobs = usable_cores()
    elif jobs < 1:
        raise UsageError(f"--jobs: expected 1 or more worker processes, got {jobs}")
    return Request(horizons, wanted, resamples, seed, quiet, int(jobs))


def not_in_file(missing: list[str], file: object, present: list[str]) -> str:
    """``--symbols: NOPE is not in FILE (it has BTC, ETH)``: the symbols asked for that the file lacks."""
    verb = "is" if len(missing) == 1 else "are"
    return f"--symbols: {', '.join(missing)} {verb} not in {file} (it has {symbol_listing(present)})"


def read_history(args: argparse.Namespace, wanted: set[str] | None, err: TextIO) -> HistoryFile:
    """Read ``args.file`` whole (only ``wanted`` symbols when given); warn on stderr about the wanted
    symbols the file lacks when it has some of them. For the modes that need every series at once.

    Raises:
        UsageError: for a file that cannot be used, or none of the wanted symbols in it.
    """
    try:
        history = open_history(args.file, symbols=wanted)
    except SymbolsNotInFile as exc:
        raise UsageError(not_in_file(exc.missing, args.file, exc.present)) from None
    except HistoryCsvError as exc:
        raise UsageError(str(exc)) from None
    _check_found(args, wanted, list(history.series), history.missing, history.in_file, err)
    return history


def stream_input(
    args: argparse.Namespace, wanted: set[str] | None, err: TextIO
) -> tuple[HistoryMeta, Iterator[tuple[str, np.ndarray]]]:
    """``args.file``'s metadata, then its series one at a time (``feeds.history.source.stream_history``),
    with the same checks and warnings as ``read_history``.

    A partition that turns out unreadable while the series stream raises ``HistoryCsvError`` from the
    iterator: the caller turns it into the same one line.

    Raises:
        UsageError: for a history that cannot be used, or none of the wanted symbols in it.
    """
    try:
        meta, series = stream_history(args.file, symbols=wanted)
    except SymbolsNotInFile as exc:
        raise UsageError(not_in_file(exc.missing, args.file, exc.present)) from None
    except HistoryCsvError as exc:
        raise UsageError(str(exc)) from None
    _check_found(args, wanted, meta.symbols, meta.missing, meta.in_file, err)
    return meta, series


def _check_found(
    args: argparse.Namespace,
    wanted: set[str] | None,
    keys: list[str],
    missing: list[str],
    in_file: list[str],
    err: TextIO,
) -> None:
    """Refuse ``--symbols`` on a file of one unnamed series; warn about the wanted symbols it lacks."""
    if wanted is not None and "" in keys:
        raise UsageError(f"--symbols: {args.file} has no symbol column (it holds one series)")
    if missing:  # some of the symbols are there: score those, and say which were not
        err.write(f"{PROG}: warning: {not_in_file(missing, args.file, in_file)}\n")


def print_problems(problems: list[str], err: TextIO) -> None:
    """The rows of the file that were skipped, the first few in full."""
    if not problems:
        return
    err.write(f"{PROG}: {counted(len(problems), 'problem')} in the file, those rows skipped:\n")
    err.writelines(f"  {line}\n" for line in problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        err.write(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (all of them in --json's problems)\n")


def colour_wanted(out: TextIO) -> bool:
    """Whether ``out`` is a terminal that takes colour (``NO_COLOR`` unset)."""
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
