"""``tui.memory.give_back``: the pages a burst of temporaries freed go back to the system (glibc)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# 1,500 blocks of 64 KB (under glibc's 128 KB threshold for mapping a block on its own, so they come
# from the heap, as a history's smaller temporaries do), all freed but the last, which keeps the heap's
# top in place so glibc cannot shrink it by itself: the freed 94 MB stay in RSS until a trim.
PROBE = """
import sys
from tui.memory import give_back

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

blocks = [bytearray(b"x" * 65_536) for _ in range(1_500)]
keep = blocks[-1]
del blocks
held = rss_mb()
trimmed = give_back()
print(trimmed, round(held - rss_mb()))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; malloc_trim is glibc's")
def test_freed_heap_goes_back_to_the_system() -> None:
    import ctypes

    if not hasattr(ctypes.CDLL(None), "malloc_trim"):
        pytest.skip("this C library has no malloc_trim (not glibc): give_back does nothing here")
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    trimmed, dropped = out.stdout.split()
    assert trimmed == "True", out.stderr
    assert int(dropped) > 80, f"RSS fell by {dropped} MB of the 94 freed"


# A 20 MB block freed (glibc then raises its threshold for mapping a block on its own to 20 MB), then a
# 16 MB one with small blocks allocated after it: freed, the 16 MB stay in RSS unless every block over
# the fixed threshold is mapped on its own.
LARGE = """
import sys
import numpy as np
from tui.memory import map_large_blocks

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

fixed = map_large_blocks() if sys.argv[1] == "fixed" else None
a = np.ones(20 << 17)
del a
held = rss_mb()
b = np.ones(16 << 17)
pinned = [bytearray(64) for _ in range(1_000)]
del b
print(fixed, round(rss_mb() - held))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; mallopt is glibc's")
def test_large_blocks_go_back_to_the_system_as_they_are_freed() -> None:
    import ctypes

    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.skip("this C library has no mallopt (not glibc): map_large_blocks does nothing here")

    def kept(how: str) -> tuple[str, int]:
        cmd = [sys.executable, "-c", LARGE, how]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        fixed, mb = out.stdout.split()
        return fixed, int(mb)

    assert kept("fixed") == ("True", 0)
    assert kept("default")[1] >= 15  # glibc's own way, as the probe expects: the block stays
