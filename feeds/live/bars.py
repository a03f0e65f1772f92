"""Polled snapshots and streamed liquidations of one venue, assembled into the current bar of each symbol.

Levels (price, open interest, funding, long/short) are the latest values seen; a record that lacks a
field (Binance splits price and funding over two endpoints) leaves the earlier value in place.
Liquidations are summed into the bar their event time falls in, so a late event still lands in its
own bar. Venues report rolling 24 h volumes, not volume per bar, so a bar's spot and futures volumes
are the 24 h volume spread evenly over the day's bars: the 24 h sums that the spot/futures ratio uses
then equal the venue's own 24 h figures. A venue without a liquidation feed, or whose stream is down,
has no liquidation figures (NaN), never zeros. Taker flows are per bar where the venue gives them (a
later record of a bar replaces the earlier one: each is the total so far); the premium is the last mark
over the last index.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from feeds.messages import BarUpdate
from feeds.records import Liquidation, LongShortPoint, SpotVolume, TakerFlow, Ticker
from signals.times import DAY_MS

NAN = float("nan")
_NO_FLOW = (NAN, NAN, NAN, NAN)


@dataclass(slots=True)
class _Level:
    price: float = NAN
    mark: float = NAN
    index: float = NAN
    oi: float = NAN
    funding: float = NAN
    interval_h: float = NAN
    ls: float = NAN
    ls_top: float = NAN
    spot_price: float = NAN
    funding_next: float = NAN
    spot_24h: float = NAN
    futures_24h: float = NAN
    change_24h: float = NAN
    next_funding_ms: int = 0
    updated_ms: int = 0  # last time a price (last or mark) came in
    price_ms: int = 0
    mark_ms: int = 0


class BarAssembler:
    """The current bars of one venue's symbols.

    Args:
        venue: the venue's name.
        step_ms: bar length.
        liquidation_feed: whether the venue has a public liquidation stream at all.
    """

    def __init__(self, venue: str, step_ms: int, liquidation_feed: bool) -> None:
        self.venue = venue
        self.step_ms = step_ms
        self.liquidation_feed = liquidation_feed
        self.stream_up = False  # set by the feed while the liquidation stream is connected
        self.levels: dict[str, _Level] = {}
        self._liq: dict[tuple[str, int], list[float]] = {}
        self._flow: dict[tuple[str, int], list[float]] = {}  # perp buy, sell, spot buy, sell
        self._late: set[tuple[str, int]] = set()
        self._sent: dict[tuple[str, int], BarUpdate] = {}  # the last update of each base's recent bars
        self.too_late = 0

    def _level(self, base: str) -> _Level:
        level = self.levels.get(base)
        if level is None:
            level = self.levels[base] = _Level()
        return level

    def add_tickers(self, tickers: Iterable[Ticker], wanted: set[str], now_ms: int) -> None:
        """Merge ticker records of the ``wanted`` bases (fields a record lacks keep their value)."""
        for t in tickers:
            if t.base not in wanted:
                continue
            lv = self._level(t.base)
            for name, value in (
                ("price", t.price),
                ("mark", t.mark),
                ("index", t.index),
                ("funding_next", t.funding_next),
                ("oi", t.oi),
                ("funding", t.funding),
                ("interval_h", t.funding_interval_h),
                ("futures_24h", t.volume_24h_usd),
                ("change_24h", t.change_24h),
            ):
                if not math.isnan(value):
                    setattr(lv, name, value)
            if t.next_funding_ms:
                lv.next_funding_ms = t.next_funding_ms
            if not math.isnan(t.price):
                lv.price_ms = lv.updated_ms = now_ms
            if not math.isnan(t.mark):
                lv.mark_ms = lv.updated_ms = now_ms

    def add_spot(self, spots: Iterable[SpotVolume], wanted: set[str]) -> None:
        """Spot 24 h volume per base: the USD-quoted pairs of a coin (USDT and USDC) add up; the spot price
        is the busiest pair's (the one most traders see; USDT and USDC differ by the stablecoins' spread)."""
        totals: dict[str, float] = {}
        busiest: dict[str, tuple[float, float]] = {}
        for s in spots:
            if s.base not in wanted:
                continue
            volume = s.volume_24h_usd
            if not math.isnan(volume):
                totals[s.base] = totals.get(s.base, 0.0) + volume
            if not math.isnan(s.price):
                weight = 0.0 if math.isnan(volume) else volume
                if s.base not in busiest or weight > busiest[s.base][0]:
                    busiest[s.base] = (weight, s.price)
        for base, total in totals.items():
            self._level(base).spot_24h = total
        for base, (_, price) in busiest.items():
            self._level(base).spot_price = price

    def add_long_short(self, points: Iterable[LongShortPoint], wanted: set[str]) -> None:
        """The latest long/short ratio per base: all accounts, or the top traders' positions."""
        for p in points:
            if p.base in wanted:
                if p.kind == "top_position":
                    self._level(p.base).ls_top = p.ratio
                else:
                    self._level(p.base).ls = p.ratio

    def add_flows(self, flows: Iterable[TakerFlow], wanted: set[str], now_ms: int) -> None:
        """Taker buy/sell of the current and the previous bar (perp and spot); older bars are settled.

        A record replaces what its bar held for that market (each is the bar's total so far); one for the
        previous bar is sent again as a late update, as late liquidations are.
        """
        bar_now = now_ms - now_ms % self.step_ms
        for f in flows:
            if f.base not in wanted:
                continue
            t = f.time - f.time % self.step_ms
            if t < bar_now - self.step_ms:
                continue
            sums = self._flow.setdefault((f.base, t), [NAN, NAN, NAN, NAN])
            at = 2 if f.spot else 0
            sums[at], sums[at + 1] = f.buy_usd, f.sell_usd
            if t < bar_now:
                self._late.add((f.base, t))

    def add_liquidations(self, events: Iterable[Liquidation], wanted: set[str], now_ms: int) -> int:
        """Add events to their bars; returns how many were for ``wanted`` bases.

        An event older than the previous bar is dropped (and counted in ``too_late``): that bar's
        figures were settled, and rewriting an older bar from here would replace its total.
        """
        bar_now = now_ms - now_ms % self.step_ms
        n = 0
        for e in events:
            if e.base not in wanted or math.isnan(e.usd):
                continue
            t = e.time - e.time % self.step_ms
            if t < bar_now - self.step_ms:
                self.too_late += 1
                continue
            sums = self._liq.setdefault((e.base, t), [0.0, 0.0])
            sums[0 if e.side == "long" else 1] += e.usd
            if t < bar_now:
                self._late.add((e.base, t))
            n += 1
        return n

    def forget(self, base: str) -> None:
        """Drop a base that left the watchlist."""
        self.levels.pop(base, None)
        for store in (self._liq, self._sent, self._flow):
            for key in [k for k in store if k[0] == base]:
                del store[key]

    def updates(self, now_ms: int) -> list[BarUpdate]:
        """The current bar of every base with a price, plus the previous bar if late
        liquidations or flows changed it.

        A late update repeats the levels that bar closed with (what was last sent for it) and changes
        only its liquidation sums.
        """
        bar = now_ms - now_ms % self.step_ms
        per_bar = self.step_ms / DAY_MS
        live = self.liquidation_feed and self.stream_up
        out: list[BarUpdate] = []
        for base, t in sorted(self._late):
            sent = self._sent.get((base, t))
            if sent is None:
                continue
            liq = self._liq.get((base, t))
            if liq is not None:
                sent = replace(sent, liq_long_usd=liq[0], liq_short_usd=liq[1])
            late_flow = self._flow.get((base, t))
            if late_flow is not None:
                sent = replace(
                    sent,
                    taker_buy_usd=late_flow[0],
                    taker_sell_usd=late_flow[1],
                    spot_taker_buy_usd=late_flow[2],
                    spot_taker_sell_usd=late_flow[3],
                )
            self._sent[(base, t)] = sent
            out.append(sent)
        self._late.clear()
        for base, level in self.levels.items():
            # The last trade price unless only the mark has moved lately (its endpoint failing).
            stale_price = math.isnan(level.price) or level.mark_ms - level.price_ms > 3 * 60_000
            price = level.mark if stale_price and not math.isnan(level.mark) else level.price
            if math.isnan(price):
                continue
            liq = self._liq.get((base, bar))
            long_usd, short_usd = (liq[0], liq[1]) if liq else ((0.0, 0.0) if live else (NAN, NAN))
            flow: Sequence[float] = self._flow.get((base, bar)) or _NO_FLOW
            update = BarUpdate(
                self.venue,
                base,
                bar,
                price=price,
                oi=level.oi,
                funding=level.funding,
                funding_interval_h=level.interval_h,
                ls_ratio=level.ls,
                liq_long_usd=long_usd,
                liq_short_usd=short_usd,
                spot_volume_usd=level.spot_24h * per_bar,
                futures_volume_usd=level.futures_24h * per_bar,
                premium=level.mark / level.index - 1.0 if level.index > 0 else NAN,
                spot_price=level.spot_price,
                taker_buy_usd=flow[0],
                taker_sell_usd=flow[1],
                spot_taker_buy_usd=flow[2],
                spot_taker_sell_usd=flow[3],
                ls_top_position=level.ls_top,
                change_24h=level.change_24h,
                next_funding_ms=level.next_funding_ms,
                funding_next=level.funding_next,
            )
            self._sent[(base, bar)] = update
            out.append(update)
        # Keep two bars: enough for events that arrive after their bar closed.
        for key in [k for k in self._liq if k[1] < bar - self.step_ms]:
            del self._liq[key]
        for key in [k for k in self._sent if k[1] < bar - self.step_ms]:
            del self._sent[key]
        for key in [k for k in self._flow if k[1] < bar - self.step_ms]:
            del self._flow[key]
        return out
