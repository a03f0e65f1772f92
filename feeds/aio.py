"""Waiting with a timeout without losing a cancellation.

On Python 3.10 and 3.11, ``asyncio.wait_for`` swallows a cancellation that arrives in the same loop
tick as the awaited thing completes (cpython#86296; 3.12 rewrote it): a feed loop cancelled just as
a watchlist change woke it, or just as a stream message arrived, carried on forever, and whatever
awaited its end hung. Both helpers here wait with ``asyncio.wait``, which never swallows the caller's
cancellation, and cancel what they waited on when they leave early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(awaitable: Awaitable[T], timeout: float) -> T:
    """``await awaitable``, or raise ``asyncio.TimeoutError`` after ``timeout`` seconds (it is cancelled).

    A cancellation of the caller always propagates, and cancels ``awaitable`` too.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except BaseException:
        task.cancel()
        raise
    if not done:
        task.cancel()
        # Let it finish cancelling (a recv() leaves its connection consistent); a second cancel of
        # ours while it does still reaches us, since asyncio.wait does not swallow it.
        await asyncio.wait({task})
        raise asyncio.TimeoutError
    return task.result()


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set (True) or ``timeout`` seconds pass (False)."""
    if event.is_set():
        return True
    try:
        await within(event.wait(), timeout)
    except asyncio.TimeoutError:
        return False
    return True
