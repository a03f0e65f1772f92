"""Binance's public data dumps (data.binance.vision) read into bars: what ``perptop import binance-vision``
runs.

Reads the files of data.binance.vision found anywhere under DIR, as ``.csv`` or ``.zip``:

- USD-M futures klines ``SYMBOL-INTERVAL-DATE.csv`` (``open_time, open, high, low, close, volume,
  close_time, quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ...``; older files have no
  header): price (close), futures volume (quote volume, USD) and the taker flows (taker buy = the taker-buy
  quote volume, taker sell = quote volume less it). Files under a ``spot`` folder give the spot volume and
  the spot taker flows; mark/index/premium klines are skipped.
- ``SYMBOL-metrics-DATE.csv`` (``create_time, symbol, sum_open_interest, sum_open_interest_value,
  count_toptrader_long_short_ratio, sum_toptrader_long_short_ratio, count_long_short_ratio,
  sum_taker_long_short_vol_ratio``, 5-minute snapshots): open interest (base coin), the long/short
  accounts ratio (``count_long_short_ratio``) and the top traders' position ratio
  (``sum_toptrader_long_short_ratio``: "sum" is by position, "count" by accounts, as Binance's
  ``topLongShortPositionRatio`` / ``topLongShortAccountRatio``). ``sum_taker_long_short_vol_ratio`` (taker
  buy / sell volume of the 5 minutes) is not used: a ratio without its volume cannot be summed into a
  bar's notional, and the klines carry the same flow in USD, exactly.
- ``SYMBOL-fundingRate-MONTH.csv`` (``calc_time, funding_interval_hours, last_funding_rate``): funding.

Bars are the klines of one interval (``--interval``, default the shortest found). A snapshot (metrics) or a
settlement (funding) taken at time T is the value at the close of the bar that closes at or after T, as
SIGNALS.md defines the levels, and carries to later bars only for a short while (30 minutes for metrics,
24 hours for funding): a missing dump file then shows as missing values, never as a flat line.
Symbols are base coins (``1000PEPEUSDT`` -> ``PEPE``, prices per coin). Every unreadable row is reported
with its file and line; progress goes to stderr. Files are streamed line by line, and a zip that would
expand past a bound (a zip bomb) stops the import (``feeds.history.dump_text``).
"""

from __future__ import annotations

import csv
import re
import sys
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from feeds.history.dump_text import LongLine, dump_lines
from feeds.symbols import split_instrument
from signals.columns import COLUMNS, Col

if TYPE_CHECKING:
    import numpy as np

METRICS_CARRY_MS = 30 * 60_000
FUNDING_CARRY_MS = 24 * 3_600_000
_PROGRESS_EVERY_S = 1.0

_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_INTERVAL = r"\d+[mhdw]|1mo"
_KLINES = re.compile(rf"^(?P<sym>[A-Z0-9]+)-(?P<interval>{_INTERVAL})-\d{{4}}-\d{{2}}(-\d{{2}})?\.(csv|zip)$")
_METRICS = re.compile(r"^(?P<sym>[A-Z0-9]+)-metrics-\d{4}-\d{2}-\d{2}\.(csv|zip)$")
_FUNDING = re.compile(r"^(?P<sym>[A-Z0-9]+)-fundingRate-\d{4}-\d{2}\.(csv|zip)$")
# Same file names as the traded klines, other prices: only their folder tells them apart.
_OTHER_KLINES = frozenset({"markPriceKlines", "indexPriceKlines", "premiumIndexKlines"})
# Binance spot klines are stamped in microseconds since 2025; anything this large is not milliseconds.
_MICROSECONDS_FROM = 10**14


def interval_ms(text: str) -> int:
    """``5m`` -> 300000. Months (``1mo``) have no fixed length and are refused.

    Raises:
        ValueError: for an interval that is not minutes, hours, days or weeks.
    """
    m = re.fullmatch(r"(\d+)([mhdw])", text)
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"{text!r} is not an interval like 5m, 1h, 1d")
    return int(m.group(1)) * _UNIT_MS[m.group(2)]


@dataclass(frozen=True)
class DumpFile:
    """One dump file: its kind (``klines``, ``spot``, ``metrics``, ``funding``), instrument and interval."""

    path: Path
    kind: str
    instrument: str
    interval: str = ""


@dataclass
class Points:
    """Time-stamped values of one instrument and kind, in file order (sorted later)."""

    times: list[int] = field(default_factory=list)
    values: list[tuple[float, ...]] = field(default_factory=list)


def scan(root: Path, paths: Iterable[Path] | None = None) -> tuple[list[DumpFile], int]:
    """The dump files under ``root`` (or only those of ``paths``, files under ``root``), sorted by path,
    and how many other files were passed over."""
    found: list[DumpFile] = []
    other = 0
    listed = root.rglob("*") if paths is None else paths
    for path in sorted(p for p in listed if p.is_file()):
        name = path.name
        if name.endswith(".CHECKSUM"):
            continue
        if (m := _METRICS.match(name)) is not None:
            found.append(DumpFile(path, "metrics", m.group("sym")))
        elif (m := _FUNDING.match(name)) is not None:
            found.append(DumpFile(path, "funding", m.group("sym")))
        elif (m := _KLINES.match(name)) is not None and not _OTHER_KLINES & set(path.parts):
            kind = "spot" if "spot" in path.relative_to(root).parts else "klines"
            found.append(DumpFile(path, kind, m.group("sym"), m.group("interval")))
        else:
            other += 1
    return found, other


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _epoch_ms(text: str, what: str) -> int:
    text = text.strip()
    if text.isdigit():
        value = int(text)
        return value // 1000 if value >= _MICROSECONDS_FROM else value
    try:  # metrics: "2024-01-15 00:05:00", UTC
        return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a time") from None


def _optional(text: str, what: str) -> float:
    """An optional value: empty is unknown (NaN); negative is an error."""
    if not text.strip():
        return float("nan")
    value = _number(text, what)
    if value < 0:
        raise ValueError(f"{what} {value:g} is negative")
    return value


def _kline(fields: list[str]) -> tuple[int, tuple[float, ...]]:
    if len(fields) < 8:
        raise ValueError(f"{len(fields)} fields, a kline has 12")
    close = _number(fields[4], "close")
    if not close > 0:
        raise ValueError(f"close {close:g} is not a positive price")
    # taker_buy_quote_volume is the 11th field; a row cut before it has no taker flow (NaN), not zero.
    taker_buy = _optional(fields[10], "taker_buy_quote_volume") if len(fields) > 10 else float("nan")
    return _epoch_ms(fields[0], "open_time"), (close, _optional(fields[7], "quote_volume"), taker_buy)


def _metric(fields: list[str], where: dict[str, int]) -> tuple[int, tuple[float, ...]]:
    t = _epoch_ms(fields[where["create_time"]], "create_time")
    nan = float("nan")
    oi = (
        _optional(fields[where["sum_open_interest"]], "sum_open_interest")
        if "sum_open_interest" in where
        else nan
    )
    ls = (
        _optional(fields[where["count_long_short_ratio"]], "count_long_short_ratio")
        if "count_long_short_ratio" in where
        else nan
    )
    top = (
        _optional(fields[where["sum_toptrader_long_short_ratio"]], "sum_toptrader_long_short_ratio")
        if "sum_toptrader_long_short_ratio" in where
        else nan
    )
    return t, (oi, ls, top)


def _funding(fields: list[str]) -> tuple[int, tuple[float, ...]]:
    if len(fields) < 3:
        raise ValueError(f"{len(fields)} fields, a funding row has 3")
    # Settlements are stamped a few milliseconds after the hour: the rate belongs to the hour.
    t = round(_epoch_ms(fields[0], "calc_time") / 60_000) * 60_000
    hours = _number(fields[1], "funding_interval_hours")
    if not hours > 0:
        raise ValueError(f"funding_interval_hours {hours:g} is not positive")
    return t, (_number(fields[2], "last_funding_rate"), hours)


def _rows(kind: str, label: str, lines: Iterator[str], into: Points, problems: list[str]) -> None:
    """Append the rows of one CSV's ``lines`` to ``into``; each unreadable row adds to ``problems``."""
    where: dict[str, int] = {}
    line = 0
    add_time, add_values = into.times.append, into.values.append  # bound once: called for every row
    try:
        for line, fields in enumerate(csv.reader(lines), start=1):
            if not fields or not "".join(fields).strip():
                continue
            if line == 1 and not any(_is_number(x) for x in fields):
                where = {name.strip(): i for i, name in enumerate(fields)}  # a header
                continue
            try:
                if kind == "metrics":
                    if "create_time" not in where:
                        raise ValueError("no header naming create_time before it")
                    t, values = _metric(fields, where)
                elif kind == "funding":
                    t, values = _funding(fields)
                else:
                    t, values = _kline(fields)
            except (ValueError, IndexError) as exc:
                problems.append(f"{label} line {line}: {exc}")
                continue
            add_time(t)
            add_values(values)
    except (LongLine, csv.Error) as exc:
        # Not a dump CSV from here on (a line or a quoted field without end): the rest is passed over.
        problems.append(f"{label} line {line + 1}: {exc}; the rest of it was not read")


def read_file(dump: DumpFile, into: Points, problems: list[str]) -> None:
    """Append ``dump``'s rows to ``into``; each unreadable row adds "FILE line N: why" to ``problems``.

    The file is streamed line by line. A file that cannot be read at all adds one problem and none of its
    rows (they are gathered apart first, so a file that fails half-way leaves nothing behind).

    Raises:
        DumpRefused: a zip that expands past its bound or does not match its header (``dump_text``).
    """
    rows = Points()
    try:
        with closing(dump_lines(dump.path)) as texts:
            for label, lines in texts:
                _rows(dump.kind, label, lines, rows, problems)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        problems.append(f"{dump.path.name}: cannot read it ({exc})")
        return
    into.times += rows.times
    into.values += rows.values


def _sorted(points: Points) -> tuple[np.ndarray, np.ndarray]:
    """Times and values sorted by time; of equal times the last read wins."""
    import numpy as np

    t = np.asarray(points.times, dtype=np.int64)
    v = np.asarray(points.values, dtype=np.float64).reshape(len(t), -1)
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    last = np.append(t[1:] != t[:-1], True)
    return t[last], v[last]


def _at_close(bar_t: np.ndarray, step: int, t: np.ndarray, v: np.ndarray, carry_ms: int) -> np.ndarray:
    """For each bar open time, the latest value taken by its close, if not older than ``carry_ms``.

    A value taken at T belongs to the bar closing at or after T (open ``ceil(T / step) * step - step``).
    """
    import numpy as np

    out = np.full((len(bar_t), v.shape[1]), np.nan)
    if not len(t):
        return out
    owner = -(-t // step) * step - step
    i = np.searchsorted(owner, bar_t, side="right") - 1
    ok = i >= 0
    ok[ok] = bar_t[ok] - owner[i[ok]] < max(step, carry_ms)
    out[ok] = v[i[ok]]
    return out


def build_bars(
    klines: Points,
    step: int,
    spot: list[Points],
    metrics: Points | None,
    funding: Points | None,
    multiplier: float,
) -> np.ndarray:
    """One instrument's bars (n, len(COLUMNS)) on its kline open times."""
    import numpy as np

    t, kv = _sorted(klines)
    bars = np.full((len(t), len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = t
    bars[:, Col.PRICE] = kv[:, 0] / multiplier
    bars[:, Col.FUT_VOL] = kv[:, 1]
    bars[:, Col.TAKER_BUY] = kv[:, 2]
    bars[:, Col.TAKER_SELL] = np.maximum(kv[:, 1] - kv[:, 2], 0.0)  # rounding may leave a hair below 0
    for points in spot:
        st, sv = _sorted(points)
        j = np.clip(np.searchsorted(st, t), 0, max(len(st) - 1, 0))
        hit = (st[j] == t) if len(st) else np.zeros(len(t), dtype=bool)
        # Several spot pairs of a coin (USDT, USDC) add up: volume and taker flows alike.
        buy, vol = sv[j[hit], 2], sv[j[hit], 1]
        for c, add in (
            (Col.SPOT_VOL, vol),
            (Col.SPOT_TAKER_BUY, buy),
            (Col.SPOT_TAKER_SELL, np.maximum(vol - buy, 0.0)),
        ):
            bars[hit, c] = np.where(np.isnan(bars[hit, c]), 0.0, bars[hit, c]) + add
    if metrics is not None and metrics.times:
        mv = _at_close(t, step, *_sorted(metrics), METRICS_CARRY_MS)
        bars[:, Col.OI] = mv[:, 0] * multiplier
        bars[:, Col.LS_RATIO] = mv[:, 1]
        bars[:, Col.LS_TOP] = mv[:, 2]
    if funding is not None and funding.times:
        fv = _at_close(t, step, *_sorted(funding), FUNDING_CARRY_MS)
        bars[:, Col.FUNDING] = fv[:, 0]
        bars[:, Col.FUNDING_INTERVAL_H] = fv[:, 1]
    return bars


class _Progress:
    """At most one progress line a second on ``err`` (None: quiet)."""

    def __init__(self, err: TextIO | None, total: int) -> None:
        self.err, self.total, self.last = err, total, 0.0

    def show(self, done: int, name: str) -> None:
        now = time.monotonic()
        if self.err is not None and (now - self.last >= _PROGRESS_EVERY_S or done == self.total):
            self.last = now
            print(f"import: {done}/{self.total} files read ({name})", file=self.err, flush=True)


def import_dir(
    root: Path,
    interval: str | None = None,
    err: TextIO | None = sys.stderr,
    paths: Iterable[Path] | None = None,
) -> tuple[dict[str, np.ndarray], int, list[str]]:
    """Read every dump file under ``root`` into bars per base coin.

    Args:
        root: the folder of dump files (any layout; data.binance.vision's folders included).
        interval: the klines interval of the bars (default: the shortest found).
        err: where progress and notes go (None: quiet).
        paths: only these files under ``root`` (``perptop download`` imports one symbol's files at a time).

    Returns:
        (series by base coin, bar step in ms, problems: one line per unreadable row or skipped input).

    Raises:
        ValueError: no futures klines to build bars from, or a bad ``interval``; or ``DumpRefused`` (a
            ValueError) for a zip that expands past its bound or does not match its header.
    """
    files, other = scan(root, paths)
    futures = {f.interval for f in files if f.kind == "klines"}
    usable = {i for i in futures if i != "1mo"}
    if not usable:
        raise ValueError(f"{root}: no futures klines files (SYMBOL-INTERVAL-DATE.csv or .zip) found")
    chosen = interval or min(usable, key=interval_ms)
    step = interval_ms(chosen)
    if chosen not in usable:
        raise ValueError(
            f"{root}: no futures klines at {chosen} (found {', '.join(sorted(usable, key=interval_ms))})"
        )
    problems: list[str] = []
    points: dict[tuple[str, str], Points] = {}
    wanted = [f for f in files if f.kind in ("metrics", "funding") or f.interval == chosen]
    progress = _Progress(err, len(wanted))
    for done, f in enumerate(wanted, start=1):
        read_file(f, points.setdefault((f.kind, f.instrument), Points()), problems)
        progress.show(done, f.path.name)
    series: dict[str, np.ndarray] = {}
    # USDT perpetuals first, so BTCUSDT (not BTCUSDC) names the BTC series when both are there.
    perps = sorted({i for k, i in points if k == "klines"}, key=lambda i: (not i.endswith("USDT"), i))
    for instrument in perps:
        base, multiplier = split_instrument("binance", instrument)
        if base in series:
            problems.append(
                f"{instrument}: {base} already comes from another perpetual; {instrument} skipped"
            )
            continue
        if not points[("klines", instrument)].times:
            continue
        spot = [
            p for (k, i), p in points.items() if k == "spot" and split_instrument("binance", i) == (base, 1.0)
        ]
        series[base] = build_bars(
            points[("klines", instrument)],
            step,
            spot,
            points.get(("metrics", instrument)),
            points.get(("funding", instrument)),
            multiplier,
        )
    orphans = sorted({i for k, i in points if k in ("metrics", "funding")} - set(perps))
    if orphans:
        problems.append(
            f"no klines at {chosen} for {', '.join(orphans)}: their metrics/funding were not used"
        )
    if err is not None:
        ignored = sorted(futures - {chosen})
        if ignored:
            print(
                f"import: bars are {chosen}; klines at {', '.join(ignored)} were not used (--interval)",
                file=err,
            )
        if other:
            print(
                f"import: {other} other files under {root} were not dump files and were passed over", file=err
            )
    return series, step, problems
