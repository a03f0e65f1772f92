"""Request plans: which calls a venue feed makes, how often, and what that costs against each budget.

A venue adapter lists ``PlanItem``s for a watchlist of n symbols; ``fit_plan`` stretches the intervals of
the per-symbol items until every budget is under its allowed share, and ``plan_lines`` prints the result
for ``perptop venues``. The feed runs exactly the fitted plan, so what the command prints is what the
feed does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from feeds.net.limiter import Budget
from signals.formats import counted


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One recurring call of a feed.

    Attributes:
        job: the adapter's name for it (passed back to ``poll``).
        endpoint: what it requests, for people.
        budget: the ``Budget.name`` it spends.
        weight: units of that budget per call.
        per_symbol: one call per symbol (True) or one call for all symbols (False).
        interval_s: seconds between rounds.
        purpose: the data it brings.
    """

    job: str
    endpoint: str
    budget: str
    weight: float
    per_symbol: bool
    interval_s: float
    purpose: str

    def calls(self, n_symbols: int) -> int:
        """Calls per round for ``n_symbols``."""
        return n_symbols if self.per_symbol else 1


def usage(items: list[PlanItem], budget: Budget, n_symbols: int) -> float:
    """Units of ``budget`` the items spend per budget window, on average."""
    total = 0.0
    for item in items:
        if item.budget == budget.name:
            total += item.weight * item.calls(n_symbols) * budget.window_s / item.interval_s
    return total


def fit_plan(
    items: list[PlanItem], budgets: list[Budget], n_symbols: int, share: float = 0.5
) -> list[PlanItem]:
    """The items with per-symbol intervals stretched so each budget stays under ``share`` of its limit.

    Items for all symbols keep their interval (they are the cheap batch calls); if those alone exceed a
    budget the plan cannot fit and is returned as is (``plan_lines`` then says so).
    """
    out = list(items)
    for budget in budgets:
        allowed = budget.limit * share
        fixed = usage([i for i in out if not i.per_symbol], budget, n_symbols)
        stretch = usage([i for i in out if i.per_symbol], budget, n_symbols)
        if fixed + stretch <= allowed or stretch == 0 or fixed >= allowed:
            continue
        factor = stretch / (allowed - fixed)
        out = [
            replace(i, interval_s=math.ceil(i.interval_s * factor - 1e-9))
            if i.per_symbol and i.budget == budget.name
            else i
            for i in out
        ]
    return out


def plan_lines(
    venue: str, items: list[PlanItem], budgets: list[Budget], n_symbols: int, share: float = 0.5
) -> list[str]:
    """``perptop venues`` text for one venue: each call, its cadence, and each budget's use."""
    lines = [f"{venue} ({counted(n_symbols, 'symbol')})"]
    # Backfill at start goes through the same limiters, so it never pushes a budget past its share.
    for i in items:
        calls = counted(i.calls(n_symbols), "call")
        lines.append(f"  {i.endpoint:<58} {calls:>10} every {_secs(i.interval_s):>6}  {i.purpose}")
    for b in budgets:
        used = usage(items, b, n_symbols)
        pct = 100 * used / b.limit
        verdict = "ok" if used <= b.limit * share + 1e-9 else f"OVER the {share:.0%} target"
        shown = f"{used:,.0f}" if used >= 10 else f"{used:.2g}"
        lines.append(
            f"  budget {b.name}: {shown} of {b.limit:,.0f} per {_secs(b.window_s)} "
            f"({pct:.0f} % of the limit, {verdict}){'  [' + b.source + ']' if b.source else ''}"
        )
    return lines


def _secs(s: float) -> str:
    if s >= 3600 and s % 3600 == 0:
        return f"{s / 3600:g} h"
    if s >= 60 and s % 60 == 0:
        return f"{s / 60:g} min"
    return f"{s:g} s"
