"""``perptop serve [--host 127.0.0.1] [--port 8765]``: the monitor in a browser tab, through textual-serve.

textual-serve runs a small web server; each browser tab that opens the page starts its own
``python -m tui.cli`` with the monitor's options the user gave here (``--demo``, ``--config``,
``--watchlist``, ``--venues``, ``--theme``, ...) and draws its screen with xterm.js. It is the
optional extra ``perptop[serve]`` (aiohttp and its kin, ~16 MB), imported only when this handler
runs, so ``perptop --help`` does not pay for it and a missing install is one line on stderr.

The server listens on localhost unless ``--host`` says otherwise; any other address gets a warning,
since textual-serve has no authentication and the app can edit the watchlist's state file.
"""

from __future__ import annotations

import argparse
import errno
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themes import theme_names
from tui.cli import args as types
from tui.config.loader import AppConfig
from tui.config.paths import default_config_path, state_path_for

if TYPE_CHECKING:
    from textual_serve.server import Server

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
EXIT_USAGE = 2
EXIT_FAILURE = 1
APP_EXIT_WAIT_S = 5.0
MISSING = "perptop serve needs textual-serve: pip install 'perptop[serve]'"


def port(text: str) -> int:
    """``--port``: a TCP port from 1 to 65535 (0 would pick one at random that nobody is told about)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``serve`` to the CLI's ``subparsers`` and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve the app in a browser tab (textual-serve; localhost unless --host)",
        description="Serve perptop in a browser: each tab that opens the page runs its own perptop "
        "with the options given here (--demo, --config, --watchlist, --venues, --theme, ...). "
        "There is no authentication: anyone who can reach the address gets the full app, a/d "
        "included, so it listens on localhost unless --host says otherwise. Needs the extra "
        "perptop[serve].",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        metavar="ADDRESS",
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; 0.0.0.0 exposes the "
        "app, with no authentication, to every network this machine is on)",
    )
    parser.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"TCP port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        default=None,
        help="the URL browsers reach the server by, behind a proxy (default: the address each browser used)",
    )
    # The monitor's own --theme and --speed, also after the word `serve`; SUPPRESS keeps a value
    # given before it (`perptop --theme nord serve`) from being reset by this parser's default.
    parser.add_argument(
        "--theme",
        choices=theme_names(),
        metavar="NAME",
        default=argparse.SUPPRESS,
        help=f"colour theme of the served app: {', '.join(theme_names())}",
    )
    parser.add_argument(
        "--speed",
        type=types.speed,
        metavar="N",
        default=argparse.SUPPRESS,
        help="simulated time runs N times faster than real time (with --demo)",
    )
    parser.set_defaults(handler=run)
    return parser


def monitor_argv(args: argparse.Namespace) -> list[str]:
    """The monitor's options from ``args``, as arguments that give the served app the same ones."""
    argv: list[str] = []
    if args.demo:
        argv.append("--demo")
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if getattr(args, "speed", None) is not None:
        argv += ["--speed", repr(args.speed)]
    if args.config is not None:
        argv += ["--config", str(args.config)]
    if args.watchlist:
        argv += ["--watchlist", ",".join(args.watchlist)]
    if args.venues:
        argv += ["--venues", ",".join(args.venues)]
    for venue, _key, url in getattr(args, "base_url", None) or ():
        argv += ["--base-url", f"{venue}={url}"]
    if getattr(args, "theme", None):
        argv += ["--theme", args.theme]
    return argv


def app_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve runs for each browser tab: this Python, this perptop."""
    # textual-serve hands the command to a shell, so every argument is quoted (paths with spaces).
    command = shlex.join([sys.executable, "-m", "tui.cli", *monitor_argv(args)])
    # `exec`: the shell becomes the app, so the process textual-serve waits for (and stops) is the app
    # itself, not a shell that would outlive a kill of its own.
    return f"exec {command}" if os.name == "posix" else command


def is_loopback(host: str) -> bool:
    """True if ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    import ipaddress  # here, as socket below: building the parser for --help imports this module

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def exposure_warning(host: str, port: int, state_file: Path) -> str | None:
    """The one-line warning for a non-loopback ``host``, or None on loopback."""
    if is_loopback(host):
        return None
    return (
        f"perptop serve: warning: listening on {host} port {port} with no authentication: anyone who "
        f"can reach that address gets the full app, including a/d, which edit {state_file}"
    )


def check_port(host: str, port: int) -> str | None:
    """Bind ``host``:``port`` as the server will, and release it; a one-line problem, or None.

    Done before textual-serve starts, because it prints its banner ("Serving ... on ...") before it
    binds, so a port in use would otherwise read as a server that started.

    Raises:
        socket.gaierror: ``host`` is not an address or a name that resolves.
    """
    import socket

    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as sock:
            # aiohttp sets SO_REUSEADDR too: a port left in TIME_WAIT by the last run is free for it.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                return bind_problem(host, port, exc)
    return None


def bind_problem(host: str, port: int, exc: OSError) -> str:
    """One line saying why ``host``:``port`` could not be listened on."""
    if exc.errno == errno.EADDRINUSE:
        return f"perptop serve: port {port} on {host} is already in use (choose another with --port)"
    if exc.errno == errno.EACCES:
        return f"perptop serve: no permission to listen on port {port} (ports under 1024 need root)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"perptop serve: {host} is not an address of this machine (see --host)"
    return f"perptop serve: cannot listen on {host} port {port}: {exc.strerror or exc}"


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: serve the app until Ctrl-C or SIGTERM (exit 0); 2 for bad arguments, 1 if it can't listen."""
    try:
        return _serve(args)
    except KeyboardInterrupt:  # Ctrl-C before the server's own signal handling is in place
        return 0


def _serve(args: argparse.Namespace) -> int:
    import socket

    try:
        server_class = _server_class()
    except ImportError:
        print(MISSING, file=sys.stderr)
        return EXIT_USAGE
    host: str = args.host
    try:
        problem = check_port(host, args.port)
    except (socket.gaierror, UnicodeError) as exc:
        print(
            f"perptop serve: --host {host!r} is not an address or a known host name ({exc})", file=sys.stderr
        )
        return EXIT_USAGE
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_FAILURE
    state_file = state_path_for(args.config or default_config_path())
    warning = exposure_warning(host, args.port, state_file)
    if warning:
        print(warning, file=sys.stderr)
    server = server_class(
        app_command(args),
        host=host,
        port=args.port,
        title=shlex.join(["perptop", *monitor_argv(args)]),
        public_url=args.public_url,
    )
    try:
        server.serve()  # returns when SIGINT or SIGTERM asks it to stop
    except OSError as exc:  # lost the port between the check and the bind
        print(bind_problem(host, args.port, exc), file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _server_class() -> type[Server]:
    """textual-serve's Server, whose page sends each browser back to the address it came by.

    textual-serve writes ``http://HOST:PORT`` into the page as the address of the app's WebSocket;
    with ``--host 0.0.0.0`` (or ``::1``) that is no address a browser can connect to. Unless
    ``--public-url`` is given, the page uses the Host header of the request that fetched it.

    Raises:
        ImportError: textual-serve is not installed.
    """
    import asyncio
    import gc

    from aiohttp import web
    from textual_serve.server import Server

    class _Server(Server):
        def __init__(self, command: str, *, host: str, port: int, title: str, public_url: str | None) -> None:
            super().__init__(command, host=host, port=port, title=title, public_url=public_url)
            self.from_request = public_url is None
            self.sessions: set[asyncio.Task[Any]] = set()

        async def handle_index(self, request: web.Request) -> Any:
            if self.from_request:
                # Read synchronously by the page's handler, with no await between: no other request
                # can see this value.
                self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            task = asyncio.current_task()
            assert task is not None
            self.sessions.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.sessions.discard(task)

        async def on_shutdown(self, app: web.Application) -> None:
            # aiohttp waits up to a minute for open WebSockets on the way out (measured: SIGTERM with a
            # tab open took over 20 s). Cancelled, each session asks its app to quit and waits for it,
            # then closes its socket: Ctrl-C and SIGTERM return at once and leave no app behind.
            for task in list(self.sessions):
                task.cancel()
            await asyncio.gather(*self.sessions, return_exceptions=True)
            await _reap_apps()

    async def _reap_apps() -> None:
        # A session ends when its app closes its output, a moment before the process has exited. Left to
        # the garbage collector after aiohttp closed the loop, such an app's transport printed "Exception
        # ignored ... RuntimeError: Event loop is closed" (on Ctrl-C, Python 3.13: 2 runs in 10).
        # textual-serve keeps no list of its processes, hence the search among live objects.
        transports = [o for o in gc.get_objects() if isinstance(o, asyncio.SubprocessTransport)]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + APP_EXIT_WAIT_S
        while any(t.get_returncode() is None for t in transports) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for transport in transports:
            transport.close()  # closes its pipes while the loop runs; kills an app that did not quit
        await asyncio.sleep(0)  # the pipes' close callbacks run

    return _Server
