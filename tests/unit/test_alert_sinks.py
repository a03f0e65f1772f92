"""Alert delivery: each sink gets the alert, a slow or broken one holds up nothing else, and its health says why.

Expected values come from the spec of the sinks (the OSC and tmux sequences, the error lines), written
out by hand here rather than built with the code under test. Every wait is bounded.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT
from tui.alerts.senders import apprise_label, command_label, webhook_label
from tui.alerts.sinks import Deliverer
from tui.config.alerts import Sinks

EVENT: dict[str, Any] = {
    "time": "2026-11-25T15:55:00Z",
    "wall_time": "2026-11-25T15:56:01Z",
    "symbol": "BTC",
    "venue": "all",
    "kind": "flag_on",
    "flag": "short_squeeze",
    "rule": "squeezes",
    "direction": 1,
    "reason": "funding -0.05% 8h, OI +3.1% 4h, price +2.0% 4h — ünïcode",
    "confidence": 1.0,
    "record": None,
    "record_note": "not enough history: 4 events",
    "alerted": ["squeezes"],
    "suppressed": [],
}
TITLE = "BTC short_squeeze on"
BODY = "funding -0.05% 8h"
WAIT_S = 5.0
"""The longest any test waits for something that should take milliseconds."""


def wait_for(check: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


class Terminal:
    """A terminal writer that records what it was given, from any thread."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            self.writes.append(text)


@pytest.fixture(autouse=True)
def _outside_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite may itself run inside tmux: a test that wants tmux says so."""
    monkeypatch.delenv("TMUX", raising=False)


@pytest.fixture
def deliverer() -> Iterator[Deliverer]:
    d = Deliverer(Terminal(), command_timeout_s=5.0, webhook_timeout_s=5.0, retry_pause_s=0.05)
    yield d
    d.close(1.0)


# ---- the terminal: bell and OSC ------------------------------------------------------------------


def test_bell_writes_exactly_the_bell_character() -> None:
    term = Terminal()
    d = Deliverer(term)
    d.deliver(EVENT, TITLE, BODY, Sinks(bell=True))
    assert d.close(WAIT_S)
    assert term.writes == ["\a"]
    assert d.health()[0].label == "bell" and d.health()[0].delivered == 1


def test_osc_writes_osc_9_and_osc_777() -> None:
    term = Terminal()
    d = Deliverer(term)
    d.deliver(EVENT, TITLE, BODY, Sinks(osc=True))
    assert d.close(WAIT_S)
    osc_9 = "\x1b]9;BTC short_squeeze on: funding -0.05% 8h\x07"
    osc_777 = "\x1b]777;notify;BTC short_squeeze on;funding -0.05% 8h\x07"
    assert term.writes == [osc_9 + osc_777]  # one write: nothing can come between the two


def test_inside_tmux_each_sequence_is_passed_through_with_its_escapes_doubled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1234,0")
    term = Terminal()
    d = Deliverer(term)
    d.deliver(EVENT, "T", "B", Sinks(osc=True))
    assert d.close(WAIT_S)
    assert term.writes == [
        "\x1bPtmux;\x1b\x1b]9;T: B\x07\x1b\\\x1bPtmux;\x1b\x1b]777;notify;T;B\x07\x1b\\",
    ]


def test_an_empty_tmux_variable_is_not_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMUX", "")
    term = Terminal()
    d = Deliverer(term)
    d.deliver(EVENT, "T", "B", Sinks(osc=True))
    assert d.close(WAIT_S)
    assert term.writes == ["\x1b]9;T: B\x07\x1b]777;notify;T;B\x07"]


def test_osc_off_writes_nothing_at_all(tmp_path: Path) -> None:
    term = Terminal()
    d = Deliverer(term)
    d.deliver(EVENT, TITLE, BODY, Sinks(osc=False, log=tmp_path / "a.jsonl"))
    assert d.close(WAIT_S)
    assert term.writes == []
    assert (tmp_path / "a.jsonl").exists()  # the alert itself went out


def test_control_characters_cannot_inject_sequences() -> None:
    term = Terminal()
    d = Deliverer(term)
    body = "up\x1b]0;pwned\x07 10%\x9b2J\nnext\x00"
    d.deliver(EVENT, "BTC;x\x1b[31m", body, Sinks(osc=True))
    assert d.close(WAIT_S)
    # ESC and BEL only frame the two sequences; ';' in the OSC 777 title would start the body early.
    assert term.writes == [
        "\x1b]9;BTC;x[31m: up]0;pwned 10%2J next\x07\x1b]777;notify;BTC,x[31m;up]0;pwned 10%2J next\x07"
    ]


def test_without_a_terminal_bell_and_osc_are_undeliverable_not_errors() -> None:
    d = Deliverer(None)
    for _ in range(3):
        d.deliver(EVENT, TITLE, BODY, Sinks(bell=True, osc=True))
    assert d.close(WAIT_S)
    assert d.errors() == []
    assert {h.label: h.undeliverable for h in d.health()} == {"bell": 3, "osc": 3}
    assert d.counts().undeliverable == 6 and d.counts().failed == 0


# ---- command hooks -------------------------------------------------------------------------------


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _python_label(script: Path) -> str:
    return f"command {os.path.basename(sys.executable)} {script.name}"


def test_a_command_gets_the_event_as_json_on_stdin(tmp_path: Path, deliverer: Deliverer) -> None:
    out = tmp_path / "got.json"
    hook = _script(
        tmp_path,
        "hook.py",
        """
        import sys
        data = sys.stdin.buffer.read()
        open(sys.argv[1], "wb").write(data)
        """,
    )
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(command=(sys.executable, str(hook), str(out))))
    assert deliverer.close(WAIT_S)
    assert json.loads(out.read_bytes().decode("utf-8")) == EVENT
    assert deliverer.errors() == [] and deliverer.counts().delivered == 1


def test_a_failing_command_is_recorded_with_its_exit_status_and_first_stderr_line(
    tmp_path: Path, deliverer: Deliverer
) -> None:
    hook = _script(
        tmp_path,
        "fail.py",
        """
        import sys
        sys.stderr.write("\\n  no route to the pager  \\nsecond line\\n")
        sys.exit(3)
        """,
    )
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(command=(sys.executable, str(hook))))
    assert deliverer.close(WAIT_S)
    assert deliverer.errors() == [f"{_python_label(hook)}: exit 3: no route to the pager"]
    (health,) = deliverer.health()
    assert (health.delivered, health.failed, health.failing) == (0, 1, True)


def test_a_command_that_does_not_exist_is_an_error_not_an_exception(deliverer: Deliverer) -> None:
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(command=("/nonexistent/dir/notify-hook",)))
    assert deliverer.close(WAIT_S)
    assert deliverer.errors() == ["command notify-hook: not found"]


def test_a_command_is_never_run_through_a_shell(tmp_path: Path, deliverer: Deliverer) -> None:
    marker = tmp_path / "pwned"
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(command=(f"true; touch {marker}",)))
    assert deliverer.close(WAIT_S)
    assert not marker.exists()
    assert deliverer.counts().failed == 1


# ---- a slow sink holds up nobody -----------------------------------------------------------------


def test_a_full_queue_drops_and_counts_and_never_blocks_the_caller() -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck_terminal(text: str) -> None:
        started.set()
        release.wait(WAIT_S)

    d = Deliverer(stuck_terminal, max_pending=1)
    d.deliver(EVENT, TITLE, BODY, Sinks(bell=True))
    assert started.wait(WAIT_S)  # the worker is inside the first write
    t0 = time.monotonic()
    for _ in range(4):
        d.deliver(EVENT, TITLE, BODY, Sinks(bell=True))
    assert time.monotonic() - t0 < 0.1
    release.set()
    assert d.close(WAIT_S)
    (health,) = d.health()
    assert (health.delivered, health.dropped) == (2, 3)


# ---- log files -----------------------------------------------------------------------------------


def test_the_log_gets_one_json_line_per_alert(tmp_path: Path, deliverer: Deliverer) -> None:
    log = tmp_path / "alerts.jsonl"
    log.write_text('{"earlier": true}\n', encoding="utf-8")
    second = dict(EVENT, symbol="ETH", confidence=math.nan)
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(log=log))
    deliverer.deliver(second, TITLE, BODY, Sinks(log=log))
    assert deliverer.close(WAIT_S)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"earlier": True},
        EVENT,
        dict(EVENT, symbol="ETH", confidence=None),  # NaN is not JSON: null
    ]


def test_a_log_that_cannot_be_written_is_an_error_until_it_can(tmp_path: Path, deliverer: Deliverer) -> None:
    log = tmp_path / "gone" / "alerts.jsonl"
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(log=log))
    assert wait_for(lambda: deliverer.counts().failed == 1)
    assert deliverer.errors() == ["log alerts.jsonl: No such file or directory"]
    log.parent.mkdir()
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(log=log))
    assert wait_for(lambda: deliverer.counts().delivered == 1)
    assert deliverer.errors() == []  # it works again: no longer shown
    (health,) = deliverer.health()
    assert health.last_error == "log alerts.jsonl: No such file or directory" and not health.failing


# ---- desktop -------------------------------------------------------------------------------------


def test_desktop_without_notify_send_fails_once_clearly_and_looks_no_more(
    monkeypatch: pytest.MonkeyPatch, deliverer: Deliverer
) -> None:
    lookups: list[str] = []
    monkeypatch.setattr(shutil, "which", lambda name: lookups.append(name))
    for _ in range(3):
        deliverer.deliver(EVENT, TITLE, BODY, Sinks(desktop=True))
    assert deliverer.close(WAIT_S)
    assert deliverer.errors() == ["desktop: notify-send not found"]
    assert lookups == ["notify-send"]
    assert deliverer.counts().failed == 3


def test_desktop_runs_notify_send_with_title_and_body_as_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deliverer: Deliverer
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    out = tmp_path / "argv.json"
    fake = bin_dir / "notify-send"
    fake.write_text(
        f"#!{sys.executable}\nimport json, sys\nopen({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    deliverer.deliver(EVENT, "-BTC on", "body $(x) `y`", Sinks(desktop=True))
    assert deliverer.close(WAIT_S)
    assert deliverer.errors() == []
    assert json.loads(out.read_text()) == ["--app-name=perptop", "--", "-BTC on", "body $(x) `y`"]


# ---- apprise -------------------------------------------------------------------------------------


def test_apprise_missing_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, deliverer: Deliverer) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # import apprise raises ImportError
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(apprise=("ntfy://topic", "tgram://bot/chat")))
    assert deliverer.close(WAIT_S)
    assert deliverer.errors() == ["apprise: not installed (pip install apprise)"]
    assert deliverer.counts().failed == 2


def _fake_apprise(sent: list[tuple[str, str, str]], succeed: bool) -> types.ModuleType:
    module = types.ModuleType("apprise")

    class Apprise:
        def __init__(self) -> None:
            self.urls: list[str] = []

        def add(self, url: str) -> bool:
            self.urls.append(url)
            return True

        def notify(self, body: str, title: str = "") -> bool:
            sent.append((self.urls[0], title, body))
            if not succeed:
                logging.getLogger("apprise").warning("Failed to send ntfy notification: 403 - Forbidden.")
            return succeed

    module.Apprise = Apprise  # type: ignore[attr-defined]
    return module


def test_apprise_notifies_each_url_with_title_and_body(
    monkeypatch: pytest.MonkeyPatch, deliverer: Deliverer
) -> None:
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setitem(sys.modules, "apprise", _fake_apprise(sent, succeed=True))
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(apprise=("ntfy://topic", "tgram://bot/chat")))
    assert deliverer.close(WAIT_S)
    assert sorted(sent) == [("ntfy://topic", TITLE, BODY), ("tgram://bot/chat", TITLE, BODY)]
    assert deliverer.errors() == [] and deliverer.counts().delivered == 2


def test_a_failed_apprise_notification_is_recorded_with_apprises_reason(
    monkeypatch: pytest.MonkeyPatch, deliverer: Deliverer
) -> None:
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setitem(sys.modules, "apprise", _fake_apprise(sent, succeed=False))
    deliverer.deliver(EVENT, TITLE, BODY, Sinks(apprise=("ntfy://topic",)))
    assert deliverer.close(WAIT_S)
    assert deliverer.errors() == ["apprise ntfy: Failed to send ntfy notification: 403 - Forbidden."]


# ---- closing -------------------------------------------------------------------------------------


def test_close_drains_the_queues_then_deliver_is_counted_not_raised(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    d = Deliverer(None)
    for _ in range(20):
        d.deliver(EVENT, TITLE, BODY, Sinks(log=log))
    assert d.close(WAIT_S) is True
    assert len(log.read_text().splitlines()) == 20
    d.deliver(EVENT, TITLE, BODY, Sinks(log=log))  # must not raise
    assert len(log.read_text().splitlines()) == 20
    assert d.counts().dropped == 1
    assert d.close(WAIT_S) is True  # twice is fine


def test_deliver_never_raises_on_an_odd_event(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    d = Deliverer(None)
    cyclic: dict[str, Any] = {"symbol": "BTC"}
    cyclic["self"] = cyclic
    d.deliver(dict(EVENT, extra={1, 2}), TITLE, BODY, Sinks(log=log))  # a set: written as its str
    d.deliver(cyclic, TITLE, BODY, Sinks(log=log))
    assert d.close(WAIT_S)
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert first["extra"] in ("{1, 2}", "{2, 1}")
    assert second["title"] == TITLE and "error" in second


# ---- labels and import cost ----------------------------------------------------------------------


def test_labels_name_the_destination_without_its_secrets() -> None:
    assert (
        webhook_label("https://user:pw@hooks.example.com/T000/B000/XXXX?token=1")
        == "webhook hooks.example.com"
    )
    assert webhook_label("http://127.0.0.1:8080/x") == "webhook 127.0.0.1:8080"
    assert apprise_label("tgram://123456:ABCDEF/987") == "apprise tgram"
    assert command_label(["/usr/local/bin/notify.sh", "--urgent"]) == "command notify.sh"
    assert command_label(["/usr/bin/python3", "/home/u/hook.py"]) == "command python3 hook.py"
    assert command_label(["/opt/shout.sh", "s3cr3t"]) == "command shout.sh"  # arguments may be secrets


def test_importing_the_sinks_brings_neither_httpx_nor_textual() -> None:
    code = "import sys, tui.alerts.sinks; print(sorted(m for m in ('httpx', 'textual', 'apprise') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "[]"
