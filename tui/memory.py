"""Handing memory the process freed back to the system: glibc's ``malloc_trim``, where there is one.

glibc keeps what a burst of temporaries freed for the next allocation: building the simulated week,
loading a backfill or the stored bars, the flag records' warm-up each leave tens of MB mapped that the
steady state never uses again (measured at 200 symbols: 379 MB held after the demo's week, 340 MB after
a trim; 50 symbols 126 -> 118 MB, in-process without the screen). Worse, after such a burst glibc
raises its threshold for mapping large blocks on their own, so later temporaries of up to 32 MB come
from the heap too and stay there when freed. A trim now and then gives the unused pages back; it does
not move live objects, so nothing else changes. Elsewhere (macOS, musl) there is nothing to call and
``give_back`` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

_trim: Callable[[int], int] | None = None
_looked = False


def give_back() -> bool:
    """Return the heap's free pages to the system; whether there was a way to (glibc's malloc_trim)."""
    global _trim, _looked
    if not _looked:
        _looked = True
        try:
            import ctypes

            _trim = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):  # no C library to open, or one without malloc_trim
            _trim = None
    if _trim is None:
        return False
    _trim(0)
    return True


_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
# under the demo's history groups (14.6 MB), over a tick's temporaries at 200 symbols
MMAP_THRESHOLD = 4 << 20


def map_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Have glibc map every block of ``threshold`` bytes or more on its own, for good: freed, it goes
    back to the system at once. Whether it could (glibc's mallopt).

    By default glibc raises that threshold after each large block is freed (up to 32 MB), so the next
    ones come from the heap and stay there: the simulated week's groups took the demo's RSS to 150 MB
    before the first trim, 112 MB after it (50 symbols).
    """
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))
