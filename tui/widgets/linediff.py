"""Which character runs of a one-line display changed: so a widget refreshes only those cells.

Each terminal cell written costs output bytes (the budget is 2 KB/s for the whole app), so single-line
widgets whose text changes every second (the status bar's clock and ages) mark dirty only the runs that
differ, merging runs separated by a short unchanged gap (a cursor move costs about as much as a few
characters).
"""

from __future__ import annotations

from collections.abc import Sequence

Span = tuple[str, str]
"""(text, style name)."""


def flatten(spans: Sequence[Span]) -> list[tuple[str, str]]:
    """One (character, style name) pair per cell."""
    return [(ch, style) for text, style in spans for ch in text]


def changed_runs(
    old: Sequence[tuple[str, str]], new: Sequence[tuple[str, str]], gap: int = 4
) -> list[tuple[int, int]]:
    """Half-open [start, end) cell ranges where ``old`` and ``new`` differ.

    Args:
        old: cells before (character, style) as from ``flatten``.
        new: cells after.
        gap: runs closer than this many unchanged cells are merged into one.
    """
    n = max(len(old), len(new))
    runs: list[tuple[int, int]] = []
    start = -1
    same = 0
    for i in range(n):
        a = old[i] if i < len(old) else None
        b = new[i] if i < len(new) else None
        if a != b:
            if start < 0:
                start = i
            elif same >= gap:
                runs.append((start, i - same))
                start = i
            same = 0
        elif start >= 0:
            same += 1
    if start >= 0:
        runs.append((start, n - same))
    return runs
