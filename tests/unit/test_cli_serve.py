"""``perptop serve``'s arguments: the command each browser tab runs, the one-line errors, the --host warning.

No server starts here: ``_server_class`` is replaced by a recorder (tests/integration/test_serve.py runs
the real one, in a browser).
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT
from tui import cli
from tui.cli import serve
from tui.cli.parser import build_parser


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default config folder at a temporary one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace textual-serve's Server with a recorder whose serve() returns at once."""
    calls: list[dict[str, Any]] = []

    class Server:
        def __init__(self, command: str, **kwargs: Any) -> None:
            calls.append({"command": command, **kwargs})

        def serve(self) -> None:
            calls[-1]["served"] = True

    monkeypatch.setattr(serve, "_server_class", lambda: Server)
    return calls


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("port", "words"),
    [
        ("http", "expected a port number, got 'http'"),
        ("80.5", "expected a port number"),
        ("0", "expected a port from 1 to 65535, got '0'"),
        ("65536", "expected a port from 1 to 65535"),
        ("-1", "expected a port from 1 to 65535"),
    ],
)
def test_a_bad_port_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]], port: str, words: str
) -> None:
    code, out, err = run(["serve", "--demo", f"--port={port}"], capsys)
    assert (code, out, served) == (2, "", [])
    assert err.startswith("perptop serve: error: argument --port: ") and words in err
    assert err.count("\n") == 1


def test_a_port_in_use_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(["serve", "--demo", "--port", str(port)], capsys)
    assert (code, out, served) == (1, "", [])
    assert err == f"perptop serve: port {port} on 127.0.0.1 is already in use (choose another with --port)\n"


def test_an_address_not_on_this_machine_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]]
) -> None:
    # 192.0.2.0/24 is reserved for documentation: no machine has it, so binding it fails at once.
    code, _, err = run(["serve", "--host", "192.0.2.1", "--port", str(_free_port())], capsys)
    assert (code, served) == (1, [])
    assert err == "perptop serve: 192.0.2.1 is not an address of this machine (see --host)\n"


def test_textual_serve_missing_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import textual_serve.server` raise ImportError, as when it is not installed.
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    code, out, err = run(["serve", "--demo"], capsys)
    assert (code, out) == (2, "")
    assert err == "perptop serve needs textual-serve: pip install 'perptop[serve]'\n"


def test_localhost_by_default_with_no_warning(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]]
) -> None:
    port = _free_port()
    code, _, err = run(["serve", "--demo", "--port", str(port)], capsys)
    assert (code, err) == (0, "")
    ((call,),) = [served]
    assert (call["host"], call["port"], call["served"]) == ("127.0.0.1", port, True)
    assert call["public_url"] is None  # the page sends each browser back to the address it used
    assert call["title"] == "perptop --demo"
    # `exec`: the shell textual-serve runs it with becomes the app, which it then stops directly
    assert shlex.split(call["command"]) == ["exec", sys.executable, "-m", "tui.cli", "--demo"]
    assert build_parser().parse_args(["serve"]).port == 8765


def test_another_address_warns_in_one_line_what_it_exposes(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]], tmp_path: Path
) -> None:
    config = tmp_path / "perptop.toml"
    config.write_text("")
    code, _, err = run(
        ["serve", "--demo", "--host", "0.0.0.0", "--port", str(_free_port()), "--config", str(config)], capsys
    )
    assert code == 0 and served[0]["host"] == "0.0.0.0"
    assert err.count("\n") == 1
    assert err.startswith("perptop serve: warning: listening on 0.0.0.0 port ")
    assert "no authentication" in err and "anyone who can reach that address gets the full app" in err
    assert err.endswith(f"including a/d, which edit {tmp_path / 'perptop.state.json'}\n")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("myhost.lan", False),
    ],
)
def test_only_loopback_addresses_go_without_a_warning(host: str, loopback: bool) -> None:
    assert serve.is_loopback(host) is loopback
    warning = serve.exposure_warning(host, 8765, Path("/x/state.toml"))
    assert (warning is None) is loopback


def test_the_monitor_options_pass_through_to_the_served_app(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]], tmp_path: Path
) -> None:
    config = tmp_path / "a folder" / "it's.toml"  # spaces and quotes survive the shell textual-serve uses
    config.parent.mkdir()
    config.write_text("")
    argv = ["--theme", "light", "--demo", "serve", "--port", str(_free_port()), "--seed", "7"]
    argv += [
        "--speed",
        "2.5",
        "--config",
        str(config),
        "--watchlist",
        "btc,ETHUSDT",
        "--venues",
        "okx,binance",
    ]
    argv += ["--base-url", "okx=http://127.0.0.1:9/okx", "--base-url", "okx=ws://127.0.0.1:9/ws"]
    code, _, err = run(argv, capsys)
    assert (code, err) == (0, "")
    command = shlex.split(served[0]["command"])
    assert command[:4] == ["exec", sys.executable, "-m", "tui.cli"]
    assert command[4:] == [
        "--demo",
        "--seed",
        "7",
        "--speed",
        "2.5",
        "--config",
        str(config),
        "--watchlist",
        "BTC,ETH",
        "--venues",
        "okx,binance",
        "--base-url",
        "okx=http://127.0.0.1:9/okx",
        "--base-url",
        "okx=ws://127.0.0.1:9/ws",
        "--theme",
        "light",
    ]
    # ... and the served app reads them as the same options.
    given, passed = build_parser().parse_args(argv), build_parser().parse_args(command[4:])
    for name in ("demo", "seed", "speed", "config", "watchlist", "venues", "base_url", "theme"):
        assert getattr(passed, name) == getattr(given, name), name
    assert passed.command is None  # the monitor itself, not `serve` again


def test_theme_and_speed_also_follow_the_word_serve(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]]
) -> None:
    code, _, _ = run(
        ["serve", "--demo", "--theme", "monochrome", "--speed", "10", "--port", str(_free_port())], capsys
    )
    assert code == 0
    assert shlex.split(served[0]["command"])[4:] == ["--demo", "--speed", "10.0", "--theme", "monochrome"]


def test_speed_without_demo_is_refused_as_for_the_monitor(
    capsys: pytest.CaptureFixture[str], served: list[dict[str, Any]]
) -> None:
    code, _, err = run(["serve", "--speed", "10"], capsys)
    assert (code, served) == (2, [])
    assert "--seed and --speed only apply with --demo" in err


def test_help_does_not_import_textual_serve() -> None:
    code = (
        "import sys; from tui.cli import main\n"
        "for argv in (['--help'], ['serve', '--help']):\n"
        "    try: main(argv)\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('textual_serve', 'aiohttp', 'textual') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    assert done.stderr.strip() == "[]", done.stderr
    assert "perptop serve" in done.stdout and "--host ADDRESS" in done.stdout
