"""A venue delists a watched symbol while perptop runs (issue 11 item 7), over real loopback HTTP.

The fake exchange stops carrying the symbol in every list it serves (``FakeExchange.delist``). Each venue's
batch answer is a different endpoint (Binance and Bybit tickers, OKX swap tickers, Hyperliquid
``metaAndAssetCtxs``), so every venue is tried. Polls run every 0.5 s here; three answers without it
mark it not listed.
"""

from __future__ import annotations

import math

import pytest

from feeds.messages import ALL
from signals.columns import Col
from tests.fake_exchange import FakeExchange
from tests.support.live import running, state, until


@pytest.mark.parametrize("venue", ["binance", "bybit", "okx", "hyperliquid"])
async def test_a_symbol_delisted_mid_run_shows_not_listed_without_its_last_figures_and_comes_back(
    venue: str,
) -> None:
    other = "okx" if venue != "okx" else "bybit"
    async with (
        FakeExchange(["BTC", "ETH"]) as fx,
        running(fx, ["BTC", "ETH"], venues=[venue, other]) as (
            src,
            store,
        ),
    ):
        eth, btc = store.symbols.index("ETH"), store.symbols.index("BTC")
        v, o = store.venue_index(venue), store.venue_index(other)

        def priced(s: int, slot: int) -> bool:
            return not math.isnan(store.latest()[s, slot, Col.PRICE])

        await until(lambda: priced(eth, v) and priced(eth, o), what=f"ETH priced on {venue} and {other}")
        fx.delist(venue, "ETH")
        await until(
            lambda: ("ETH", venue) in src.health(src.clock()).unlisted, timeout=10, what="ETH not listed"
        )
        latest = store.latest()
        # Its last figures are no longer current: nothing left to show for it on this venue ...
        for column in (Col.PRICE, Col.OI, Col.FUNDING, Col.FUT_VOL):
            assert math.isnan(latest[eth, v, column]), column
        # ... the cross-venue row is the other venue's alone, and the venue carries on for BTC.
        assert latest[eth, store.venue_index(ALL), Col.OI] == pytest.approx(latest[eth, o, Col.OI])
        assert priced(btc, v)
        status, detail = state(src, venue)
        assert status == "ok" and "not listed: ETH" in detail
        assert ("ETH", venue) not in src.health(src.clock()).stale
        assert ("ETH", other) not in src.health(src.clock()).unlisted

        fx.relist(venue, "ETH")
        await until(
            lambda: ("ETH", venue) not in src.health(src.clock()).unlisted and priced(eth, v),
            timeout=10,
            what="ETH listed again",
        )
        assert "not listed" not in state(src, venue)[1]
