"""``timeout_after``: ``asyncio.timeout`` where it exists (3.11+), the same bound on Python 3.10."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


@contextlib.asynccontextmanager
async def timeout_after(seconds: float) -> AsyncIterator[None]:
    """Cancel the block after ``seconds`` and raise ``TimeoutError`` (as ``asyncio.timeout`` does)."""
    if hasattr(asyncio, "timeout"):
        async with asyncio.timeout(seconds):
            yield
        return
    task = asyncio.current_task()
    assert task is not None
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    handle = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        yield
    except asyncio.CancelledError:
        if expired:
            raise TimeoutError(f"did not finish within {seconds:g} s") from None
        raise
    finally:
        handle.cancel()
