"""How a venue's HTTP answers become feed behaviour: wait, back off, stop, or skip and count.

Answers come from ``httpx.MockTransport`` here (no sockets); the same faults over real loopback HTTP
are in tests/integration/test_live_faults.py. Expected figures come from the issue and the venues' docs: 429 waits
exactly ``Retry-After``, 418 pauses until the ban ends, 451 (and Bybit's geo 403) stop the venue, backoff
never exceeds 60 s, nor a poll job's own interval.
"""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest

from feeds.net.faults import Backoff, Banned, Blocked, Malformed, RateLimited, Rejected, Transient
from feeds.net.http_api import VenueApi
from feeds.net.limiter import Budget, Limiter
from feeds.net.plan import fit_plan, usage
from feeds.venues import make_adapter
from tests.support.paths import SAMPLES


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def api_answering(
    response: httpx.Response | Exception, *, geo_403: bool = False, clock: FakeClock | None = None
) -> VenueApi:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(response, Exception):
            raise response
        return response

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return VenueApi(
        "testvenue",
        client,
        {"rest": "http://venue.test"},
        [Budget("weight", 1000, 60)],
        geo_403=geo_403,
        clock=clock or FakeClock(),
    )


def test_backoff_doubles_with_jitter_and_never_exceeds_60_s() -> None:
    b = Backoff(rng=random.Random(1))
    delays = [b.next_delay() for _ in range(12)]
    # Failure n waits within [d/2, d], d = min(60, 2^n): 1, 2, 4, 8, 16, 32, 60, 60 ...
    for n, d in enumerate(delays):
        cap = min(60.0, 2.0**n)
        assert cap / 2 <= d <= cap
    assert max(delays) <= 60.0
    b.reset()
    assert b.next_delay() <= 1.0


async def test_429_waits_exactly_retry_after_and_halves_the_share() -> None:
    clock = FakeClock()
    api = api_answering(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"code": -1003, "msg": "Too many"}),
        clock=clock,
    )
    with pytest.raises(RateLimited) as err:
        await api.get("rest", "/x")
    assert err.value.retry_after_s == 7.0
    assert api.paused_until == pytest.approx(clock.t + 7.0)
    assert api.limiters["weight"].allowed == 250  # 1000 x 0.5 share, halved after the 429
    assert "HTTP 429" in str(err.value)


async def test_418_is_a_ban_that_pauses_until_it_ends() -> None:
    clock = FakeClock()
    api = api_answering(
        httpx.Response(418, headers={"Retry-After": "120"}, json={"code": -1003, "msg": "banned"}),
        clock=clock,
    )
    with pytest.raises(Banned) as err:
        await api.get("rest", "/x")
    assert err.value.retry_after_s == 120.0
    assert api.paused_until == pytest.approx(clock.t + 120.0)


async def test_451_with_binance_real_body_blocks_the_venue_with_its_message() -> None:
    path = SAMPLES / "binance" / "error_451_restricted_location.json"
    if not path.exists():
        pytest.skip(f"{path} is absent (tests read the shared reference tree next to the repo)")
    api = api_answering(httpx.Response(451, content=path.read_bytes()))
    with pytest.raises(Blocked) as err:
        await api.get("rest", "/fapi/v1/ticker/24hr")
    assert err.value.detail.startswith("HTTP 451 Service unavailable from a restricted location")


async def test_bybit_403_is_geo_block_unless_it_says_too_frequent() -> None:
    geo = api_answering(httpx.Response(403, text="Forbidden: your region is restricted"), geo_403=True)
    with pytest.raises(Blocked, match="HTTP 403"):
        await geo.get("rest", "/v5/market/tickers")
    busy = api_answering(httpx.Response(403, text="access too frequent"), geo_403=True)
    with pytest.raises(RateLimited) as err:
        await busy.get("rest", "/v5/market/tickers")
    assert err.value.retry_after_s == 600.0  # Bybit: at least 10 minutes


@pytest.mark.parametrize(
    "answer, kind",
    [
        (httpx.Response(503, text="upstream down"), Transient),
        (httpx.Response(500, text="oops"), Transient),
        (httpx.ConnectError("refused"), Transient),
        (httpx.ReadTimeout("slow"), Transient),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), Transient),
        (
            httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
            Malformed,
        ),
        (httpx.Response(200, content=b'{"not json'), Malformed),
        (httpx.Response(400, json={"code": -1121, "msg": "Invalid symbol."}), Rejected),
    ],
)
async def test_other_failures_are_classified(answer: httpx.Response | Exception, kind: type) -> None:
    api = api_answering(answer)
    with pytest.raises(kind):
        await api.get("rest", "/x")
    assert api.failures == 1


async def test_okx_rate_limit_code_inside_a_200_is_a_rate_limit() -> None:
    adapter = make_adapter("okx")
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"code": "50011", "msg": "Too Many Requests", "data": []})
        )
    )
    api = VenueApi(
        "okx", client, {"rest": "http://x"}, adapter.budgets, envelope=adapter.envelope(), clock=FakeClock()
    )
    with pytest.raises(RateLimited):
        await api.get("rest", "/api/v5/market/tickers", budget="tickers")


async def test_limiter_keeps_spending_under_the_share() -> None:
    clock = FakeClock()
    limiter = Limiter(Budget("w", 100, 10), share=0.5, clock=clock)
    for _ in range(5):
        await limiter.acquire(10)
    assert limiter.used() == 50
    waiter = asyncio.ensure_future(limiter.acquire(10))
    await asyncio.sleep(0.05)
    assert not waiter.done()  # 60 would be over half of 100
    clock.t += 10.001  # the window moved past the first five
    await asyncio.wait_for(waiter, 2)
    assert limiter.used() == 10


async def test_a_poll_never_waits_behind_the_backfill() -> None:
    # Budget 100 per 10 s at half: 50 allowed; the backfill may take 80 % of it (40), a poll the rest.
    clock = FakeClock()
    limiter = Limiter(Budget("w", 100, 10), share=0.5, clock=clock)
    backfill = [asyncio.ensure_future(limiter.acquire(10, background=True)) for _ in range(8)]
    await asyncio.sleep(0.1)
    assert sum(t.done() for t in backfill) == 4 and limiter.used() == 40  # the rest wait for the window
    await asyncio.wait_for(limiter.acquire(10), 1)  # the poll goes at once, ahead of the queued backfill
    assert limiter.used() == 50
    clock.t += 10.001
    await asyncio.sleep(1.2)
    assert sum(t.done() for t in backfill) == 8 and limiter.used() == 40
    for t in backfill:
        t.cancel()


@pytest.mark.parametrize("venue", ["binance", "bybit", "okx", "hyperliquid"])
@pytest.mark.parametrize("n", [50, 500])
def test_fitted_plans_stay_under_half_of_every_published_limit(venue: str, n: int) -> None:
    adapter = make_adapter(venue)
    plan = fit_plan(adapter.plan(10.0), adapter.budgets, n)
    for budget in adapter.budgets:
        assert usage(plan, budget, n) <= budget.limit * 0.5 + 1e-9, budget


def test_binance_slows_open_interest_not_the_batch_calls_when_the_list_outgrows_the_budget() -> None:
    adapter = make_adapter("binance")
    at_500 = {i.job: i for i in fit_plan(adapter.plan(10.0), adapter.budgets, 500)}
    at_1000 = {i.job: i for i in fit_plan(adapter.plan(10.0), adapter.budgets, 1000)}
    # 2400/min x 0.5 = 1200; the batch calls spend 6 x (40 + 10) = 300/min, leaving 900/min for the
    # one-weight per-symbol calls: open interest every minute and the taker-flow klines every 2 minutes.
    # 500 symbols: 500 + 250 = 750/min fit; 1000: 1000 + 500 = 1500/min, stretched by 1500 / 900 = 5/3
    # to 100 s and 200 s.
    assert at_500["oi"].interval_s == 60 and at_500["flow"].interval_s == 120
    assert at_1000["tickers"].interval_s == 10 and at_1000["premium"].interval_s == 10
    assert at_1000["oi"].interval_s == 100 and at_1000["flow"].interval_s == 200


def test_error_body_messages_are_one_line() -> None:
    body = json.dumps({"code": 0, "msg": "a\nb   c"})
    api = api_answering(httpx.Response(451, content=body.encode()))
    with pytest.raises(Blocked) as err:
        asyncio.run(api.get("rest", "/x"))
    assert err.value.detail == "HTTP 451 a b c"


async def test_requests_queued_during_a_429_wait_out_its_retry_after() -> None:
    import time

    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        if len(sent) == 1:
            return httpx.Response(
                429, headers={"Retry-After": "0.6"}, json={"code": -1003, "msg": "slow down"}
            )
        return httpx.Response(200, json=[])

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    api = VenueApi("testvenue", client, {"rest": "http://venue.test"}, [Budget("weight", 1000, 60)])

    async def one() -> object:
        try:
            return await api.get("rest", "/x")
        except RateLimited as exc:
            return exc

    results = await asyncio.gather(one(), one(), one())
    assert isinstance(results[0], RateLimited) and results[1:] == [[], []]
    # Both later requests were already queued when the 429 came; neither went out inside its 0.6 s.
    assert min(sent[1:]) - sent[0] >= 0.6 - 0.02


async def test_a_failing_poll_job_is_retried_no_slower_than_its_interval() -> None:
    # Issue 11: a venue is back within two poll intervals of a fault's end, so however long the
    # outage, the wait before the next try of a poll job never exceeds its interval, where the
    # backoff alone would reach 60 s.
    from feeds.live.feed import VenueFeed

    api = VenueApi("bybit", httpx.AsyncClient(), {"rest": "http://127.0.0.1:9"}, [])
    feed = VenueFeed(
        make_adapter("bybit"),
        api,
        ["BTC"],
        step_ms=300_000,
        poll_s=10.0,
        publish=lambda _: None,
        publish_history=lambda _: None,
        history_bars_n=0,
        ws_url="",
    )
    job = feed.plan[0]
    waits: list[float] = []

    async def failing(*_: object) -> object:
        raise Transient("bybit", "HTTP 503")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 20:
            raise asyncio.CancelledError

    feed.adapter.poll = failing  # type: ignore[method-assign]
    feed._sleep = sleep  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await feed._job(job.job)
    assert max(waits) <= job.interval_s
    assert waits[0] <= 1.0 and waits[-1] == job.interval_s  # exponential at first, then the interval


async def test_a_per_symbol_round_clears_its_error_at_the_first_symbol_answered_not_at_its_end() -> None:
    # Issue 11's soak: OKX's long/short round (50 symbols at 5 requests / 2 s) kept the venue "error" for
    # 50 s after an HTTP 500 had ended, because the job's error was cleared only when a whole round came back.
    from feeds.live.feed import VenueFeed
    from feeds.records import LongShortPoint
    from feeds.venues.base import Listing, Parsed, Poll, each_symbol

    api = VenueApi("okx", httpx.AsyncClient(), {"rest": "http://127.0.0.1:9"}, [])
    feed = VenueFeed(
        make_adapter("okx"),
        api,
        ["BTC", "ETH", "SOL"],
        step_ms=300_000,
        poll_s=10.0,
        publish=lambda _: None,
        publish_history=lambda _: None,
        history_bars_n=0,
        ws_url="",
    )
    listings = [Listing(s, f"{s}-USDT-SWAP") for s in ("BTC", "ETH", "SOL")]
    seen: list[dict[str, str]] = []  # the job's errors as each symbol is asked for
    rounds = 0

    async def fetch(listing: Listing) -> Parsed[LongShortPoint]:
        seen.append(dict(feed.job_errors))
        if rounds == 1:
            raise Transient("okx", "HTTP 500")  # the fault: the first round fails at its first symbol
        return Parsed([LongShortPoint("okx", listing.instrument, listing.base, 0, 1.0)], [])

    async def poll(*_: object) -> Poll:
        nonlocal rounds
        rounds += 1
        out = Poll()
        out.long_short = await each_symbol(listings, fetch, out.skipped)
        return out

    async def sleep(_: float) -> None:
        if rounds == 2:
            raise asyncio.CancelledError

    feed.adapter.poll = poll  # type: ignore[method-assign]
    feed._sleep = sleep  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await feed._job("ls")
    # round 1 failed: round 2 starts with the error; once BTC has answered, ETH and SOL are asked without it
    assert [("ls" in e) for e in seen] == [False, True, False, False]
