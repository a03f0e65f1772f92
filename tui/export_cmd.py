"""``perptop store`` and ``perptop export``: what the history store holds, and its bars as a history CSV.

``store`` prints the file's path, size on disk, rows, symbols, time range and retention. ``export``
writes the history CSV of SIGNALS.md (via ``tui.history_csv``), one series per symbol. By default that
series is the cross-venue one (``--venue all``): the ``ALL`` row the monitor shows, rebuilt from the
stored venue bars by ``BarStore``'s own aggregation (OI summed, funding OI-weighted per 8 h, flows summed),
so the file scores the flags the screen showed; ``--venue NAME`` exports one venue's own bars instead.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from signals.formats import fmt_bytes
from signals.times import MINUTE_MS, utc_text
from tui.history_store import HistoryStore


def store_path(config: Any, args: argparse.Namespace) -> Path:
    """``--store``, else the config's ``[store] path``, else the default store of the mode.

    The simulated market always records into a file of its own unless ``--store`` names one: made-up
    bars must never mix with real ones.
    """
    from tui.paths import default_store_path

    given = getattr(args, "store", None)
    if given is not None:
        return Path(given)
    demo = bool(getattr(args, "demo", False))
    configured = getattr(config, "store_path", None)
    return Path(configured) if configured is not None and not demo else default_store_path(demo=demo)


def _iso(ms: int | None) -> str:
    return "-" if ms is None else utc_text(ms)


def print_store(config: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``perptop store``: 0, or 1 when the file is not a readable store."""
    path = store_path(config, args)
    if not path.exists():
        out.write(f"history store: {path}\n  not created yet: 'perptop record' (or the app) creates it\n")
        return 0
    try:
        reader = HistoryStore(path, None, readonly=True)
        try:
            info = reader.summary()
        finally:
            reader.close()
    except sqlite3.Error as exc:
        err.write(f"perptop store: {path}: not a readable history store ({exc})\n")
        return 1
    symbols = info["symbols"]
    shown = ", ".join(symbols[:20]) + (f" and {len(symbols) - 20} more" if len(symbols) > 20 else "")
    retention = info["retention_days"]
    kept = f"{retention:g} days (pruned hourly by the writer)" if retention is not None else "not set"
    out.write(
        f"history store: {info['path']}\n"
        f"  size on disk: {fmt_bytes(info['bytes'])}\n"
        f"  rows: {info['bars']:,} bars, {info['liquidations']:,} liquidations\n"
        f"  symbols ({len(symbols)}): {shown or '-'}\n"
        f"  venues: {', '.join(info['venues']) or '-'}\n"
        f"  time range: {_iso(info['first_ms'])} to {_iso(info['last_ms'])}"
        + (f" ({info['step_ms'] // MINUTE_MS}-minute bars)" if info["step_ms"] else "")
        + "\n"
        f"  retention: {kept}\n"
    )
    return 0


def export_series(
    reader: HistoryStore, symbols: list[str], venue: str, since: int
) -> tuple[dict[str, np.ndarray], int]:
    """Bar arrays per symbol (rows with a price only) and the bar step, as ``export`` writes them.

    Args:
        reader: the open store.
        symbols: the symbols to export (those without bars are left out).
        venue: ``"all"`` for the cross-venue series, else one venue's name.
        since: first bar time (epoch ms).
    """
    from signals.columns import Col
    from tui.store import ALL, DEFAULT_STEP_MS, BarStore

    step = int(reader.meta("step_ms") or DEFAULT_STEP_MS)
    venues = sorted({v for _, v in reader.series_keys()})
    series: dict[str, np.ndarray] = {}
    for symbol in symbols:
        if venue != ALL:
            bars = next((h.bars for h in reader.load([symbol], [venue], since)), None)
        else:
            histories = reader.load([symbol], venues, since)
            if not histories:
                continue
            first = min(int(h.bars[0, Col.TIME]) for h in histories)
            last = max(int(h.bars[-1, Col.TIME]) for h in histories)
            # One symbol at a time: a panel spanning the whole range costs (bars x venues x columns) floats.
            panel = BarStore([symbol], [h.venue for h in histories], (last - first) // step + 1, step)
            panel.load_history(histories)
            bars = panel.series(symbol, ALL)
        if bars is not None:
            bars = bars[~np.isnan(bars[:, Col.PRICE])]
            if len(bars):
                series[symbol] = bars
    return series, step


def run_export(config: Any, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``perptop export``: 0 when the CSV was written, 1 when there was nothing to write or no store."""
    from tui.history_csv import write_history_csv

    path = store_path(config, args)
    if not path.exists():
        err.write(
            f"perptop export: no history store at {path} (run 'perptop record' first, or give --store)\n"
        )
        return 1
    reader = HistoryStore(path, None, readonly=True)
    try:
        stored = sorted({s for s, _ in reader.series_keys()})
        symbols = list(args.symbols) if args.symbols else stored
        missing = [s for s in symbols if s not in stored]
        series, step = export_series(reader, [s for s in symbols if s in stored], args.venue, args.since or 0)
    finally:
        reader.close()
    if missing:
        err.write(f"perptop export: not in the store: {', '.join(missing)}\n")
    if not series:
        err.write(
            f"perptop export: no bars to write from {path}"
            f"{' for venue ' + args.venue if args.venue != 'all' else ''}\n"
        )
        return 1
    write_history_csv(args.csv, series, step)
    n = sum(len(b) for b in series.values())
    out.write(
        f"wrote {n:,} bars of {len(series)} symbols ({'cross-venue' if args.venue == 'all' else args.venue}) "
        f"to {args.csv}\n"
    )
    return 0
