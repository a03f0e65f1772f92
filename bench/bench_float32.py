"""What a float32 bar panel would change on screen: the demo snapshot table with stored values rounded.

The bar panel keeps its last 4 h 20 min in float64 and the older bars in float32
(``tui.model.bar_panel``); float32 throughout would halve the rest. This script
builds the demo store of N symbols at a fixed clock, prints ``perptop snapshot``'s table (every cell and
every flag reason line), then rounds the panel's value columns to float32 and back, keeping some
columns in float64, and counts the lines and flag sets that change. Time is never rounded: epoch
milliseconds need float64. Run: ``python bench/bench_float32.py [--symbols 50] [--show 4]``.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_tmux import SYMBOLS

from signals.columns import Col
from tui.config.loader import AppConfig
from tui.model.bars import BarStore
from tui.model.rows import RowData
from tui.model.snapshot import demo_store, ordered_rows, write_table

NOW_MS = 1_765_000_123_456  # inside a bar, so the current bar is part-grown as a user would see it
# The column sets kept in float64: none, the perp price, and both prices (the basis divides one by the other).
KEPT = ((), (Col.PRICE,), (Col.PRICE, Col.SPOT_PRICE))


def _table(store: BarStore, config: AppConfig) -> tuple[list[str], list[RowData]]:
    rows = ordered_rows(store, config)
    out = io.StringIO()
    write_table(rows, {}, "demo", NOW_MS, out)
    return out.getvalue().splitlines(), rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=50)
    ap.add_argument("--show", type=int, default=4, help="changed lines printed per column set")
    args = ap.parse_args()
    names = tuple(
        (SYMBOLS + [f"SYM{i:03d}" for i in range(len(SYMBOLS) + 1, args.symbols + 1)])[: args.symbols]
    )
    config = replace(AppConfig(), watchlist=names, config_watchlist=names)
    time.time = lambda: NOW_MS / 1000  # the simulated market starts at the wall clock: fix it
    store, _ = demo_store(config, 0)
    base, base_rows = _table(store, config)
    original = store.data.copy()
    for kept in KEPT:
        store.data[...] = original
        cols = [c for c in range(1, len(Col)) if c not in kept]
        store.data[..., cols] = store.data[..., cols].astype(np.float32).astype(np.float64)
        lines, rows = _table(store, config)
        changed = [(a, b) for a, b in zip(base, lines, strict=True) if a != b]
        flags = sum(
            [f.code for f in a.flags] != [f.code for f in b.flags]
            for a, b in zip(base_rows, rows, strict=True)
        )
        label = ", ".join(c.name.lower() for c in kept) or "nothing"
        print(
            f"float64 kept for {label}: {len(changed)} of {len(base)} lines differ, {flags} rows' flags differ"
        )
        for a, b in changed[: args.show]:
            print(f"  - {a}\n  + {b}")


if __name__ == "__main__":
    main()
