"""OKX and Hyperliquid live bars carry premium, spot price, top traders and taker flow as the fake market says.

The fake exchange and the live source share one frozen clock, 150 s into a 5-minute bar, so every figure
the venues serve is the fake market's formula at that moment (or at the bar's open for the rubik rows).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import pytest

from feeds.live.source import LiveSource
from signals.columns import Col
from signals.params import SignalParams
from tests.fake_exchange import FakeExchange
from tests.fake_exchange.market import BAR_MS, HOUR_MS, Market
from tests.support.live import options, until
from tui.model.bars import BarStore, capacity_for

BAR = 1_760_000_100_000 // BAR_MS * BAR_MS
NOW = BAR + 150_000  # half-way through the bar: the perp and spot taker totals so far


def _row(store: BarStore, venue: str) -> list[float]:
    return [float(x) for x in store.latest()[store.symbol_index("BTC"), store.venue_index(venue)]]


def _filled(store: BarStore, venue: str, cols: Sequence[int]) -> bool:
    row = _row(store, venue)
    return all(not math.isnan(row[c]) for c in cols)


async def test_okx_and_hyperliquid_bars_carry_premium_spot_top_traders_and_taker_flow() -> None:
    venues = ["okx", "hyperliquid"]
    async with FakeExchange(["BTC", "ETH"], clock=lambda: NOW / 1000) as fx:
        m = fx.market
        src = LiveSource(["BTC"], venues, 0.5, options(fx), clock=lambda: NOW, timeout_s=1.0, backfill=False)
        store = BarStore(["BTC"], venues, capacity_for(SignalParams(), src.step_ms, 24.0), src.step_ms)
        src.attach(store)
        task = asyncio.ensure_future(src.run())
        try:
            okx_cols = [Col.PREMIUM, Col.SPOT_PRICE, Col.LS_TOP, Col.TAKER_BUY, Col.SPOT_TAKER_BUY]
            await until(lambda: _filled(store, "okx", okx_cols), what="OKX premium, spot, top, taker")
            await until(lambda: _filled(store, "hyperliquid", [Col.PREMIUM, Col.SPOT_PRICE]), what="HL")
            okx, hl = _row(store, "okx"), _row(store, "hyperliquid")
            levels = src.feeds["hyperliquid"].assembler.levels["BTC"]
        finally:
            task.cancel()
            await asyncio.wait([task], timeout=20)

    # Premium: the venue's mark over its index. OKX trades 2 bp under the index, Hyperliquid 4 bp over,
    # each mark jittered by under 1 bp: never zero, never the other venue's sign.
    assert okx[Col.PREMIUM] == pytest.approx(m.mark("BTC", NOW, "okx") / m.index("BTC", NOW) - 1, abs=1e-6)
    assert -0.0003 < okx[Col.PREMIUM] < -0.0001
    hl_premium = m.mark("BTC", NOW, "hyperliquid") / m.index("BTC", NOW) - 1
    # Hyperliquid prints 6 significant digits: each price is good to 1e-6 of itself.
    assert hl[Col.PREMIUM] == pytest.approx(hl_premium, abs=3e-6) and 0.0003 < hl[Col.PREMIUM] < 0.0005
    # Spot price: OKX's BTC-USDT last and Hyperliquid's UBTC/USDC mid, each a hair off the index, not the perp.
    assert okx[Col.SPOT_PRICE] == pytest.approx(m.spot_price("BTC", NOW, "okx"), rel=2e-7)
    assert hl[Col.SPOT_PRICE] == pytest.approx(m.spot_price("BTC", NOW, "hyperliquid"), rel=2e-6)
    assert okx[Col.SPOT_PRICE] != pytest.approx(okx[Col.PRICE], rel=5e-5)
    # Top traders: OKX's 5-minute row of this bar (4 decimals); Hyperliquid publishes none.
    assert okx[Col.LS_TOP] == pytest.approx(round(m.top_long_short("BTC", BAR, "okx"), 4), abs=1e-9)
    assert math.isnan(hl[Col.LS_TOP])
    # Perp taker flow of the bar so far, in USD (unit=2), sell and buy on their own sides.
    buy, sell = m.taker_flow("BTC", BAR, BAR + BAR_MS, NOW, "okx")
    assert okx[Col.TAKER_BUY] == pytest.approx(buy) and okx[Col.TAKER_SELL] == pytest.approx(sell)
    assert okx[Col.TAKER_BUY] != pytest.approx(okx[Col.TAKER_SELL])
    # Spot taker flow: coins (valued by the fake at the bar's open spot price) times the last spot price.
    s_buy, s_sell = m.taker_flow("BTC", BAR, BAR + BAR_MS, NOW, "okx", spot=True)
    revalue = m.spot_price("BTC", NOW, "okx") / m.spot_price("BTC", BAR, "okx")
    assert okx[Col.SPOT_TAKER_BUY] == pytest.approx(s_buy * revalue, rel=1e-6)
    assert okx[Col.SPOT_TAKER_SELL] == pytest.approx(s_sell * revalue, rel=1e-6)
    # Hyperliquid's candles carry no taker side: unknown, never zero.
    assert all(math.isnan(hl[c]) for c in (Col.TAKER_BUY, Col.TAKER_SELL, Col.SPOT_TAKER_BUY))
    # Hyperliquid's own prediction of the next hourly settlement, beside the ctx's current rate.
    next_hour = (NOW // HOUR_MS + 1) * HOUR_MS
    assert levels.funding_next == pytest.approx(m.funding("BTC", next_hour, "hyperliquid"), abs=1e-8)
    assert levels.next_funding_ms == next_hour


def test_the_fake_top_traders_sit_sometimes_with_and_sometimes_against_the_crowd() -> None:
    m = Market(["BTC", "ETH", "SOL"])
    sides = {
        (m.top_long_short(b, t, "okx") > 1) == (m.long_short(b, t, "okx") > 1)
        for b in m.symbols
        for t in range(BAR, BAR + 86_400_000, BAR_MS)
    }
    # Both within a day: a top_trader_divergence flag has something to find, and not always.
    assert sides == {True, False}
