"""Score every flag on the real data sets of ``../shared/data`` through ``perptop backtest --json``.

Each data set is turned into a history CSV (SIGNALS.md "Inputs") in a temporary directory, scored by the
real command line at the default thresholds (an empty config file), and summarised: bars, symbols, step,
span, which flags could be scored and why the others could not, then Markdown tables of every directional
flag at 24h and 4h against its baseline. A value observed at time T is the value of every bar that closes
at or after T (and not much later); a column a data set lacks is left out, never filled, so the backtest
reports the flags that need it as unscorable. ``--markdown`` prints only the tables.

Run: .venv/bin/python bench/backtest_real_data.py [--markdown] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from feeds.history.binance_vision import import_dir  # noqa: E402
from feeds.history.csvfile import write_history_csv  # noqa: E402
from signals.columns import COLUMNS, Col  # noqa: E402
from signals.scoring import DIRECTIONAL  # noqa: E402
from tui.config.values import format_duration  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
HOUR_MS = 3_600_000


@dataclass
class Built:
    """One data set as bar arrays (symbol -> (n, len(COLUMNS))), with what was done to it."""

    label: str
    series: dict[str, np.ndarray]
    step_ms: int
    notes: list[str] = field(default_factory=list)


def read_columns(path: Path, time_col: str, *cols: str) -> tuple[np.ndarray, np.ndarray]:
    """Epoch-ms times and float values (n, len(cols)) of a CSV, in file order."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    times = np.array([int(r[time_col]) for r in rows], dtype=np.int64)
    return times, np.array([[float(r[c]) for c in cols] for r in rows]).reshape(len(rows), len(cols))


def asof(at: np.ndarray, obs_t: np.ndarray, obs_v: np.ndarray, max_age_ms: float) -> np.ndarray:
    """The latest observation at or before each time of ``at``, NaN if none or older than ``max_age_ms``."""
    order = np.argsort(obs_t, kind="stable")
    obs_t, obs_v = obs_t[order], obs_v[order]
    i = np.searchsorted(obs_t, at, side="right") - 1
    ok = (i >= 0) & (at - obs_t[np.clip(i, 0, None)] <= max_age_ms)
    return np.where(ok, obs_v[np.clip(i, 0, None)], np.nan)


def new_bars(times: np.ndarray, price: np.ndarray) -> np.ndarray:
    bars = np.full((len(times), len(COLUMNS)), np.nan)
    bars[:, Col.TIME], bars[:, Col.PRICE] = times, price
    return bars


def trim(bars: np.ndarray, cols: tuple[int, ...]) -> np.ndarray:
    """The bars from the first to the last one where every column of ``cols`` has a value (the baseline
    counts every bar, so price-only years around weeks of OI would score the events against another period)."""
    have = np.flatnonzero(~np.isnan(bars[:, cols]).any(axis=1))
    return bars[have[0] : have[-1] + 1] if have.size else bars[:0]


def binance_btc(folder: Path) -> Built:
    """Binance's archive layout, read by the repo's own importer through symlinks under archive names."""
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(folder / "BTCUSDT-1h-futures.csv", Path(tmp) / "BTCUSDT-1h-2025-01.csv")
        os.symlink(folder / "BTCUSDT-funding.csv", Path(tmp) / "BTCUSDT-fundingRate-2025-01.csv")
        series, step, problems = import_dir(Path(tmp), interval=None, err=None)
    notes = [
        (
            "klines close = price, quoteVolume = futures_volume_usd; funding = latest 8h settlement by bar close "
            "(feeds.history.binance_vision.import_dir)"
        )
    ] + [f"importer: {p}" for p in problems]
    return Built("Binance BTCUSDT 1h", series, step, notes)


def gravestone(folder: Path) -> Built:
    """20 perps at 4h: candles, 4h OI (base coin) and funding, trimmed to the weeks where all three exist."""
    step, series, notes = 4 * HOUR_MS, {}, []
    for kfile in sorted((folder / "4h").glob("*.csv")):
        sym = kfile.stem
        if not (folder / "oi_4h" / kfile.name).exists() or not (folder / "funding" / kfile.name).exists():
            notes.append(f"{sym}: no 4h OI or funding file, left out")
            continue
        kt, kv = read_columns(kfile, "timestamp", "close", "quote_volume")
        kt, kv = kt[:-1], kv[:-1]  # the last candle was still open when the collector ran
        ot, ov = read_columns(folder / "oi_4h" / kfile.name, "timestamp", "sum_open_interest")
        ft, fv = read_columns(folder / "funding" / kfile.name, "timestamp", "funding_rate")
        ft = np.round(ft / 60_000).astype(np.int64) * 60_000  # settlements stamped a few ms after the hour
        interval_h = float(np.median(np.diff(np.sort(ft)))) / HOUR_MS
        bars, close = new_bars(kt, kv[:, 0]), kt + step
        bars[:, Col.FUT_VOL] = kv[:, 1]
        bars[:, Col.OI] = asof(close, ot, ov[:, 0], 2 * step)
        bars[:, Col.FUNDING] = asof(close, ft, fv[:, 0], 2 * interval_h * HOUR_MS)
        bars[:, Col.FUNDING_INTERVAL_H] = interval_h
        series[sym] = trim(bars, (Col.OI, Col.FUNDING))
        if interval_h != 8:
            notes.append(f"{sym}: funding every {interval_h:g}h (from its settlement times)")
    notes.insert(
        0,
        "4h candles exist for 20 majors only (OI/funding for 539): those 20 used; the 2 years of "
        "candles trimmed to the span with OI and funding; last (still open) candle dropped",
    )
    return Built("Binance 20 perps 4h", series, step, notes)


def okx_btc_snapshots(folder: Path) -> Built:
    """Hourly snapshots of the coin-margined BTC-USD-SWAP: each is taken as the close of the hour before its
    label."""
    with (folder / "funding_basis_data.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    label = [datetime.fromisoformat(r["date"]).replace(tzinfo=timezone.utc) for r in rows]
    times = np.array([int((t - timedelta(hours=1)).timestamp() * 1000) for t in label], dtype=np.int64)
    bars = new_bars(times, np.array([float(r["futures_price"]) for r in rows]))
    bars[:, Col.OI] = [float(r["open_interest"]) for r in rows]
    bars[:, Col.FUNDING] = [float(r["funding_rate"]) for r in rows]
    bars[:, Col.FUNDING_INTERVAL_H] = 8.0
    gaps = int((np.diff(times) > HOUR_MS).sum())
    notes = [
        "price = futures_price (perp last); funding = live/predicted rate at the snapshot, not the settled one",
        (
            "oi = contract count (1 contract = 100 USD, inverse perp): contracts do not move with price, whereas "
            "contracts*100/price would fall mechanically as price rises"
        ),
        f"{gaps} gaps of 2h or more (cron delays) left as empty bars; no volume, spot_price/basis/cvd unused",
    ]
    return Built("OKX BTC-USD-SWAP 1h snapshots", {"BTC-USD-SWAP": bars}, HOUR_MS, notes)


def okx_sol(folder: Path) -> Built:
    """5m SOL-USDT-SWAP: both commit folders merged (the later one wins on overlap), hourly OI/LS, 8h funding."""
    step = 300_000

    def merged(name: str, col: str) -> tuple[np.ndarray, np.ndarray]:
        values: dict[int, float] = {}
        parts = [read_columns(commit / name, "ts", col) for commit in folder.glob("commit_*")]
        for t, v in sorted(parts, key=lambda p: int(p[0].max())):  # the later fetch wins on overlap
            values.update(zip(t.tolist(), v[:, 0].tolist(), strict=True))
        keys = sorted(values)
        return np.array(keys, dtype=np.int64), np.array([values[k] for k in keys])

    t, price = merged("ohlcv_5m.csv", "close")
    t, price = t[:-1], price[:-1]  # the fetch ran a minute into the last 5m bar
    bars, close = new_bars(t, price), t + step
    ot, oi_usd = merged("open_interest.csv", "oi_value")
    bars[:, Col.OI] = asof(close, ot, oi_usd / asof(ot, close, price, step), 2 * HOUR_MS)
    lt, ls = merged("long_short_ratio.csv", "ratio")
    bars[:, Col.LS_RATIO] = asof(close, lt, ls, 2 * HOUR_MS)
    ft, fr = merged("funding_rate.csv", "fundingRate")
    bars[:, Col.FUNDING] = asof(close, ft, fr, 16 * HOUR_MS)
    bars[:, Col.FUNDING_INTERVAL_H] = 8.0
    notes = [
        "OI is USD (oi == oi_value): divided by the price at the OI's own hour to get SOL",
        "hourly OI / long-short carried over the twelve 5m bars of each hour; 5m volume (contracts) unused",
        "commit folders merged on ts without duplicates; trimmed to the bars with OI, long/short and funding",
    ]
    return Built(
        "OKX SOL-USDT-SWAP 5m",
        {"SOL-USDT-SWAP": trim(bars, (Col.OI, Col.LS_RATIO, Col.FUNDING))},
        step,
        notes,
    )


DATA_SETS: dict[str, Callable[[Path], Built]] = {
    "binance-btc-1h-funding-ggcmk": binance_btc,
    "binance-perps-gravestone": gravestone,
    "okx-btc-hourly-snapshots-olzhas": okx_btc_snapshots,
    "okx-sol-swap-jabine9966": okx_sol,
}


def backtest(csv_path: Path, config: Path) -> dict[str, Any]:
    """``perptop backtest FILE --json`` run as a user would, from the repo root."""
    cmd = [
        sys.executable,
        "-m",
        "tui.cli",
        "backtest",
        str(csv_path),
        "--json",
        "--horizons",
        "4h,24h",
        "--config",
        str(config),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"backtest exited {proc.returncode}: {proc.stderr.strip()}")
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def summary(name: str, built: Built, doc: dict[str, Any]) -> list[str]:
    series = built.series.values()
    t0, t1 = min(b[0, Col.TIME] for b in series), max(b[-1, Col.TIME] for b in series)
    syms = list(built.series)
    lines = [
        f"== {built.label}  ({name})",
        f"  bars {doc['bars']:,} | symbols {len(syms)} ({', '.join(syms[:6])}{', ...' if len(syms) > 6 else ''})"
        f" | step {format_duration(doc['step_s'] / 3600)} | {iso(t0)} -> {iso(t1)} UTC"
        + (f" | {doc['missing_bars']:,} missing bars left empty" if doc.get("missing_bars") else ""),
        f"  columns: {', '.join(c for c in doc['columns'] if c != 'time')}",
    ]
    scored = [f"{f} ({v['events']} events)" for f, v in doc["flags"].items() if f not in doc["unscorable"]]
    lines.append(f"  scorable: {', '.join(scored) or 'none'}")
    lines += [f"  not scorable: {f}: {why}" for f, why in doc["unscorable"].items()]
    problems = doc.get("problems") or []
    return (
        lines
        + [f"  file problems: {len(problems)}, first: {p}" for p in problems[:1]]
        + [f"  note: {n}" for n in built.notes]
    )


def tables(results: list[tuple[Built, dict[str, Any]]]) -> list[str]:
    """One Markdown table: a row per data set and directional flag it can score, both horizons side by side."""

    def cell(s: dict[str, Any]) -> str:
        if not s["n"]:
            return "no events"
        ci, dep = s["ci95"], s.get("ci95_dependent")
        apart = f"{s['n_independent']} apart: {dep[0] * 100:.0f}-{dep[1] * 100:.0f}%" if dep else "none apart"
        q = "" if s.get("q_value") is None else f", q {s['q_value']:.2f}"
        return (
            f"{pct(s['hit_rate'])} vs {pct(s['baseline'])} ({s['n']}: {ci[0] * 100:.0f}-{ci[1] * 100:.0f}%; "
            f"{apart}{q}) {VERDICT_WORD[s['verdict']]}"
        )

    out = [
        (
            "Default thresholds. Each cell: hit rate vs baseline (events: Wilson 95% interval; the events at "
            "least one horizon apart: their interval; the Benjamini-Hochberg q-value over every test of the "
            "run) and the verdict, taken on the events apart: beats (q <= 0.05 and that interval above the "
            "baseline), worse (below it), or = (no edge measured)."
        ),
        "",
        "| data set | flag | 4h ahead | 24h ahead |",
        "|---|---|---|---|",
    ]
    for built, doc in results:
        for flag in DIRECTIONAL:
            if flag in doc["unscorable"]:
                continue
            h = doc["flags"][flag]["horizons"]
            out.append(f"| {built.label} | {flag} | {cell(h['4h'])} | {cell(h['24h'])} |")
    return out


VERDICT_WORD = {"beats": "**beats**", "worse": "**worse**", "no edge measured": "="}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print only the Markdown tables")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        default=None,
        help="also keep the history CSVs in DIR (to run perptop backtest on them yourself)",
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}: this script needs the shared real data sets (../shared/data)")
    started = time.perf_counter()
    results: list[tuple[Built, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="perptop-real-") as tmp:
        config = Path(tmp) / "defaults.toml"
        config.write_text("")  # the default thresholds of SIGNALS.md, whatever the user's config says
        for name, build in DATA_SETS.items():
            folder = DATA / name
            if not folder.is_dir():
                print(f"== {name}: not found under {DATA}, skipped")
                continue
            try:
                built = build(folder)
            except (OSError, KeyError, ValueError, IndexError) as exc:
                print(f"== {name}: cannot be converted ({type(exc).__name__}: {exc}), skipped")
                continue
            write_history_csv(path := Path(tmp) / f"{name}.csv", built.series, built.step_ms)
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                write_history_csv(args.keep / f"{name}.csv", built.series, built.step_ms)
            results.append((built, doc := backtest(path, config)))
            if not args.markdown:
                print("\n".join(summary(name, built, doc)) + "\n")
    print("\n".join(tables(results)))
    if not args.markdown:
        print(f"\ntotal runtime {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
