"""Benchmark of events and alerts: what a bar close costs with 10 rules on 50 symbols, and how the events
table grows per day. A script that prints figures, not a test.

The simulated market (50 symbols x 4 venues, its week of history loaded) is stepped one 5-minute bar at a
time for a simulated day (288 closes) into a bar store watched by an ``EventService`` with ten rules
(flags, thresholds, a log sink), its events recorded into a history store of their own. Printed: ms per
bar close spent on events (min / median / p95 / max), that cost as a share of a core at one close every
5 minutes, events and alerts per day, and the events table's bytes per event and per day.

Run: python bench/bench_events.py [--symbols 50] [--bars 288]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from feeds.history.writer import HistoryWriter
from feeds.sim import SimulatedMarket
from feeds.sim.source import DemoSource
from signals.params import SignalParams
from tui.alerts.service import EventService
from tui.alerts.sinks import Deliverer
from tui.config.alerts import AlertRule, EventSettings, Sinks, Threshold
from tui.model.bars import BarStore, capacity_for

START_MS = 1_767_225_600_000
STEP = 300_000
NAMES = [f"S{i:03d}" for i in range(200)]


def rules(log: Path) -> list[AlertRule]:
    """Ten rules of the kinds the README shows: flags, thresholds both ways, confidence, an edge filter."""
    sinks = Sinks(log=log)
    th = Threshold
    return [
        AlertRule("squeeze", flags=("short_squeeze_risk", "long_squeeze_risk"), cooldown_s=1800, sinks=sinks),
        AlertRule("cascade", flags=("cascade_risk",), cooldown_s=3600, sinks=sinks),
        AlertRule("momentum", flags=("bull_momentum", "bear_momentum"), min_confidence=0.9, sinks=sinks),
        AlertRule("weak", flags=("weak_rally", "weak_selloff"), only_with_edge=True, sinks=sinks),
        AlertRule("extreme", flags=("funding_extreme",), cooldown_s=0, sinks=sinks),
        AlertRule("everything", flags=("*",), cooldown_s=7200, sinks=sinks),
        AlertRule("hot", thresholds=(th("funding_8h", "above", 0.0004, "funding_8h_above"),), sinks=sinks),
        AlertRule("cold", thresholds=(th("funding_8h", "below", -0.0002, "funding_8h_below"),), sinks=sinks),
        AlertRule("oi", thresholds=(th("oi_change", "above", 0.03, "oi_change_above"),), sinks=sinks),
        AlertRule(
            "liq", thresholds=(th("liquidations_1h", "above", 2e6, "liquidations_1h_above"),), sinks=sinks
        ),
    ]


def main() -> int:
    """Run the day and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbols", type=int, default=50)
    ap.add_argument("--bars", type=int, default=288, help="bar closes to run (288: a day of 5-minute bars)")
    args = ap.parse_args()
    params = SignalParams()
    symbols = NAMES[: args.symbols]
    market = SimulatedMarket(symbols, seed=1, start_ms=START_MS)
    source = DemoSource(market, clock=lambda: START_MS, live=False)
    store = BarStore(symbols, market.venues, capacity_for(params, STEP, 24.0), STEP)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.sqlite3"
        writer = HistoryWriter(path, step_ms=STEP)
        writer.start()
        deliverer = Deliverer(None)
        service = EventService(
            params,
            EventSettings(),
            rules(Path(tmp) / "alerts.jsonl"),
            lambda: store.symbols,
            lambda: START_MS,
            delivery=deliverer,
            writer=writer,
        )
        source.attach(store)  # the simulated week, before the service watches: history makes no events
        service.attach(store)
        costs: list[float] = []
        real = service.process

        def timed(s: BarStore, t: int) -> list[object]:
            t0 = time.perf_counter()
            out = real(s, t)
            costs.append((time.perf_counter() - t0) * 1000)
            return out  # type: ignore[return-value]

        service.process = timed  # type: ignore[method-assign]
        for _ in range(args.bars):
            source.step(STEP / 1000)
        deliverer.close(10)
        writer.flush(30)
        conn_bytes = _events_bytes(path)
        writer.close()
    n = len(costs)
    per_day = 288 / max(n, 1)
    q = statistics.quantiles(costs, n=20)[-1] if n >= 20 else max(costs)
    print(
        f"{args.symbols} symbols x {len(market.venues)} venues, 10 rules, {n} bar closes ({n * 5 / 60:.1f} h)"
    )
    print(
        f"events per bar close (ms): min {min(costs):.2f}  median {statistics.median(costs):.2f}  "
        f"p95 {q:.2f}  max {max(costs):.2f}"
    )
    print(f"share of a core at one close per 5 min: {statistics.mean(costs) / 300_000 * 100:.4f} %")
    print(
        f"events {service.seen} ({service.seen * per_day:.0f} a day), alerts {service.counts.sent} "
        f"({service.counts.suppressed} held back)"
    )
    print(
        f"events table: {conn_bytes / max(service.seen, 1):.0f} bytes an event, "
        f"{conn_bytes * per_day / 1e6:.2f} MB a day at {args.symbols} symbols"
    )
    return 0


def _events_bytes(path: Path) -> int:
    """Bytes the events table and its index take (SQLite's dbstat), else a row-size estimate."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('events', 'events_by_wall_time')"
        ).fetchone()
        if row and row[0]:
            return int(row[0])
        return int(conn.execute("SELECT sum(length(doc)) + 60 * count(*) FROM events").fetchone()[0] or 0)
    finally:
        conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
