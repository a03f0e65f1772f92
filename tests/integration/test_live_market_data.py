"""The new market data of Binance and Bybit, live against the fake exchange on 127.0.0.1: premium, spot
price, top traders' ratio and taker flow in the bars, and Binance's taker flow in the backfilled history.

Both the fake and the feed run on one frozen clock, so every expected figure is the fake market's formula
at that moment (the fake only rounds it to the venue's decimal strings). The bars are read as the feed
publishes them, before any store, so these tests do not depend on how the store keeps the new columns.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

import numpy as np
import pytest

from feeds.live.source import LiveSource
from feeds.messages import BAR_STEP_MS, BarBlock, BarUpdate, History
from signals.columns import Col
from tests.fake_exchange import FakeExchange
from tests.support.live import CANCEL_TIMEOUT_S, options, until

NOW_MS = 1_760_000_000_000  # 200 s into its 5-minute bar: the forming bar has traded
BAR = NOW_MS - NOW_MS % BAR_STEP_MS
VENUES = ("binance", "bybit")


class Sink:
    """Keeps the last update of every bar and every history the feeds publish."""

    step_ms = BAR_STEP_MS

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.count = 0
        self.bars: dict[tuple[str, str, int], BarUpdate] = {}
        self.histories: list[History] = []

    def apply(self, updates: Iterable[BarUpdate]) -> set[int]:
        for u in updates:
            self.bars[(u.venue, u.symbol, u.time)] = u
        return set()

    def apply_block(self, block: BarBlock) -> set[int]:
        return set()

    def load_history(self, histories: Iterable[History], merge: bool = False) -> None:
        self.histories += list(histories)

    def series(self, symbol: str, venue: str = "") -> np.ndarray:
        raise AssertionError("not kept here")

    def now(self, venue: str, symbol: str) -> BarUpdate | None:
        return self.bars.get((venue, symbol, BAR))


@asynccontextmanager
async def live(
    fx: FakeExchange, symbols: Sequence[str], backfill_bars: int = 0
) -> AsyncIterator[tuple[LiveSource, Sink]]:
    src = LiveSource(
        list(symbols),
        list(VENUES),
        0.5,
        {v: o for v, o in options(fx).items() if v in VENUES},
        clock=lambda: NOW_MS,
        timeout_s=2.0,
        backfill=backfill_bars > 0,
    )
    sink = Sink(backfill_bars + 1)
    src.attach(sink)
    task = asyncio.ensure_future(src.run())
    try:
        yield src, sink
    finally:
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=CANCEL_TIMEOUT_S)
        assert done, "the live source did not stop"


def _filled(u: BarUpdate | None, *fields: str) -> bool:
    return u is not None and all(not math.isnan(getattr(u, f)) for f in fields)


BINANCE_NEW = ("premium", "spot_price", "ls_top_position", "taker_buy_usd", "spot_taker_buy_usd")


async def test_binance_and_bybit_bars_carry_premium_spot_price_top_traders_and_taker_flow() -> None:
    async with (
        FakeExchange(["BTC", "ETH", "PEPE"], clock=lambda: NOW_MS / 1000) as fx,
        live(fx, ["BTC", "PEPE"]) as (_src, sink),
    ):
        await until(
            lambda: (
                all(_filled(sink.now("binance", s), *BINANCE_NEW) for s in ("BTC", "PEPE"))
                and all(_filled(sink.now("bybit", s), "premium", "spot_price") for s in ("BTC", "PEPE"))
            ),
            what="the new columns of both venues",
        )
        m = fx.market
        for base in ("BTC", "PEPE"):
            b = sink.now("binance", base)
            assert b is not None
            # premiumIndex: mark / index - 1 (1000PEPEUSDT's mark and index are both per 1000: the ratio
            # is the same per coin; a multiplier applied to one of them only would be 99.9 % off).
            assert b.premium == pytest.approx(m.mark(base, NOW_MS) / m.index(base, NOW_MS) - 1, abs=2e-8)
            # The spot ticker's last price of the PEPEUSDT-style pair, per coin.
            assert b.spot_price == pytest.approx(m.spot_price(base, NOW_MS, "binance"), rel=1e-6)
            # topLongShortPositionRatio's newest 5-minute row, 4 decimals as Binance sends it.
            assert b.ls_top_position == pytest.approx(m.top_long_short(base, BAR, "binance"), abs=6e-5)
            # The forming bar's klines: taker buy quote volume and the rest of the quote volume.
            buy, sell = m.taker_flow(base, BAR, BAR + BAR_STEP_MS, NOW_MS, "binance")
            assert (b.taker_buy_usd, b.taker_sell_usd) == (pytest.approx(buy), pytest.approx(sell))
            spot_buy, spot_sell = m.taker_flow(base, BAR, BAR + BAR_STEP_MS, NOW_MS, "binance", spot=True)
            assert b.spot_taker_buy_usd == pytest.approx(spot_buy)
            assert b.spot_taker_sell_usd == pytest.approx(spot_sell)

            y = sink.now("bybit", base)
            assert y is not None
            # Bybit's linear tickers send mark and index to 7 significant digits here.
            mark, index = m.mark(base, NOW_MS, "bybit"), m.index(base, NOW_MS)
            assert y.premium == pytest.approx(mark / index - 1, abs=1.5e-6)
            assert y.spot_price == pytest.approx(m.spot_price(base, NOW_MS, "bybit"), rel=1e-6)
            # Bybit publishes no top-trader ratio and no taker split: unknown, never zero.
            assert math.isnan(y.ls_top_position)
            assert math.isnan(y.taker_buy_usd) and math.isnan(y.spot_taker_sell_usd)
        pepe = sink.now("binance", "PEPE")
        assert pepe is not None and pepe.spot_price < 0.001  # per coin, not per 1000
        # No coin without a listed spot pair was asked for spot klines, and each one that is was.
        spot_klines = [r.params.get("symbol") for r in fx.log if r.path == "/api/v3/klines"]
        assert set(spot_klines) == {"BTCUSDT", "PEPEUSDT"}


async def test_binance_backfill_fills_the_taker_columns_of_the_history() -> None:
    async with (
        FakeExchange(["BTC"], clock=lambda: NOW_MS / 1000) as fx,
        live(fx, ["BTC"], backfill_bars=12) as (src, sink),
    ):
        await until(
            lambda: all(f.backfill_done >= {"BTC"} for f in src.feeds.values()) and len(src.feeds) == 2,
            timeout=20,
            what="backfill of both venues",
        )
        m = fx.market
        histories = {h.venue: h.bars for h in sink.histories if h.symbol == "BTC"}
        bars = histories["binance"]
        closed = bars[bars[:, Col.TIME] < BAR]
        assert len(closed) == 12
        for row in closed:
            t = int(row[Col.TIME])
            buy, sell = m.taker_flow("BTC", t, t + BAR_STEP_MS, NOW_MS, "binance")
            spot_buy, spot_sell = m.taker_flow("BTC", t, t + BAR_STEP_MS, NOW_MS, "binance", spot=True)
            assert row[Col.TAKER_BUY] == pytest.approx(buy) and row[Col.TAKER_SELL] == pytest.approx(sell)
            assert row[Col.SPOT_TAKER_BUY] == pytest.approx(spot_buy)
            assert row[Col.SPOT_TAKER_SELL] == pytest.approx(spot_sell)
        # Bybit's klines carry no taker side: its history leaves the columns unknown.
        bybit = histories["bybit"]
        assert np.isnan(bybit[:, [Col.TAKER_BUY, Col.TAKER_SELL, Col.SPOT_TAKER_BUY]]).all()
