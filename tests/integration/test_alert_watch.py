"""Alerts end to end: ``perptop watch --replay FILE --speed max`` against a loopback webhook and a command hook.

The expected alerts are worked out here from the backtest's events (``signals.evaluate`` and
``rising_edges`` on the same bars), the replay's documented start (the bars the signal windows need,
leaving a day to play) and the rules as the README states them: a cooldown per rule and symbol, and
at most ``max_alerts_per_hour`` alerts in any hour of bar time, counted in file order.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from feeds.history.csvfile import write_history_csv
from signals.columns import Col
from signals.evaluate import evaluate, needed_bars
from signals.flags import FLAG_NAMES
from signals.params import SignalParams, n_bars
from signals.scoring import rising_edges
from tests.support.history import real_binance_btc
from tui.cli import main

H = 3_600_000


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> tuple[str, list[dict[str, object]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", server.received  # type: ignore[misc,attr-defined]
    server.shutdown()
    server.server_close()


def _expected(bars: np.ndarray, cooldown_h: dict[str, float], cap: int) -> list[tuple[int, str, str]]:
    """(bar time, flag, rule) of every alert the README's rules make on ``bars`` (rule named after its flag)."""
    params = SignalParams()
    total = len(bars)
    to_play = max(1, min(total // 2, n_bars(24.0, H)))
    first = (
        max(1, min(needed_bars(params, H), total - to_play)) - 1
    )  # the first bar that closes in the replay
    table = evaluate(bars, params, H)
    times = bars[:, Col.TIME].astype(np.int64)
    events = sorted(
        (int(times[i]), FLAG_NAMES.index(name), name)
        for name in cooldown_h
        for i in rising_edges(table.fired[name])
        if i >= first
    )
    last: dict[str, int] = {}
    sent: list[int] = []
    out = []
    for t, _, flag in events:
        rule = flag
        if rule in last and t - last[rule] < cooldown_h[rule] * H:
            continue
        if len([s for s in sent if s > t - H]) >= cap:
            continue
        last[rule] = t
        sent.append(t)
        out.append((t, flag, rule))
    return out


def test_a_replayed_year_alerts_a_webhook_and_a_hook_exactly_as_the_rules_say(
    tmp_path: Path, webhook: tuple[str, list[dict[str, object]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, received = webhook
    bars = real_binance_btc(tmp_path)
    csv = tmp_path / "btc.csv"
    write_history_csv(csv, {"BTC": bars}, H)
    hook = tmp_path / "hook.py"
    hook.write_text(
        "import json, sys\n"
        f"with open({str(tmp_path / 'hook.jsonl')!r}, 'a') as f:\n"
        "    f.write(json.dumps(json.load(sys.stdin)) + '\\n')\n"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        "[events]\nmax_alerts_per_hour = 1\n\n"
        f'[[alerts]]\nname = "funding_flip"\nflags = ["funding_flip"]\ncooldown = "12h"\nwebhook = "{url}"\n'
        f"command = [{json.dumps(sys.executable)}, {json.dumps(str(hook))}]\n\n"
        f'[[alerts]]\nname = "funding_extreme"\nflags = ["funding_extreme"]\ncooldown = "0s"\nwebhook = "{url}"\n'
    )
    code = main(["watch", "--config", str(config), "--replay", str(csv), "--speed", "max", "--jsonl"])
    out, err = capsys.readouterr()
    assert code == 0, err
    expected = _expected(bars, {"funding_flip": 12.0, "funding_extreme": 0.0}, cap=1)
    assert len(expected) > 10
    from signals.times import iso_utc

    got = [(doc["time"], doc["flag"], doc["rule"]) for doc in received]
    assert got == [(iso_utc(t), f, r) for t, f, r in expected]
    # The command hook got every alert of its rule as valid JSON, the same objects the webhook got.
    hooked = [json.loads(line) for line in (tmp_path / "hook.jsonl").read_text().splitlines()]
    assert hooked == [doc for doc in received if doc["rule"] == "funding_flip"]
    # Held-back alerts are counted and kept on the printed events, not dropped silently.
    printed = [json.loads(line) for line in out.splitlines()]
    held = [e for e in printed if e["suppressed"]]
    assert held and all(s.endswith(("cooldown", "rate cap")) for e in held for s in e["suppressed"])
    assert f"{len(expected)} alerts delivered" in err
