"""Waiting with a timeout never loses a cancellation (asyncio.wait_for did on 3.10/3.11: cpython#86296)."""

from __future__ import annotations

import asyncio

import pytest

from feeds.aio import wait_event, within


async def _stops(task: asyncio.Task[None]) -> bool:
    done, _ = await asyncio.wait({task}, timeout=2)
    if not done:
        task.cancel()  # do not leave it running past the test
    return bool(done) and task.cancelled()


async def test_a_loop_cancelled_in_the_tick_its_event_is_set_stops() -> None:
    # A feed's sleep: a watchlist change (the event) and the app quitting (the cancel) in one tick.
    event = asyncio.Event()

    async def sleeper() -> None:
        while True:
            event.clear()
            await wait_event(event, 10)

    task = asyncio.ensure_future(sleeper())
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()
    assert await _stops(task)


async def test_a_loop_cancelled_in_the_tick_its_message_arrives_stops() -> None:
    # A stream's recv: a message and the cancel in one tick.
    queue: asyncio.Queue[str] = asyncio.Queue()

    async def reader() -> None:
        while True:
            await within(queue.get(), 10)

    task = asyncio.ensure_future(reader())
    await asyncio.sleep(0.01)
    queue.put_nowait("liquidation")
    task.cancel()
    assert await _stops(task)


async def test_within_times_out_and_cancels_what_it_waited_on() -> None:
    never = asyncio.get_running_loop().create_future()
    with pytest.raises(asyncio.TimeoutError):
        await within(never, 0.05)
    assert never.cancelled()
    assert await within(asyncio.sleep(0, result="ok"), 1) == "ok"


async def test_wait_event_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.05) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_event(event, 1) is True
