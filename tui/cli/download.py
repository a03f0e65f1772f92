"""``perptop download binance-vision``: fetch Binance's public archives, verify them, and import them.

``perptop download binance-vision (--symbols BTC,ETH | --top 100) --since 2022-01-01 [--until ...]
[--interval 5m] [--out DIR] [--history DIR|FILE.csv] [--base-url URL] [--api-url URL] [--jobs 4]
[--no-spot] [--no-metrics]``

The files land under ``--out`` in the archive's own layout (default: ``binance-vision`` in perptop's data
folder), so ``perptop import binance-vision DIR`` reads them again offline; an interrupted run resumes.
Each symbol is imported as soon as its files are verified and handed to a sink ``on_symbol(symbol, bars,
step_ms)``: ``Sink`` writes it into the Parquet research store folder at once (the default ``--history``),
or collects the series for one ``.parquet`` file or history CSV written whole at the end.
Planning lives in ``feeds.history.vision_download``, fetching in ``feeds.history.vision_fetch``.

Exit status: 0 done; 1 a network failure or files that could not be had (named); 2 bad input or an
output that cannot be written; 130 stopped with Ctrl-C (verified files are kept, nothing half-written).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tui.config.loader import AppConfig

if TYPE_CHECKING:
    import numpy as np

    from feeds.history.vision_fetch import Progress, Report

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
MAX_JOBS = 8
SHOWN = 20
ARCHIVE_URL = "https://data.binance.vision"
API_URL = "https://fapi.binance.com"
_LINE_EVERY_S = 5.0  # progress lines when stderr is not a terminal
_REDRAW_EVERY_S = 0.2


def default_out() -> Path:
    """``binance-vision`` in perptop's data folder (beside the history store)."""
    from tui.config.paths import default_store_path

    return default_store_path().parent / "binance-vision"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``download`` (with its source ``binance-vision``) to the CLI's ``subparsers``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "download",
        help="fetch public history archives, verified, and import them",
        description="Fetch public history archives into a folder, verified, and import them.",
    )
    sources = parser.add_subparsers(dest="download_source", metavar="{binance-vision}", required=True)
    vision = sources.add_parser(
        "binance-vision",
        help="data.binance.vision: USD-M klines, metrics, fundingRate and spot klines",
        description="Fetch data.binance.vision files (monthly where published, daily for the current "
        "month), check each against its .CHECKSUM, keep them in the archive's layout under --out, and "
        "import each symbol into --history as soon as its files are in.",
    )
    which = vision.add_mutually_exclusive_group(required=True)
    which.add_argument("--symbols", metavar="LIST", help="comma-separated coins or instruments: BTC,ETH,PEPE")
    which.add_argument("--top", type=int, metavar="N", help="the N perpetuals with the largest 24h volume")
    vision.add_argument("--since", required=True, metavar="DATE", help="first day, e.g. 2022-01-01")
    vision.add_argument(
        "--until", metavar="DATE", help="last day (default: today, UTC; the newest files are yesterday's)"
    )
    vision.add_argument("--interval", default="5m", metavar="I", help="klines interval (default 5m)")
    vision.add_argument(
        "--out", type=Path, metavar="DIR", help="archive folder (default: in the data folder)"
    )
    vision.add_argument(
        "--history",
        type=Path,
        metavar="DIR|FILE.csv",
        default=None,
        help="where the imported bars go: a Parquet research store folder, written symbol by symbol as each "
        "one's files are in (default: 'research' in the data folder), FILE.parquet, or a history FILE.csv",
    )
    # dest differs from the shared --base-url VENUE=URL option every subcommand's parser has
    vision.add_argument(
        "--base-url",
        dest="archive_url",
        default=ARCHIVE_URL,
        metavar="URL",
        help=f"archive server or mirror (default {ARCHIVE_URL})",
    )
    vision.add_argument("--api-url", default=API_URL, metavar="URL", help="Binance futures API (for --top)")
    vision.add_argument(
        "--jobs", type=int, default=4, metavar="N", help=f"requests in flight (max {MAX_JOBS})"
    )
    vision.add_argument("--no-spot", action="store_true", help="skip spot klines")
    vision.add_argument("--no-metrics", action="store_true", help="skip metrics (open interest, long/short)")
    vision.set_defaults(handler=run)
    return parser


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def progress_text(p: Progress) -> str:
    """``files 12/340, 18.2 MB, 3.1 MB/s, 0:42 left`` (kept files and failures when there are some)."""
    text = f"files {p.files_done}/{p.files_total}, {p.bytes_done / 1e6:.1f} MB, {p.rate() / 1e6:.1f} MB/s"
    text += f", {_clock(p.eta_s())} left"
    if p.kept:
        text += f" ({p.kept} already here)"
    if p.failed:
        text += f", {p.failed} failed"
    return text


class _Shown:
    """Progress on ``err``: one line rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err, self.last = err, 0.0
        self.tty = bool(getattr(err, "isatty", lambda: False)())

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if (
            now - self.last < (_REDRAW_EVERY_S if self.tty else _LINE_EVERY_S)
            and p.files_done < p.files_total
        ):
            return
        self.last = now
        if self.tty:
            print(f"\rdownload: {progress_text(p)}\x1b[K", end="", file=self.err, flush=True)
        else:
            print(f"download: {progress_text(p)}", file=self.err, flush=True)

    def end(self) -> None:
        if self.tty and self.last:
            print(file=self.err)


def _names(err: TextIO, what: str, names: list[str]) -> None:
    for name in names[:SHOWN]:
        print(f"download: {what} {name}", file=err)
    if len(names) > SHOWN:
        print(f"download: ... and {len(names) - SHOWN} more {what.split(':')[0]}", file=err)


def _check(args: argparse.Namespace, today: date) -> tuple[date, date, Path]:
    """The span and output folder, checked.

    Raises:
        ValueError: one line naming the option and what is wrong with it.
    """
    from feeds.history.vision_download import check_interval, parse_day, periods

    since = parse_day(args.since, "--since")
    until = parse_day(args.until, "--until") if args.until else today
    if until < since:
        raise ValueError(f"--until {until} is before --since {since}")
    check_interval(args.interval)
    if not 1 <= args.jobs <= MAX_JOBS:
        raise ValueError(f"--jobs {args.jobs} is not between 1 and {MAX_JOBS}")
    if args.top is not None and args.top < 1:
        raise ValueError(f"--top {args.top} is not a positive count")
    for option, url in (("--base-url", args.archive_url), ("--api-url", args.api_url)):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{option} {url!r} is not an http(s):// URL")
    if not any(periods(since, until, today)):
        raise ValueError(f"nothing published yet for {since} to {until}: today's files come out tomorrow")
    out: Path = args.out if args.out is not None else default_out()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".perptop-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"--out {out} cannot be written: {exc.strerror or exc}") from None
    return since, until, out


async def _download(
    args: argparse.Namespace, since: date, until: date, today: date, out: Path, err: TextIO, sink: Any
) -> Report | None:
    import httpx

    from feeds.history.vision_download import klines_path, periods, plan_symbol, symbols_arg
    from feeds.history.vision_fetch import Options, fetch_all, resolve, top_instruments

    months, days = periods(since, until, today)
    probe_period = months[-1] if months else days[0]
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=15.0), follow_redirects=True) as client:
        if args.top is not None:
            chosen = await top_instruments(client, args.api_url, args.top)
        else:
            wanted = symbols_arg(args.symbols)
            chosen, missing = await resolve(
                client,
                args.archive_url,
                wanted,
                lambda i: klines_path("futures/um", i, args.interval, probe_period),
            )
            for base in missing:
                print(
                    f"download: {base}: no USD-M perpetual in the archive for {probe_period}; skipped",
                    file=err,
                )
        if not chosen:
            print("perptop download: no symbols to fetch", file=err)
            return None
        files = [
            f
            for base, instrument in chosen
            for f in plan_symbol(
                base, instrument, since, until, today, args.interval, not args.no_spot, not args.no_metrics
            )
        ]
        shown = _Shown(err)
        print(f"download: {len(files)} files of {len(chosen)} symbols into {out}", file=err)
        opts = Options(args.archive_url, args.interval, jobs=args.jobs)
        try:
            return await fetch_all(files, out, opts, client, shown, sink)
        finally:
            shown.end()


def run(config: AppConfig, args: argparse.Namespace, err: TextIO = sys.stderr) -> int:
    """Run ``perptop download binance-vision``; the exit status."""
    import asyncio

    from feeds.history.vision_download import remove_parts
    from feeds.history.vision_fetch import Stopped

    today = datetime.now(timezone.utc).date()
    try:
        since, until, out = _check(args, today)
        if args.symbols is not None:
            from feeds.history.vision_download import symbols_arg

            symbols_arg(args.symbols)
    except ValueError as exc:
        print(f"perptop download: {exc}", file=err)
        return EXIT_USAGE
    if count := remove_parts(out):
        print(f"download: removed {count} half-written .part files a stopped run left in {out}", file=err)
    if args.history is None:
        args.history = default_history()
    sink = Sink(args.history)
    try:
        report = asyncio.run(_download(args, since, until, today, out, err, sink))
    except Stopped as exc:
        print(f"perptop download: {exc}", file=err)
        return exc.status
    except SinkFailed as exc:
        print(f"perptop download: {exc}", file=err)
        return exc.status
    except KeyboardInterrupt:
        print(f"\ndownload: stopped; verified files are kept in {out}: run again to resume", file=err)
        return EXIT_INTERRUPTED
    if report is None:
        return EXIT_USAGE
    return _finish(args, report, sink, err)


def _finish(args: argparse.Namespace, report: Report, sink: Sink, err: TextIO) -> int:
    _names(err, "not in the archive (a gap):", report.gaps)
    _names(err, "no klines in the span for", report.no_archive)
    _names(err, "import: skipped", report.problems)
    _names(err, "FAILED:", report.failed)
    print(
        f"download: {len(report.verified)} files verified, {len(report.kept)} already here, "
        f"{len(report.absent)} not listed yet, {len(report.gaps)} gaps, {len(report.failed)} failed; "
        f"{len(sink.symbols)} symbols imported",
        file=err,
    )
    if sink.symbols:
        try:
            sink.close()
        except SinkFailed as exc:
            print(f"perptop download: {exc}", file=err)
            return exc.status
        print(
            f"download: wrote {sink.bars:,} bars of {len(sink.symbols)} symbols to {args.history}", file=err
        )
    if report.failed:
        return EXIT_FAILED
    return 0 if sink.symbols else EXIT_USAGE


def default_history() -> Path:
    """``research`` in perptop's data folder: the Parquet research store (docs/research-store.md)."""
    from tui.config.paths import default_store_path

    return default_store_path().parent / "research"


class SinkFailed(Exception):
    """The history could not be written; ``str()`` is one line, ``status`` the exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Sink:
    """Where each imported symbol goes: straight into a Parquet store folder (memory then holds one symbol),
    or collected for one ``.parquet`` file or one history CSV written whole at the end."""

    def __init__(self, target: Path) -> None:
        from feeds.history.parquet_store import is_parquet_target

        self.target = target
        self.folder = is_parquet_target(target) and target.suffix.lower() != ".parquet"
        self.series: dict[str, np.ndarray] = {}
        self.step_ms = 0
        self.symbols: list[str] = []
        self.bars = 0

    def __call__(self, symbol: str, bars: np.ndarray, step_ms: int) -> None:
        """One symbol imported: write it now into a store folder, else keep it for ``close``."""
        self.symbols.append(symbol)
        self.bars += len(bars)
        self.step_ms = self.step_ms or step_ms
        if not self.folder:
            self.series[symbol] = bars
            return
        from feeds.history.parquet_store import ParquetWriteError, write_symbol

        try:
            write_symbol(self.target, symbol, bars, step_ms)
        except ParquetWriteError as exc:
            raise SinkFailed(str(exc), exc.status) from None
        except ValueError as exc:
            raise SinkFailed(f"{self.target}: {symbol}: {exc}", EXIT_USAGE) from None

    def close(self) -> None:
        """Write what was collected (nothing to do for a store folder, already written)."""
        if self.folder or not self.series:
            return
        from feeds.history.csvfile import write_history_csv
        from feeds.history.parquet_store import ParquetWriteError, write_parquet_file
        from tui.cli.outfile import OutputError, write_whole

        try:
            if self.target.suffix.lower() == ".parquet":
                write_parquet_file(self.target, self.series, self.step_ms)
            else:
                write_whole(self.target, lambda fh: write_history_csv(fh, self.series, self.step_ms))
        except (OutputError, ParquetWriteError) as exc:
            raise SinkFailed(str(exc), exc.status) from None
