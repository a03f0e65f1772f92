"""``perptop snapshot --json`` live, ``perptop venues`` and the live flags, run as a user runs them."""

from __future__ import annotations

import asyncio
import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fake_exchange import FakeExchange
from tests.support.paths import ROOT
from tui.cli import build_config, build_parser
from tui.cli.venues import print_plans
from tui.config.loader import AppConfig


async def _perptop(*args: str, timeout: float = 40.0) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tui.cli",
        *args,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".no-home"), "NO_PROXY": "127.0.0.1"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode(), time.monotonic() - started


@pytest.mark.serial  # its run time is asserted
async def test_live_snapshot_json_reports_each_venue_state_and_the_rows() -> None:
    async with FakeExchange(["BTC", "ETH"]) as fx:
        fx.inject("binance", "status", status=451)
        code, out, err, took = await _perptop(
            "snapshot", "--json", "--watchlist", "BTC,ETH", "--timeout", "6", *fx.base_url_args()
        )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["mode"] == "live"
    assert doc["venues"]["binance"]["state"] == "blocked"
    assert doc["venues"]["binance"]["detail"].startswith(
        "HTTP 451 Service unavailable from a restricted location"
    )
    for v in ("bybit", "okx", "hyperliquid"):
        assert doc["venues"][v]["state"] == "ok", doc["venues"][v]
    rows = {(r["symbol"], r["venue"]): r for r in doc["symbols"]}
    assert rows[("BTC", "all")]["price"] > 0 and rows[("ETH", "bybit")]["oi"] > 0
    assert rows[("BTC", "binance")]["price"] is None  # blocked: nothing invented for it
    assert took < 6 + 8  # --timeout bounds the wait (plus start-up and exit)


@pytest.mark.serial  # its run time is asserted
async def test_live_snapshot_exits_3_when_no_venue_answers() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err, took = await _perptop(
        "snapshot",
        "--json",
        "--watchlist",
        "BTC",
        "--venues",
        "okx,bybit",
        "--timeout",
        "2",
        "--base-url",
        f"okx=http://127.0.0.1:{port}",
        "--base-url",
        f"bybit=http://127.0.0.1:{port}",
    )
    assert code == 3, (out, err)
    doc = json.loads(out)
    assert set(doc["venues"]) == {"okx", "bybit"}
    assert all(v["state"] == "error" and "cannot connect" in v["detail"] for v in doc["venues"].values())
    assert "no venue produced data" in err and "--demo" in err
    assert took < 2 + 8


def test_venues_prints_each_plan_and_what_happens_at_500_symbols() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui.cli", "venues", "--watchlist", "BTC,ETH,SOL"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT / ".no-home")},
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for venue in ("binance (3 symbols)", "bybit (3 symbols)", "okx (3 symbols)", "hyperliquid (3 symbols)"):
        assert venue in text
    # Binance with 3 symbols: 6 polls/min x (40 + 10) + 3 open-interest calls a minute + 3 taker-flow
    # klines every 2 minutes = 304.5 of 2400, printed to the unit as 304 (half to even).
    assert "budget weight: 304 of 2,400 per 1 min (13 % of the limit, ok)" in text
    # OKX's long/short endpoint allows 5 requests / 2 s: half is 2.5; 500 symbols every 300 s would be
    # 3.33 per 2 s, so the round stretches to 300 x 3.33 / 2.5 = 400 s.
    assert (
        "at 500 symbols: slowed to stay under half the limits: "
        "GET /api/v5/rubik/stat/contracts/long-short-account-ratio-contract every 400 s"
    ) in text
    assert "OVER" not in text


def test_venues_prints_each_rest_url_after_its_role_once() -> None:
    out = io.StringIO()
    assert print_plans(AppConfig(watchlist=("BTC",)), out) == 0
    text = out.getvalue()
    assert "rest=" not in text and "rest rest" not in text
    # Binance's spot API lives on another host; the stream is shown as before.
    assert (
        "  rest https://fapi.binance.com, spot https://api.binance.com; stream wss://fstream.binance.com\n"
        in text
    )
    assert "  rest https://api.hyperliquid.xyz\n" in text
    # one symbol is "1 symbol", in the heading and in each venue's title
    assert text.startswith("perptop request plans: 1 symbol, poll every 10 s,")
    assert "\nbinance (1 symbol)\n" in text and "1 symbols" not in text
    mirrored = io.StringIO()
    print_plans(AppConfig(watchlist=("BTC",), venues=("binance",), venue_options=MIRROR), mirrored)
    assert "  rest http://127.0.0.1:9, spot http://127.0.0.1:9; stream wss://fstream.binance.com\n" in (
        mirrored.getvalue()
    )


MIRROR = {"binance": {"base_url": "http://127.0.0.1:9"}}


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--base-url", "binance=http://127.0.0.1:9"], {"binance": {"base_url": "http://127.0.0.1:9"}}),
        (
            ["--base-url", "okx=ws://127.0.0.1:9", "--base-url", "okx=https://mirror.example"],
            {"okx": {"ws_url": "ws://127.0.0.1:9", "base_url": "https://mirror.example"}},
        ),
    ],
)
def test_base_url_flags_pick_rest_or_stream_by_scheme(
    argv: list[str], expected: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    config = tmp_path / "perptop.toml"
    config.write_text("")
    args = build_parser().parse_args([*argv, "--config", str(config)])
    assert build_config(args, environ={}).venue_options == expected


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--base-url", "kraken=http://x"],
            "expected VENUE=URL with VENUE one of binance, bybit, okx, hyperliquid",
        ),
        (["--base-url", "binance=ftp://x"], "binance: expected an http(s):// or ws(s):// URL"),
        (["--venues", "binance,kraken"], "unknown venue 'kraken'"),
    ],
)
def test_bad_live_flags_are_one_line_errors(argv: list[str], message: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui.cli", *argv], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
