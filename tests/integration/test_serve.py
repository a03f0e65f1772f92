"""``perptop serve --demo`` end to end: a real server, a real headless Chromium, the app's screen in the picture.

The browser runs Debian's ``chromium`` (``.ci/run`` installs it where it can; without it the browser test
skips and says so). It is driven through the DevTools protocol over the ``websockets`` client perptop
already depends on, not ``chromium --screenshot``: that one fast-forwards virtual time, so it captures
textual-serve's loading dialog before the app's process (started when the page connects) has drawn
anything. Here the test waits, on the wall clock and within a bound, until the terminal has the app's
first bytes and its top line is the demo's one-colour band, then takes the screenshot.

Every process started here (the server and its apps, the browser) runs in a process group of its own,
killed in a ``finally``; every wait has a timeout.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT

pytestmark = pytest.mark.serial  # a web server, its apps and a browser: several processes each

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed: apt-get install chromium"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(check: Any, seconds: float, what: str, interval: float = 0.1) -> Any:
    """Call ``check`` until it returns something truthy; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds:g} s")
        time.sleep(interval)


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _group(pgid: int) -> list[tuple[int, list[str]]]:
    """The live processes of process group ``pgid`` (zombies left out), with their command lines."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # it ended while we looked
            continue
        if int(stat[2]) == pgid and stat[0] != "Z":
            found.append((int(entry.name), [a.decode(errors="replace") for a in argv if a]))
    return found


@contextlib.contextmanager
def _server(tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``perptop serve --demo --port P`` on an empty config, in its own process group; killed at the end."""
    port = _free_port()
    config = tmp_path / "config.toml"
    config.write_text("")
    command = [sys.executable, "-m", "tui.cli", "serve", "--demo", "--port", str(port)]
    command += ["--config", str(config), *args]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=(tmp_path / "server.out").open("w"),
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: proc.poll() is not None or _answers(port), 30, "the server listening")
        assert proc.poll() is None, f"the server exited: {proc.communicate(timeout=10)[1]}"
        yield proc, port
    finally:
        _kill_group(proc)


def _stop(proc: subprocess.Popen[str], sig: signal.Signals, *, group: bool = False) -> tuple[int, str]:
    """Send ``sig`` (to the whole group, as a terminal's Ctrl-C does, with ``group``): exit status, stderr."""
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"perptop serve still running 20 s after {sig.name}")
    return proc.returncode, err


def _page(port: int, host: str | None = None) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/")
    if host:
        request.add_header("Host", host)
    # No proxy: loopback traffic only, whatever the machine's proxy variables say.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        return str(response.read().decode())


def test_the_page_names_the_app_and_points_the_browser_back_where_it_came_from(tmp_path: Path) -> None:
    with _server(tmp_path) as (proc, port):
        html = _page(port)
        assert "perptop --demo" in html  # textual-serve's title, shown while the app starts
        assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html
        # Whatever address the browser used (a LAN name with --host 0.0.0.0), the page sends it back there.
        html = _page(port, host=f"localhost:{port}")
        assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in html
        code, err = _stop(proc, signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in err


def test_ctrl_c_stops_it_with_status_0(tmp_path: Path) -> None:
    with _server(tmp_path) as (proc, _port):
        code, err = _stop(proc, signal.SIGINT, group=True)
    assert code == 0
    assert "Traceback" not in err


def test_a_port_in_use_is_one_line_and_status_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli", "serve", "--demo", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert (
        done.stderr
        == f"perptop serve: port {port} on 127.0.0.1 is already in use (choose another with --port)\n"
    )
    assert done.stdout == ""  # not even textual-serve's "Serving ..." banner


# --- the browser -------------------------------------------------------------------------------------


class _DevTools:
    """The few DevTools protocol calls the test needs, on one page target."""

    def __init__(self, websocket: Any) -> None:
        self._ws = websocket
        self._id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        deadline = time.monotonic() + 30
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self._id:  # events in between are not for us
                assert "error" not in message, message
                return dict(message["result"])

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def png(self, x: int = 0, y: int = 0, width: int = 0, height: int = 0, scale: float = 1.0) -> bytes:
        params: dict[str, Any] = {"format": "png"}
        if width:
            params["clip"] = {"x": x, "y": y, "width": width, "height": height, "scale": scale}
        return base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])


@contextlib.contextmanager
def _chromium(tmp_path: Path, url: str) -> Iterator[_DevTools]:
    """Headless Chromium on ``url``, driven through the DevTools protocol; killed at the end."""
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces it may not have
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-proxy-server",
        # The page asks a web font host for Roboto Mono: resolve nothing but loopback, so the test sends
        # nothing off this machine and never waits on a network it does not have.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
        "--remote-debugging-port=0",
        url,
    ]
    with (tmp_path / "chromium.log").open("w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    try:
        active = profile / "DevToolsActivePort"  # Chromium writes its port here once it listens
        _wait_for(
            lambda: proc.poll() is not None or (active.exists() and active.read_text().count("\n")),
            30,
            "chromium",
        )
        assert proc.poll() is None, (tmp_path / "chromium.log").read_text()[-2000:]
        debug_port = int(active.read_text().split()[0])
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def page_target() -> str | None:
            with opener.open(f"http://127.0.0.1:{debug_port}/json/list", timeout=10) as response:
                targets = json.load(response)
            return next((t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"), None)

        from websockets.sync.client import connect

        with connect(_wait_for(page_target, 30, "chromium's page"), max_size=None, open_timeout=10) as ws:
            yield _DevTools(ws)
    finally:
        _kill_group(proc)


def _png_pixels(data: bytes) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Width, height and rows of pixels of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and not interlace, header
    bpp = 4 if colour == 6 else 3
    raw, stride = zlib.decompress(idat), width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind_byte = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind_byte == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_byte == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_byte == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_byte == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[i : i + 3]) for i in range(0, stride, bpp)])
        previous = line
    return width, height, rows


def _top_line_is_a_band(devtools: _DevTools, width: int) -> bool:
    """True once the screen's first line is one colour, edge to edge, unlike the lines under it.

    That is the demo's "SIMULATED MARKET" band (in any theme): textual-serve's loading page has the
    same dotted background at the top as below it.
    """
    _, _, (band,) = _png_pixels(devtools.png(0, 0, width, 1))  # the top pixel row: above the lettering
    _, _, (below,) = _png_pixels(devtools.png(0, 120, width, 1))  # through a table row: mostly background
    colour, count = collections.Counter(band).most_common(1)[0]
    background = collections.Counter(below).most_common(1)[0][0]
    return count >= 0.9 * len(band) and colour != background


@needs_chromium
@pytest.mark.parametrize(
    ("sig", "group"), [(signal.SIGTERM, False), (signal.SIGINT, True)], ids=["sigterm", "ctrl-c"]
)
def test_a_browser_shows_the_demo_and_a_stop_ends_every_session(
    tmp_path: Path, sig: signal.Signals, group: bool
) -> None:
    with (
        _server(tmp_path, "--watchlist", "BTC,ETH") as (proc, port),
        _chromium(tmp_path, f"http://127.0.0.1:{port}/") as devtools,
    ):
        log = tmp_path / "server.out"

        def first_bytes() -> bool:
            # textual-serve logs an app that died before drawing, and copies its stderr to this log.
            assert "Application failed to start" not in log.read_text(), log.read_text()[-3000:]
            # ... and marks the page once the app's first bytes reach the terminal.
            return bool(devtools.evaluate("document.body?.classList.contains('-first-byte')"))

        _wait_for(first_bytes, 60, "the app's first bytes in the browser", interval=0.25)
        width = int(devtools.evaluate("window.innerWidth"))
        _wait_for(lambda: _top_line_is_a_band(devtools, width), 30, "the demo band drawn", interval=0.25)
        shot = devtools.png()
        (tmp_path / "main.png").write_bytes(shot)
        keep = os.environ.get("PERPTOP_SERVE_SCREENSHOT")  # to look at it: PERPTOP_SERVE_SCREENSHOT=x.png
        if keep:
            Path(keep).write_bytes(shot)
        assert len(shot) > 20_000, "a screenshot this small is an empty page"
        w, h = struct.unpack(">II", shot[16:24])
        assert (w, h) == (width, int(devtools.evaluate("window.innerHeight")))
        _, _, small = _png_pixels(devtools.png(0, 0, w, h, scale=0.1))
        colours = {pixel for row in small for pixel in row}
        assert len(colours) > 20, f"{len(colours)} colours: the terminal drew nothing"

        # The app behind the page is this perptop, with the options `serve` was given.
        apps = [argv for _, argv in _group(proc.pid) if "tui.cli" in argv and "serve" not in argv]
        assert apps, _group(proc.pid)
        argv = apps[0]
        assert argv[argv.index("tui.cli") + 1 :] == [
            "--demo",
            "--config",
            str(tmp_path / "config.toml"),
            "--watchlist",
            "BTC,ETH",
        ]

        # Stopped with a session open (Ctrl-C reaches the apps too): status 0, and its app goes with it.
        code, err = _stop(proc, sig, group=group)
        assert code == 0, err
        assert "Traceback" not in err
        _wait_for(lambda: not _group(proc.pid), 10, f"every app process gone after {sig.name}")
    # textual-serve copies its apps' stderr to its standard output
    assert "Traceback" not in (tmp_path / "server.out").read_text()
