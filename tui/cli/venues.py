"""``perptop venues``: each venue's request plan and rate-limit budget, now and at 500 symbols.

The figures come from the same ``fit_plan`` the feeds run, so the printout is what perptop does.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from tui.config.loader import AppConfig

AT_SCALE = 500


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``venues`` to the CLI's ``subparsers`` and return its parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "venues",
        help="print each venue's request plan and budget for the watchlist",
        description="Print what perptop asks each venue, how often, and how much of each published rate "
        "limit that spends, for the current watchlist and for 500 symbols.",
    )
    parser.set_defaults(handler=run)
    return parser


def run(config: AppConfig, args: argparse.Namespace) -> int:
    """The handler: the plans on standard output."""
    return print_plans(config, sys.stdout)


def print_plans(config: AppConfig, out: TextIO) -> int:
    """Print the plans of the config's venues for its watchlist and for ``AT_SCALE`` symbols; returns 0."""
    _write(config, out)  # `perptop venues | head`: the closed pipe is ``tui.cli.main``'s to end quietly
    out.flush()
    return 0


def _write(config: AppConfig, out: TextIO) -> None:
    from feeds.live.source import venue_urls
    from feeds.net.plan import fit_plan, plan_lines
    from feeds.venues import make_adapter
    from signals.formats import counted

    n = len(config.watchlist)
    out.write(
        f"perptop request plans: {counted(n, 'symbol')}, poll every {config.poll_interval:g} s, "
        "each budget kept under half of the venue's published limit.\n"
        "The start-up backfill (7 days per symbol) goes through the same limiters; budgets shown at 0 "
        "are used by it alone.\n\n"
    )
    for name in config.venues:
        adapter = make_adapter(name)
        urls, ws = venue_urls(adapter, config.venue_options.get(name, {}))
        items = fit_plan(adapter.plan(config.poll_interval), adapter.budgets, n)
        out.writelines(line + "\n" for line in plan_lines(name, items, adapter.budgets, n))
        out.write(f"  {rest_urls(urls)}{'; stream ' + ws if ws and adapter.liquidations else ''}\n")
        liq = {
            "observed": "liquidations over WebSocket, observed (a lower bound)",
            "all": "liquidations over WebSocket, all of them",
            "": "no public liquidation feed",
        }[adapter.liquidations]
        out.write(f"  {liq}; funding interval: {adapter.funding_interval_note}\n")
        big = fit_plan(adapter.plan(config.poll_interval), adapter.budgets, AT_SCALE)
        slowed = [(a, b) for a, b in zip(items, big, strict=True) if b.interval_s != a.interval_s]
        if slowed:
            what = ", ".join(f"{b.endpoint.split('?')[0]} every {b.interval_s:g} s" for _, b in slowed)
            out.write(f"  at {AT_SCALE} symbols: slowed to stay under half the limits: {what}\n\n")
        else:
            out.write(f"  at {AT_SCALE} symbols: same cadence, every budget still under half\n\n")


def rest_urls(urls: dict[str, str]) -> str:
    """The REST base URLs by role, each role named once: ``rest https://fapi.binance.com, spot https://...``.

    The roles are the adapter's names for its bases (``rest`` for the futures API, ``spot`` where the spot
    API lives elsewhere), so the role word stands in front of its URL rather than as ``rest=`` after a
    ``rest`` label.
    """
    return ", ".join(f"{role} {url}" for role, url in urls.items())
