"""What every live venue adapter provides, and the plain records passed between adapter and feed.

An adapter knows one venue's endpoints and parsers and nothing about scheduling, retries or the store:
``discover`` lists the venue's perpetuals, ``poll`` runs one job of its plan, ``backfill`` fetches one
symbol's history, and the ``ws_*`` members describe its liquidation stream (if it has one).
``feeds.live.feed`` runs an adapter; ``feeds.venues`` holds the four adapters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from feeds.net.faults import Malformed, Rejected
from feeds.net.http_api import EnvelopeCheck, VenueApi
from feeds.net.limiter import Budget
from feeds.net.plan import PlanItem
from feeds.records import (
    Candle,
    FundingPoint,
    Liquidation,
    LongShortPoint,
    OpenInterestPoint,
    Parsed,
    PayloadError,
    SpotVolume,
    TakerFlow,
    Ticker,
)

NAN = float("nan")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Listing:
    """One base coin's perpetual on one venue.

    Attributes:
        base: the coin as perptop names it (BTC, PEPE).
        instrument: the venue's name for the perpetual (1000PEPEUSDT, kPEPE, PEPE-USDT-SWAP).
        multiplier: base coins per quoted unit (1000 for 1000PEPEUSDT).
        ct_val: base coins per contract (OKX), NaN where sizes are already in base coin.
        spot: the venue's spot pair for the spot volume (PEPEUSDT, BTC-USDT), or "" if none.
    """

    base: str
    instrument: str
    multiplier: float = 1.0
    ct_val: float = NAN
    spot: str = ""


@dataclass(slots=True)
class Poll:
    """What one job of the plan brought back."""

    tickers: list[Ticker] = field(default_factory=list)
    spot: list[SpotVolume] = field(default_factory=list)
    long_short: list[LongShortPoint] = field(default_factory=list)
    flows: list[TakerFlow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(slots=True)
class BackfillParts:
    """One symbol's history from one venue, in records; ``feeds.live.backfill`` turns it into bars."""

    candles: list[Candle] = field(default_factory=list)
    spot_candles: list[Candle] = field(default_factory=list)
    oi: list[OpenInterestPoint] = field(default_factory=list)
    funding: list[FundingPoint] = field(default_factory=list)
    long_short: list[LongShortPoint] = field(default_factory=list)
    flows: list[TakerFlow] = field(default_factory=list)  # taker buy/sell per bar, where klines carry it
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what this venue cannot backfill, said once


ANSWERED: ContextVar[Callable[[], None] | None] = ContextVar("ANSWERED", default=None)
"""Called by ``each_symbol`` after each symbol the venue answered: the feed's poll job sets it to clear the job's
error at once. A round of per-symbol requests takes up to a minute within its budget (OKX's long/short: 50
symbols at 5 requests / 2 s), and waiting for the round's end kept a venue "error" for 50 s after a fault had
ended (measured by the soak bench)."""


async def each_symbol(
    listings: list[Listing], fetch: Callable[[Listing], Awaitable[Parsed[R]]], skipped: list[str]
) -> list[R]:
    """Run a per-symbol request for each listing; one symbol the venue refuses or garbles is skipped.

    A refused request (an instrument the venue no longer serves) or a bad payload costs that symbol
    only, with a line in ``skipped``; the rest of the round is kept. Timeouts, rate limits and blocks
    concern the whole venue and propagate, so the round is retried as one.
    """
    out: list[R] = []
    for listing in listings:
        try:
            parsed = await fetch(listing)
        except (Rejected, Malformed, PayloadError) as exc:
            skipped.append(f"{listing.instrument}: {exc}")
            continue
        out += parsed.records
        skipped += parsed.skipped
        answered = ANSWERED.get()
        if answered is not None:
            answered()
    return out


def latest_only(parsed: Parsed[R]) -> Parsed[R]:
    """The newest record of a history answer (asked with limit 1, but some venues send more)."""
    records = sorted(parsed.records, key=lambda r: getattr(r, "time", 0))[-1:]
    return Parsed(records, parsed.skipped)


class VenueAdapter(Protocol):
    """One venue's endpoints, budgets and parsers."""

    name: str
    urls: ClassVar[dict[str, str]]  # role -> default base URL ("rest", and "spot" where spot is elsewhere)
    ws_url: str  # default WebSocket URL of the liquidation stream, "" if the venue has none
    budgets: ClassVar[list[Budget]]
    geo_403: bool
    liquidations: str  # "observed" (lower bound), "all", or "" (no public feed)
    retry_after_s: float  # wait after a 429 without Retry-After: the venue's budget window
    funding_interval_note: str
    listing_job: str  # the plan's batch job whose answer carries every perpetual the venue lists

    def envelope(self) -> EnvelopeCheck | None:
        """The check for error codes inside a 200 body."""

    def plan(self, poll_s: float) -> list[PlanItem]:
        """The recurring calls, before fitting to the budgets."""

    async def discover(self, api: VenueApi, now_ms: int) -> tuple[dict[str, Listing], Poll]:
        """Every perpetual the venue lists, by base coin, and the first poll of prices if that came free."""

    async def poll(self, api: VenueApi, job: str, listings: list[Listing], now_ms: int) -> Poll:
        """Run one job of the plan for ``listings``."""

    async def backfill(self, api: VenueApi, listing: Listing, start_ms: int, end_ms: int) -> BackfillParts:
        """History of one symbol between ``start_ms`` and ``end_ms`` (5-minute resolution where offered)."""

    def ws_path(self) -> str:
        """Path (and query) appended to the WebSocket base URL."""

    def ws_subscribe(self, listings: list[Listing]) -> list[str]:
        """Messages to send after connecting (one per chunk of subscriptions)."""

    def ws_ping(self) -> str | None:
        """The venue's application-level ping, or None when protocol pings suffice."""

    def ws_parse(self, raw: Any, listings: dict[str, Listing]) -> Parsed[Liquidation] | None:
        """Liquidations in a decoded message; None for a message that is not a liquidation push."""
