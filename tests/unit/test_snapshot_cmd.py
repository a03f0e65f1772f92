"""`perptop snapshot`: the scripting interface's JSON shape, its units, and the plain table."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from signals.flags import FLAG_NAMES
from tui.cli import main

ROW_KEYS = {
    "symbol",
    "venue",
    "price",
    "change_24h",
    "oi",
    "oi_usd",
    "oi_change",
    "funding",
    "funding_8h",
    "funding_interval_h",
    "ls_ratio",
    "liq_long_usd_1h",
    "liq_short_usd_1h",
    "spot_futures_ratio",
    "flags",
}


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    config = tmp_path_factory.mktemp("cfg") / "config.toml"
    config.write_text("")
    capture = tmp_path_factory.mktemp("out") / "snapshot.json"
    import contextlib

    with capture.open("w") as out, contextlib.redirect_stdout(out):
        assert main(["snapshot", "--demo", "--json", "--config", str(config)]) == 0
    return json.loads(capture.read_text())


def test_json_has_the_documented_shape(demo_json: dict) -> None:  # type: ignore[type-arg]
    assert set(demo_json) == {"generated_at", "mode", "venues", "symbols"}
    assert demo_json["mode"] == "demo"
    assert demo_json["generated_at"].endswith("Z")
    assert demo_json["venues"] and all(set(v) == {"state", "detail"} for v in demo_json["venues"].values())
    for row in demo_json["symbols"]:
        assert set(row) >= ROW_KEYS
        for flag in row["flags"]:
            assert {"name", "direction", "reason", "confidence"} <= set(flag)
            assert flag["name"] in FLAG_NAMES and flag["reason"]


def test_every_flag_is_on_somewhere_on_the_default_demo_watchlist(demo_json: dict) -> None:  # type: ignore[type-arg]
    on = {f["name"] for row in demo_json["symbols"] for f in row["flags"]}
    assert on == set(FLAG_NAMES)


def test_units_are_consistent(demo_json: dict) -> None:  # type: ignore[type-arg]
    rows = demo_json["symbols"]
    assert {r["venue"] for r in rows} >= {"all"}
    for r in rows:
        assert r["oi_usd"] == pytest.approx(r["oi"] * r["price"], rel=1e-9)
        assert r["funding_8h"] == pytest.approx(r["funding"] * 8 / r["funding_interval_h"], rel=1e-9)
        assert abs(r["change_24h"]) < 1  # a fraction, not a percent
    hourly = [r for r in rows if r["funding_interval_h"] == 1.0]
    assert hourly, "the demo has a 1h-funding venue"
    for r in rows:  # spot trades beside the perp, within its premium
        assert r["spot_price"] == pytest.approx(r["price"], rel=0.01)


def test_every_row_says_when_funding_is_next_charged(demo_json: dict) -> None:  # type: ignore[type-arg]
    generated = datetime.fromisoformat(demo_json["generated_at"].replace("Z", "+00:00"))
    soonest: dict[str, datetime] = {}
    for r in demo_json["symbols"]:
        nxt = datetime.fromisoformat(r["next_funding_time"].replace("Z", "+00:00"))
        if r["venue"] == "all":
            continue
        # Settlements fall on whole hours of the venue's interval, within one interval from now.
        assert nxt.minute == nxt.second == 0 and nxt.hour % int(r["funding_interval_h"]) == 0, r
        assert 0 < (nxt - generated).total_seconds() <= r["funding_interval_h"] * 3600, r
        soonest[r["symbol"]] = min(soonest.get(r["symbol"], nxt), nxt)
    for r in demo_json["symbols"]:
        if r["venue"] == "all":  # the cross-venue row: the soonest of its venues
            assert r["next_funding_time"] == soonest[r["symbol"]].strftime("%Y-%m-%dT%H:%M:%SZ"), r


def test_table_says_simulated_and_lists_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    assert main(["snapshot", "--demo", "--config", str(config), "--watchlist", "BTC,SOL"]) == 0
    out = capsys.readouterr().out
    assert "SIMULATED MARKET" in out
    assert "\x1b[" not in out  # no colour codes: it pipes into files and scripts
    lines = out.splitlines()
    assert any(line.startswith("BTC ") and " all " in line for line in lines)
    assert not re.search(r"\bnan\b", out)  # unknowns show as a dash


def test_the_table_has_the_added_figures_beside_oi_and_funding() -> None:
    # by hand: 0.0002 per 8 h is 0.0002 x 3 x 365 = +21.9 % a year; the settlement 1 h 23 min 20 s away
    # reads 1h23m; the perp at 96,512.3 over spot at 96,480.0 is 32.3 / 96,480 = +0.033 % of basis
    from tui.model.rows import RowData
    from tui.model.snapshot import write_table

    now = 1_750_000_000_000
    row = RowData(
        "BTC", "binance", 96_512.3, 0.01, 1.0, 1e9, 0.02, 0.0002, 0.0002, 8.0, 1.5, 1e5, 2e5, 0.5,
        next_funding_ms=now + 5_000_000, premium=0.00042, spot_price=96_480.0, ls_top_position=1.3,
        taker_flow_4h=0.06, spot_taker_flow_4h=-0.04,
    )  # fmt: skip
    out = io.StringIO()
    write_table([row], {"binance": {"state": "ok"}}, "live", now, out)
    header, line = out.getvalue().splitlines()[3:5]
    names, values = re.split(r"\s{2,}", header.strip()), re.split(r"\s{2,}", line.strip())
    cells = dict(zip(names, values, strict=False))  # no flag on: the FLAGS cell is empty
    assert cells["APR"] == "+21.9%" and cells["NEXT"] == "1h23m"
    assert cells["PREMIUM"] == "+0.042%" and cells["BASIS"] == "+0.033%"
    assert cells["L/S"] == "1.50" and cells["TOP L/S"] == "1.30"
    assert cells["FLOW P/S"] == "+6/-4"
