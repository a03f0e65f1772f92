"""The live market as a source: one ``VenueFeed`` per venue, writing into the app's bar store.

Live bars are five minutes long. Each venue runs on its own (a venue that fails or is blocked never
stops the others); the source only wires feeds to the store and reports their health. Backfilled
history merges into the store without overwriting what the live polls already wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from feeds.messages import ALL, BAR_STEP_MS, BarUpdate, History, VenueStatus
from feeds.source import BarSink, LiquidationListener, SourceHealth
from signals.columns import Col
from signals.formats import shorten
from signals.times import Clock, wall_ms

USER_AGENT = "perptop (terminal monitor; public market data)"
# The advice first: a banner is cut at the terminal's width, and the errors are also in the status bar.
NO_VENUE = "no venue reachable: check the network or proxy, or run perptop --demo · {details}"
DETAIL_CHARS = 48  # each distinct error in the banner, cut at a word


def venue_urls(adapter: Any, options: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """REST base URLs by role and the WebSocket base URL of a venue, after the user's overrides.

    ``base_url`` replaces the REST base; a venue whose spot API lives elsewhere (Binance) sends its spot
    calls there too unless ``spot_url`` is given, because a mirror or proxy serves both paths.
    """
    urls = dict(adapter.urls)
    if "base_url" in options:
        for role in urls:
            urls[role] = options["base_url"]
    if "spot_url" in options and "spot" in urls:
        urls["spot"] = options["spot_url"]
    return urls, options.get("ws_url", adapter.ws_url)


class LiveSource:
    """Venue feeds for the watchlist.

    Args:
        symbols: base coins to follow.
        venues: venue names, in the user's order.
        poll_s: seconds between batch polls.
        venue_options: per-venue URL overrides (``base_url``, ``spot_url``, ``ws_url``).
        clock: epoch ms.
        timeout_s: HTTP timeout per request.
        backfill: fetch history at start (the snapshot skips it).
        ws_ping_s: heartbeat interval of the liquidation streams.
    """

    mode = "live"
    live = True
    group = "feed:live"

    def __init__(
        self,
        symbols: Sequence[str],
        venues: Sequence[str],
        poll_s: float,
        venue_options: Mapping[str, Mapping[str, str]] | None = None,
        *,
        clock: Clock = wall_ms,
        timeout_s: float = 10.0,
        backfill: bool = True,
        ws_ping_s: float = 20.0,
    ) -> None:
        from feeds.venues import make_adapter

        self.symbols = list(symbols)
        self.venues: list[str] = list(venues)
        self.poll_s = poll_s
        self.clock = clock
        self.timeout_s = timeout_s
        self.backfill = backfill
        self.ws_ping_s = ws_ping_s
        self.step_ms = BAR_STEP_MS
        self.adapters = {v: make_adapter(v) for v in self.venues}
        self.urls = {v: venue_urls(self.adapters[v], (venue_options or {}).get(v, {})) for v in self.venues}
        self.feeds: dict[str, Any] = {}
        self._store: BarSink | None = None
        self._backfill_from: dict[str, dict[str, int]] = {}
        self._on_liquidations: LiquidationListener | None = None

    prepared = True  # nothing slow before attach

    def attach_steps(self, store: BarSink) -> Iterator[Callable[[], None]]:
        """One step, ``attach`` itself: it is quick."""
        yield lambda: self.attach(store)

    def attach(self, store: BarSink) -> None:
        """Write into ``store`` from now on (nothing to load before the first poll)."""
        self._store = store

    def resumed(self) -> None:
        """The store now holds what a restart read from the history store: backfill only what it lacks.

        Per venue and symbol, the backfill starts at the first bar of its window without a price; a
        series with nothing stored in the window is backfilled in full. Call it before ``run``.
        """
        store = self._store
        if store is None or not self.backfill or store.count == 0:
            return
        now = self.clock()
        end = now - now % self.step_ms - 1
        start = end + 1 - (store.capacity - 1) * self.step_ms
        for venue in self.venues:
            froms: dict[str, int] = {}
            for symbol in self.symbols:
                bars = store.series(symbol, venue)
                held = bars[(bars[:, Col.TIME] >= start) & (bars[:, Col.TIME] <= end)]
                priced = ~np.isnan(held[:, Col.PRICE])
                if not priced.any() or held[0, Col.TIME] > start:
                    continue  # the window's first bars are not held: backfill in full
                gaps = held[~priced, Col.TIME]
                froms[symbol] = int(gaps[0]) if gaps.size else int(held[-1, Col.TIME]) + self.step_ms
            self._backfill_from[venue] = froms

    def publish(self, updates: list[BarUpdate]) -> None:
        """Current bars from a feed."""
        if self._store is not None:
            self._store.apply(updates)

    def publish_history(self, histories: list[History]) -> None:
        """Backfilled closed bars from a feed."""
        if self._store is not None:
            self._store.load_history(histories, merge=True)

    def make_feeds(self, client: Any) -> None:
        """Build the venue feeds over one shared HTTP client."""
        from feeds.live.feed import VenueFeed
        from feeds.net.http_api import VenueApi

        bars = (self._store.capacity - 1) if (self.backfill and self._store is not None) else 0
        for v in self.venues:
            adapter = self.adapters[v]
            urls, ws_url = self.urls[v]
            api = VenueApi(
                v,
                client,
                urls,
                adapter.budgets,
                geo_403=adapter.geo_403,
                envelope=adapter.envelope(),
                retry_after_s=adapter.retry_after_s,
            )
            self.feeds[v] = VenueFeed(
                adapter,
                api,
                self.symbols,
                step_ms=self.step_ms,
                poll_s=self.poll_s,
                publish=self.publish,
                publish_history=self.publish_history,
                history_bars_n=bars,
                ws_url=ws_url,
                clock=self.clock,
                ws_ping_s=self.ws_ping_s,
                backfill_from=self._backfill_from.get(v),
            )
            self.feeds[v].on_liquidations = self._on_liquidations

    async def run(self) -> None:
        """Run every venue's feed until cancelled; the HTTP client closes with them."""
        import httpx

        async with httpx.AsyncClient(
            timeout=self.timeout_s,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        ) as client:
            self.make_feeds(client)
            await asyncio.gather(*(feed.run() for feed in self.feeds.values()))
            # Feeds do not return (a stopped venue waits for its next try); if they ever did, stay alive so
            # their messages stay on screen.
            await asyncio.Event().wait()

    def add_symbol(self, symbol: str) -> None:
        """Follow ``symbol`` on every venue (its history is backfilled in the background)."""
        if symbol not in self.symbols:
            self.symbols.append(symbol)
        for feed in self.feeds.values():
            feed.set_symbols(self.symbols)

    def remove_symbol(self, symbol: str) -> None:
        """Stop following ``symbol``."""
        if symbol in self.symbols:
            self.symbols.remove(symbol)
        for feed in self.feeds.values():
            feed.set_symbols(self.symbols)

    def retry_stopped(self) -> list[str]:
        """Try every venue stopped for its location now (the app's ``r``); returns their names."""
        return [v for v, feed in self.feeds.items() if feed.retry_now()]

    def settled(self) -> bool:
        """Every venue has either been blocked, or polled data and finished its backfill."""
        feeds = list(self.feeds.values())
        return bool(feeds) and all(
            f.blocked
            or (f.last_data_ms and f.discovered and f.backfill_done >= {x.base for x in f.wanted_listings()})
            for f in feeds
        )

    def listen_liquidations(self, listener: LiquidationListener) -> None:
        """Hand every liquidation event of the streams (followed symbols only) to ``listener`` too."""
        self._on_liquidations = listener
        for feed in self.feeds.values():
            feed.on_liquidations = listener

    def health(self, now_ms: int) -> SourceHealth:
        """Every venue's state (``starting`` before its feed exists), the notice, unlisted and stale series."""
        venues = tuple(
            self.feeds[v].status(now_ms) if v in self.feeds else VenueStatus(v, "starting")
            for v in self.venues
        )
        backfilling = any(feed.backfilling for feed in self.feeds.values())
        return SourceHealth(
            venues, unreachable_notice(venues), self._unlisted(), self._stale(now_ms), backfilling
        )

    def _unlisted(self) -> frozenset[tuple[str, str]]:
        """(symbol, venue) pairs the venue does not list (known once its listing has been read)."""
        return frozenset((s, v) for v, feed in self.feeds.items() for s in feed.not_listed)

    def _stale(self, now_ms: int) -> frozenset[tuple[str, str]]:
        """(symbol, venue) series whose price has not moved in for over three poll intervals.

        The cross-venue row of a symbol is stale as soon as one of its venues is: its sums and
        averages still carry that venue's last figures.
        """
        stale: set[tuple[str, str]] = set()
        for v, feed in self.feeds.items():
            for base in feed.stale_symbols(now_ms):
                stale.update(((base, v), (base, ALL)))
        return frozenset(stale)


def unreachable_notice(states: tuple[VenueStatus, ...]) -> str:
    """A one-line notice when no venue has produced any data and every one has failed, else ""."""
    if not states or any(s.last_data_ms or s.state == "starting" for s in states):
        return ""
    if not all(s.state in ("error", "blocked") for s in states):
        return ""
    # Venues failing alike are named together: four copies of "cannot connect" say less than one.
    by_reason: dict[str, list[str]] = {}
    for state in states:
        reason = shorten(state.detail.split(";")[0].split(" on /")[0], DETAIL_CHARS)
        by_reason.setdefault(reason, []).append(state.venue)
    details = " · ".join(f"{', '.join(venues)}: {reason}" for reason, venues in by_reason.items())
    return NO_VENUE.format(details=details)
