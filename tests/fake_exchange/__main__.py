"""Run the fake exchange standalone: ``python -m tests.fake_exchange --port 8900 --symbols 50``.

Serves HTTP on ``--port`` and WebSocket on ``--port + 1`` until Ctrl-C, on the real clock, and prints the
perptop command line that points every venue at it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from tests.fake_exchange.market import default_symbols
from tests.fake_exchange.server import FakeExchange


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_exchange", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=8900, help="HTTP port; WebSocket uses port + 1 (default 8900)"
    )
    parser.add_argument("--symbols", type=int, default=50, help="how many base coins to list (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the market's series (default 1)")
    parser.add_argument(
        "--ping-interval", type=float, default=20.0, help="WS keepalive ping seconds (default 20)"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serve until cancelled, after printing the flags to give perptop."""
    symbols = default_symbols(args.symbols)
    async with FakeExchange(
        symbols,
        seed=args.seed,
        http_port=args.port,
        ws_port=args.port + 1 if args.port else 0,
        ping_interval=args.ping_interval,
    ) as fx:
        print(
            f"fake exchange: HTTP {fx.http_url}  WS {fx.ws_url}  ({len(symbols)} symbols, seed {args.seed})"
        )
        print("perptop --watchlist " + ",".join(symbols) + " " + " ".join(fx.base_url_args()), flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point: serve until Ctrl-C."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(_parse(argv)))


if __name__ == "__main__":
    main()
