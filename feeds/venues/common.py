"""Small helpers the venue adapters share: the 5-minute bar and request windows over a time range."""

from __future__ import annotations

FIVE_MIN_MS = 300_000


def windows(start_ms: int, end_ms: int, step_ms: int, per_request: int) -> list[tuple[int, int]]:
    """``[start, end]`` cut into inclusive windows of at most ``per_request`` bars each, oldest first.

    A window that holds exactly ``per_request`` bars returns the same rows whether the venue fills a
    page from its start or from its end, so paging does not depend on that undocumented choice.
    """
    out = []
    span = step_ms * per_request
    s = start_ms - start_ms % step_ms
    while s <= end_ms:
        e = min(end_ms, s + span - 1)
        out.append((s, e))
        s += span
    return out
