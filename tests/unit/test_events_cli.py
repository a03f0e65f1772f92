"""``perptop events``: the stored events, filtered by time, symbol and kind, as lines or JSON; one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.history.store import HistoryStore
from tui.cli import main

T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC
H = 3_600_000


def _doc(symbol: str, kind: str, name: str, reason: str) -> str:
    return json.dumps(
        {
            "symbol": symbol,
            "venue": "all",
            "kind": kind,
            "flag": None if kind == "threshold" else name,
            "rule": name if kind == "threshold" else None,
            "direction": 1,
            "reason": reason,
            "confidence": 1.0,
            "record": None,
            "record_note": "not measured yet",
            "alerted": [],
            "suppressed": [],
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "h.sqlite3"
    s = HistoryStore(path, None)
    rows = [
        (
            T0,
            "BTC",
            "all",
            "flag_on",
            "cascade_risk",
            T0 + 60_000,
            _doc("BTC", "flag_on", "cascade_risk", "liq"),
        ),
        (
            T0 + H,
            "ETH",
            "all",
            "flag_off",
            "weak_rally",
            T0 + H,
            _doc("ETH", "flag_off", "weak_rally", "off"),
        ),
        (
            T0 + 2 * H,
            "BTC",
            "all",
            "threshold",
            "hot",
            T0 + 2 * H,
            _doc("BTC", "threshold", "hot", "funding"),
        ),
    ]
    s.write_batch([("events", rows)])
    s.close()
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> tuple[int, str, str]:
    config = tmp_path / "config.toml"
    config.write_text("")
    code = main(["events", "--config", str(config), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_events_print_oldest_first_and_filter(
    store: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = _run(["--store", str(store), "--since", "2025-01-01"], capsys, tmp_path)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("2025-01-01T00:00:00Z  BTC cascade_risk on: liq")
    assert lines[2].startswith("2025-01-01T02:00:00Z  BTC hot crossed: funding")
    code, out, _ = _run(
        ["--store", str(store), "--since", "2025-01-01", "--symbols", "btcusdt", "--json"], capsys, tmp_path
    )
    docs = json.loads(out)
    assert code == 0 and [d["kind"] for d in docs] == ["flag_on", "threshold"]
    assert docs[0]["time"] == "2025-01-01T00:00:00Z" and docs[0]["wall_time"] == "2025-01-01T00:01:00Z"
    code, out, _ = _run(
        ["--store", str(store), "--since", "2025-01-01T00:30:00", "--kind", "flag_off"], capsys, tmp_path
    )
    assert code == 0 and len(out.splitlines()) == 1 and "ETH weak_rally off" in out


def test_no_store_or_not_a_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["--store", str(tmp_path / "absent.sqlite3")], capsys, tmp_path)
    assert code == 2 and err.count("\n") == 1 and "absent.sqlite3: no such file" in err
    assert "a monitor that does not record shows its events with l" in err
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    code, _, err = _run(["--store", str(junk)], capsys, tmp_path)
    assert code == 2 and err.count("\n") == 1
    assert f"{junk}: not an SQLite database, so not a history store (it is text" in err
    code, _, err = _run(["--kind", "flag_sideways"], capsys, tmp_path)
    assert code == 2 and "expected kinds from flag_on, flag_off, threshold" in err
