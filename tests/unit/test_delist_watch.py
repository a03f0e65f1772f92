"""A symbol the venue delists while perptop runs: marked "not listed" after three batch answers without it.

Issue 11 item 7. The count (3) is the spec of ``feeds.live.delisting``: one partial answer must not make a
row flap. The feed-level tests feed parsed Bybit batch answers (built by the fake exchange's route, parsed by
the real parser) straight into the feed, with no network.
"""

from __future__ import annotations

import math

import httpx

from feeds.live.delisting import DelistWatch
from feeds.live.feed import VenueFeed
from feeds.messages import BarUpdate
from feeds.net.http_api import VenueApi
from feeds.venues import bybit_parse, make_adapter
from feeds.venues.base import Listing, Poll
from tests.fake_exchange.market import Market
from tests.fake_exchange.routes_bybit import tickers as bybit_tickers

NOW_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC, a bar boundary
STEP_MS = 300_000


def test_two_answers_without_a_symbol_change_nothing_the_third_marks_it_delisted() -> None:
    watch = DelistWatch()
    assert watch.observe({"BTC"}, ["BTC", "ETH"]) == ([], [])
    assert watch.observe({"BTC"}, ["BTC", "ETH"]) == ([], [])
    assert watch.observe({"BTC"}, ["BTC", "ETH"]) == (["ETH"], [])


def test_an_answer_carrying_the_symbol_starts_the_count_again() -> None:
    watch = DelistWatch()
    for carried in ({"BTC"}, {"BTC"}, {"BTC", "ETH"}, {"BTC"}, {"BTC"}):
        assert watch.observe(carried, ["BTC", "ETH"]) == ([], [])
    assert watch.observe({"BTC"}, ["BTC", "ETH"]) == (["ETH"], [])


def test_an_answer_carrying_nothing_is_garbled_and_does_not_count() -> None:
    watch = DelistWatch()
    for carried in ({"BTC"}, set(), set(), set(), {"BTC"}):
        assert watch.observe(carried, ["BTC", "ETH"]) == ([], [])
    assert watch.observe({"BTC"}, ["BTC", "ETH"]) == (["ETH"], [])


def test_a_delisted_symbol_is_back_with_the_first_answer_that_carries_it() -> None:
    watch = DelistWatch()
    for _ in range(3):
        watch.observe({"BTC"}, ["BTC", "ETH"])
    assert watch.observe({"BTC"}, ["BTC"]) == ([], [])  # no longer held as listed: not counted again
    assert watch.observe({"BTC", "ETH"}, ["BTC"]) == ([], ["ETH"])


class _Clock:
    def __init__(self) -> None:
        self.ms = NOW_MS + 60_000

    def __call__(self) -> int:
        return self.ms


def _feed(published: list[BarUpdate]) -> tuple[VenueFeed, Market, _Clock]:
    market = Market(["BTC", "ETH"])
    clock = _Clock()
    api = VenueApi("bybit", httpx.AsyncClient(), {"rest": "http://127.0.0.1:9"}, [])
    feed = VenueFeed(
        make_adapter("bybit"),
        api,
        ["BTC", "ETH"],
        step_ms=STEP_MS,
        poll_s=10.0,
        publish=published.extend,
        publish_history=lambda _: None,
        history_bars_n=0,
        ws_url="",
        clock=clock,
    )
    feed.listings = {b: Listing(b, f"{b}USDT") for b in ("BTC", "ETH")}
    feed.discovered = True
    return feed, market, clock


def _batch(market: Market, now_ms: int) -> Poll:
    answer = bybit_tickers(market, {"category": "linear"}, now_ms).data
    return Poll(tickers=bybit_parse.tickers(answer, now_ms).records)


def test_the_feed_marks_a_symbol_its_batch_stopped_carrying_not_listed_and_clears_its_figures() -> None:
    published: list[BarUpdate] = []
    feed, market, clock = _feed(published)
    feed.take_poll("tickers", _batch(market, clock.ms))
    assert {u.symbol for u in published} == {"BTC", "ETH"}
    market.delist("bybit", "ETH")
    for _ in range(2):  # partial answers: ETH keeps its row, no "not listed" yet
        published.clear()
        clock.ms += 10_000
        feed.take_poll("tickers", _batch(market, clock.ms))
        assert feed.not_listed == []
    published.clear()
    clock.ms += 10_000
    feed.take_poll("tickers", _batch(market, clock.ms))
    assert feed.not_listed == ["ETH"]
    eth = [u for u in published if u.symbol == "ETH"]
    # One update clearing ETH's current bar (price, OI, funding unknown, as at a start without it) ...
    assert len(eth) == 1 and eth[0].time == NOW_MS
    assert all(math.isnan(x) for x in (eth[0].price, eth[0].oi, eth[0].funding, eth[0].change_24h))
    status = feed.status(clock.ms)
    assert status.state == "ok" and "not listed: ETH" in status.detail
    # ... and nothing for it afterwards, while BTC goes on.
    published.clear()
    clock.ms += 10_000
    feed.take_poll("tickers", _batch(market, clock.ms))
    assert {u.symbol for u in published} == {"BTC"}
    assert "ETH" not in feed.stale_symbols(clock.ms + 3_600_000)  # not listed, not "stale"


def test_a_relisted_symbol_comes_back_with_its_figures() -> None:
    published: list[BarUpdate] = []
    feed, market, clock = _feed(published)
    market.delist("bybit", "ETH")
    for _ in range(3):
        clock.ms += 10_000
        feed.take_poll("tickers", _batch(market, clock.ms))
    assert feed.not_listed == ["ETH"]
    market.relist("bybit", "ETH")
    published.clear()
    clock.ms += 10_000
    feed.take_poll("tickers", _batch(market, clock.ms))
    assert feed.not_listed == []
    eth = [u for u in published if u.symbol == "ETH"]
    assert len(eth) == 1
    assert math.isclose(eth[0].price, market.price("ETH", clock.ms, "bybit"), rel_tol=1e-5)
    assert feed.wanted_listings() == [feed.listings["BTC"], feed.listings["ETH"]]
