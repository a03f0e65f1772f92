"""The alerts' flag records on the worker thread: symbols due together are measured together when the
owner can (the history store, read a few symbols a pass), one by one otherwise; a failure is noted on
every symbol it took down, and never raised into the feed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

from tui.alerts.measuring import ThreadMeasure
from tui.alerts.records import NOT_YET, RecordBook
from tui.model.hit_rates import HitRates


def _rates(symbol: str) -> HitRates:
    rates = HitRates(symbol, "test bars", "24h")
    rates.lines["funding_extreme"] = f"line of {symbol}"
    return rates


def _run(measure: ThreadMeasure, symbols: list[str]) -> None:
    measure(symbols, 0)
    measure._pool.shutdown(wait=True)  # the queued work done


def test_symbols_due_together_are_measured_in_one_job_when_the_owner_can() -> None:
    book = RecordBook()
    calls: list[list[str]] = []

    def many(symbols: Sequence[str]) -> Callable[[], list[HitRates]]:
        calls.append(list(symbols))
        return lambda: [_rates(s) for s in symbols]

    def one(symbol: str) -> Callable[[], HitRates]:
        raise AssertionError(f"{symbol} measured alone")

    _run(ThreadMeasure(book, one, many), ["BTC", "ETH", "SOL"])
    assert calls == [["BTC", "ETH", "SOL"]]
    assert [book.lookup(s, "funding_extreme")[1] for s in ("BTC", "ETH", "SOL")] == [
        "line of BTC",
        "line of ETH",
        "line of SOL",
    ]


def test_without_a_joint_measure_each_symbol_is_measured_alone() -> None:
    book = RecordBook()
    alone: list[str] = []

    def one(symbol: str) -> Callable[[], HitRates]:
        alone.append(symbol)
        return lambda: _rates(symbol)

    _run(ThreadMeasure(book, one, lambda symbols: None), ["BTC", "ETH"])
    assert alone == ["BTC", "ETH"]
    assert book.lookup("ETH", "funding_extreme") == (None, "line of ETH")


def test_a_joint_measure_that_fails_notes_it_on_every_symbol() -> None:
    book = RecordBook()

    def broken() -> list[HitRates]:
        raise OSError("disk gone")

    _run(ThreadMeasure(book, lambda s: lambda: _rates(s), lambda symbols: broken), ["BTC", "ETH"])
    assert book.lookup("BTC", "funding_extreme") == (None, "not measured: OSError: disk gone")
    assert book.lookup("ETH", "funding_extreme") == (None, "not measured: OSError: disk gone")
    assert book.lookup("SOL", "funding_extreme") == (None, NOT_YET)


def test_on_a_running_loop_only_a_few_symbols_are_prepared_ahead_of_the_worker() -> None:
    book = RecordBook()
    symbols = [f"S{i}" for i in range(10)]
    prepared: list[str] = []
    scored: list[str] = []
    most_ahead = 0
    gate = threading.Event()  # the worker scores only once the test lets it

    def one(symbol: str) -> Callable[[], HitRates]:
        nonlocal most_ahead
        if symbol == "S3":
            raise KeyError(symbol)  # removed from the watchlist since it fell due
        prepared.append(symbol)
        most_ahead = max(most_ahead, len(prepared) - len(scored))

        def run() -> HitRates:
            gate.wait(5)
            scored.append(symbol)
            return _rates(symbol)

        return run

    async def main() -> None:
        measure = ThreadMeasure(book, one)
        measure(symbols, 0)
        assert prepared == ["S0", "S1"]  # the rest wait for these to be scored
        gate.set()
        for _ in range(200):
            if len(scored) == 9:
                break
            await asyncio.sleep(0.01)
        measure.close()

    asyncio.run(main())
    assert scored == [s for s in symbols if s != "S3"]
    assert most_ahead <= ThreadMeasure.AHEAD
    assert book.lookup("S9", "funding_extreme") == (None, "line of S9")
    assert book.lookup("S3", "funding_extreme") == (None, "not measured: KeyError: 'S3'")


def test_closed_it_prepares_nothing_more() -> None:
    book = RecordBook()
    prepared: list[str] = []

    def one(symbol: str) -> Callable[[], HitRates]:
        prepared.append(symbol)
        return lambda: _rates(symbol)

    async def main() -> None:
        measure = ThreadMeasure(book, one)
        measure.close()
        measure(["BTC", "ETH", "SOL"], 0)
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert prepared == []
