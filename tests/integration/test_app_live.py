"""The app in live mode (Pilot) against the fake exchange: real rows, stale marking, and the no-venue banner."""

from __future__ import annotations

import math
import socket
from pathlib import Path

from feeds.live.source import LiveSource
from feeds.messages import ALL
from tests.fake_exchange import FakeExchange
from tests.support.live import options, until
from tui.app import PerptopApp
from tui.config.loader import AppConfig


def _app(tmp_path: Path, source: LiveSource) -> PerptopApp:
    watch = tuple(source.symbols)
    config = AppConfig(
        watchlist=watch,
        config_watchlist=watch,
        state_path=tmp_path / "state.json",
        poll_interval=source.poll_s,
        paint_interval=0.25,
    )
    return PerptopApp(config, mode="live", source=source)


async def test_live_rows_fill_from_the_venues_and_go_stale_when_one_stops(tmp_path: Path) -> None:
    async with FakeExchange(["BTC", "ETH"]) as fx:
        src = LiveSource(
            ["BTC", "ETH"], ["bybit", "okx"], 0.5, options(fx), timeout_s=1.0, backfill=False, ws_ping_s=0.5
        )
        app = _app(tmp_path, src)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(
                lambda: ("BTC", ALL) in app.rows and not math.isnan(app.rows[("BTC", ALL)].price),
                timeout=10,
                what="BTC row priced",
            )
            banner = str(app.query_one("#banner").render())
            assert "live" in banner and "SIMULATED" not in banner
            await pilot.press("e")  # the cursor starts on BTC: show its venue rows
            await until(lambda: ("BTC", "okx") in app.rows, timeout=5, what="venue rows shown")
            fx.inject("okx", "status", status=503)
            await until(
                lambda: ("BTC", "okx") in app.view.old_series, timeout=10, what="okx rows marked stale"
            )
            # Every cell of the okx row is drawn in the stale colour; bybit still answers, so its row is not.
            # The cross-venue row is, since its sums still carry okx's last figures.
            assert {style for cell in app.view.cells(("BTC", "okx")) for _, style in cell} == {"stale"}
            assert "stale" not in {style for cell in app.view.cells(("BTC", "bybit")) for _, style in cell}
            assert ("BTC", ALL) in app.view.old_series
            fx.clear()
            await until(lambda: ("BTC", "okx") not in app.view.old_series, timeout=15, what="okx fresh again")
            await pilot.press("q")


async def test_no_venue_reachable_fills_the_banner_with_a_pointer_to_demo(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    opts = {"bybit": {"base_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"}}
    src = LiveSource(["BTC"], ["bybit"], 0.5, opts, timeout_s=1.0, backfill=False)
    app = _app(tmp_path, src)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(
            lambda: "no venue reachable" in str(app.query_one("#banner").render()),
            timeout=10,
            what="banner notice",
        )
        text = str(app.query_one("#banner").render())
        assert "perptop --demo" in text and "bybit" in text
        assert app.query_one("#banner").has_class("unreachable")
        await pilot.press("q")


async def test_a_symbol_a_venue_does_not_list_says_so_in_its_venue_row(tmp_path: Path) -> None:
    async with FakeExchange(["BTC", "ETH"], unlisted={"okx": {"BTC"}}) as fx:
        src = LiveSource(["BTC"], ["bybit", "okx"], 0.5, options(fx), timeout_s=1.0, backfill=False)
        app = _app(tmp_path, src)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(lambda: ("BTC", "okx") in app.view.unlisted, timeout=10, what="okx listing read")
            await pilot.press("e")
            await until(lambda: ("BTC", "okx") in app.rows, timeout=5, what="venue rows shown")
            assert app.view.cells(("BTC", "okx"))[2] == (("not listed", "muted"),)
            assert "not listed: BTC" in next(
                s.detail for s in src.health(src.clock()).venues if s.venue == "okx"
            )
            await pilot.press("q")
