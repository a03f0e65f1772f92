"""The fetching of ``perptop download binance-vision``: a few requests in flight, retries, verify, import.

``fetch_all`` takes the file list ``vision_download`` planned and, with at most ``jobs`` requests in flight
(one httpx AsyncClient, ``jobs`` workers each sending one request at a time):

- skips a file the state file says was verified and is still there (no request at all: resume);
- asks for ``NAME.CHECKSUM`` first: a 404 there means the file does not exist (a month before the symbol
  was listed, a day not yet published), so the file itself is never asked for;
- streams the file to ``NAME.part`` while hashing it (never held in memory), renames it to ``NAME`` only
  when the sha256 matches, and writes ``NAME.CHECKSUM`` beside it so the folder can be checked offline;
  a mismatch or a body cut short is fetched once more, then reported by name;
- waits and retries on 429/418/5xx and on timeouts (``Retry-After`` when given, else doubling waits),
  a few times, then reports the file; a base URL that cannot be reached at all stops the run (``Stopped``);
- once every file of one symbol is settled, imports that symbol's verified files with
  ``binance_vision.import_dir`` and hands each series to ``on_symbol(symbol, bars, step_ms)``.

A cancelled run (Ctrl-C) deletes the ``.part`` being written before it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from feeds.history.vision_download import PART_SUFFIX, Archive, VerifiedState, by_symbol, parse_checksum

if TYPE_CHECKING:
    import numpy as np

Sink = Callable[[str, "np.ndarray", int], None]
_RETRY_STATUS = frozenset({418, 429, 500, 502, 503, 504})
_CHUNK = 1 << 16
_MAX_WAIT_S = 60.0


class Stopped(Exception):
    """The run cannot go on (the server is unreachable, the disk is full); one line, and an exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class _Failed(Exception):
    """One file could not be had (its name and why); the run goes on."""


class _BadBody(Exception):
    """A body cut short or not matching its checksum: worth one more try."""


@dataclass(frozen=True)
class Options:
    """How to fetch: the server, requests in flight, retries and the first wait between them."""

    base_url: str
    interval: str
    jobs: int = 4
    retries: int = 4
    backoff_s: float = 1.0


@dataclass
class Progress:
    """Where the run stands, for the progress line."""

    files_total: int
    files_done: int = 0
    kept: int = 0  # already verified by an earlier run
    to_fetch: int = 0
    fetched: int = 0  # of to_fetch, settled in this run (verified, absent or failed)
    bytes_done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        """Bytes per second so far."""
        return self.bytes_done / max(time.monotonic() - self.started, 1e-9)

    def eta_s(self) -> float | None:
        """Seconds left at the pace of the files settled so far (None before the first)."""
        if not self.fetched:
            return None
        return (time.monotonic() - self.started) / self.fetched * (self.to_fetch - self.fetched)


@dataclass
class Report:
    """What a run did: file names by outcome, symbols imported, and the import's notes."""

    verified: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # before the first file of their kind: not listed yet
    gaps: list[str] = field(default_factory=list)  # absent after a file of their kind existed
    failed: list[str] = field(default_factory=list)  # "NAME: why"
    no_archive: list[str] = field(default_factory=list)  # symbols with no klines file in the span
    imported: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Run:
    """One ``fetch_all`` call's shared state."""

    def __init__(
        self,
        files: list[Archive],
        root: Path,
        opts: Options,
        client: httpx.AsyncClient,
        on_progress: Callable[[Progress], None],
        on_symbol: Sink,
    ) -> None:
        self.files, self.root, self.opts, self.client = files, root, opts, client
        self.on_progress, self.on_symbol = on_progress, on_symbol
        self.state = VerifiedState(root)
        self.progress = Progress(len(files))
        self.report = Report()
        self.outcome: dict[str, str] = {}  # path -> verified | kept | absent | failed
        self.left = {s: len(fs) for s, fs in by_symbol(files).items()}
        self.stop: Stopped | None = None

    def url(self, path: str) -> str:
        return f"{self.opts.base_url.rstrip('/')}/{path}"

    async def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        wait = self.opts.backoff_s * 2**attempt
        if response is not None:
            with contextlib.suppress(ValueError):
                wait = float(response.headers.get("Retry-After", wait))
        await asyncio.sleep(min(max(wait, 0.0), _MAX_WAIT_S))

    async def _get(self, path: str, into: Path | None) -> tuple[bytes, int] | None:
        """GET ``path``: None on 404; the body (``into`` None) or (b"", size) with the body in ``into``.

        Raises:
            _Failed: an answer other than 200/404 after the retries. _BadBody: a body cut short.
            Stopped: the server cannot be reached, or ``into`` cannot be written.
        """
        url = self.url(path)
        for attempt in range(self.opts.retries + 1):
            last = attempt == self.opts.retries
            try:
                async with self.client.stream("GET", url) as response:
                    if response.status_code == 404:
                        return None
                    if response.status_code in _RETRY_STATUS and not last:
                        await self._wait(attempt, response)
                        continue
                    if response.status_code != 200:
                        raise _Failed(f"HTTP {response.status_code} from {url}")
                    if into is None:
                        return await response.aread(), 0
                    return b"", await self._save(response, into)
            except httpx.ConnectError as exc:
                if last:
                    raise Stopped(
                        f"cannot reach {self.opts.base_url} ({exc or type(exc).__name__})", 1
                    ) from None
            except httpx.TimeoutException:
                if last:
                    raise _Failed(f"no answer from {url} in time, {self.opts.retries + 1} tries") from None
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                raise _BadBody(f"the body was cut short ({exc or type(exc).__name__})") from None
            await self._wait(attempt, None)
        raise _Failed(f"no answer from {url}")  # not reached: the last try returns or raises

    async def _save(self, response: httpx.Response, part: Path) -> int:
        """Stream ``response``'s body into ``part``; its size."""
        size = 0
        try:
            with part.open("wb") as fh:
                async for chunk in response.aiter_bytes(_CHUNK):
                    fh.write(chunk)
                    size += len(chunk)
                    self.progress.bytes_done += len(chunk)
        except OSError as exc:
            raise Stopped(f"could not write {part}: {exc.strerror or exc}", 2) from None
        expected = response.headers.get("Content-Length")
        if expected is not None and expected.isdigit() and int(expected) != size:
            raise _BadBody(f"{size} of {expected} bytes arrived")
        return size

    async def one(self, f: Archive) -> str:
        """Fetch and verify one file; its outcome."""
        if self.state.is_verified(self.root, f.path):
            return "kept"
        got = await self._get(f.path + ".CHECKSUM", None)
        if got is None:
            return "absent"
        try:
            want = parse_checksum(got[0].decode("utf-8", "replace"), f.name)
        except ValueError as exc:
            raise _Failed(str(exc)) from None
        target = self.root / f.path
        part = target.with_name(target.name + PART_SUFFIX)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Stopped(f"could not create {target.parent}: {exc.strerror or exc}", 2) from None
        why = ""
        for _ in range(2):  # a bad body is fetched once more
            try:
                try:
                    fetched = await self._get(f.path, part)
                    if fetched is None:
                        raise _Failed("its .CHECKSUM exists but the file answered 404")
                    size = fetched[1]
                    digest = _sha256(part)
                    if digest != want:
                        raise _BadBody(f"sha256 {digest[:12]}... is not the published {want[:12]}...")
                except _BadBody as exc:
                    why = str(exc)
                    continue
                try:
                    os.replace(part, target)
                    target.with_name(target.name + ".CHECKSUM").write_bytes(got[0])
                    self.state.add(f.path, want, size)
                except OSError as exc:
                    raise Stopped(f"could not write {target}: {exc.strerror or exc}", 2) from None
                return "verified"
            finally:
                part.unlink(missing_ok=True)
        raise _Failed(why)

    async def worker(self, queue: asyncio.Queue[Archive]) -> None:
        while self.stop is None:
            try:
                f = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                outcome = await self.one(f)
            except _Failed as exc:
                outcome = "failed"
                self.report.failed.append(f"{f.name}: {exc}")
            except Stopped as exc:
                self.stop = exc
                return
            self.settle(f, outcome)
            self.left[f.symbol] -= 1
            if not self.left[f.symbol]:
                await self.import_symbol(f.symbol)

    def settle(self, f: Archive, outcome: str) -> None:
        self.outcome[f.path] = outcome
        p = self.progress
        p.files_done += 1
        p.failed += outcome == "failed"
        if outcome != "kept":
            p.fetched += 1
        self.on_progress(p)

    async def import_symbol(self, symbol: str) -> None:
        from feeds.history.binance_vision import import_dir

        files = [f for f in self.files if f.symbol == symbol]
        good = [self.root / f.path for f in files if self.outcome.get(f.path) in ("verified", "kept")]
        if not any(f.kind == "klines" and self.outcome.get(f.path) in ("verified", "kept") for f in files):
            self.report.no_archive.append(symbol)
            return
        try:
            series, step, problems = await asyncio.to_thread(
                import_dir, self.root, self.opts.interval, None, good
            )
        except ValueError as exc:
            self.report.problems.append(f"{symbol}: {exc}")
            return
        self.report.problems += problems
        for base, bars in series.items():
            self.on_symbol(base, bars, step)
            self.report.imported.append(base)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sort_outcomes(run: _Run) -> None:
    """Fill the report's name lists; an absent file after one of its kind existed is a gap."""
    seen: set[tuple[str, str]] = set()
    for f in run.files:  # planned oldest first within each instrument and kind
        outcome = run.outcome.get(f.path)
        key = (f.instrument, f.kind)
        if outcome in ("verified", "kept"):
            seen.add(key)
            (run.report.verified if outcome == "verified" else run.report.kept).append(f.name)
        elif outcome == "absent":
            (run.report.gaps if key in seen else run.report.absent).append(f.name)


async def fetch_all(
    files: list[Archive],
    root: Path,
    opts: Options,
    client: httpx.AsyncClient,
    on_progress: Callable[[Progress], None],
    on_symbol: Sink,
) -> Report:
    """Fetch, verify and import ``files`` into ``root`` (see the module's docstring).

    Raises:
        Stopped: the server cannot be reached or ``root`` cannot be written (what and where, one line).
    """
    run = _Run(files, root, opts, client, on_progress, on_symbol)
    run.progress.kept = sum(run.state.is_verified(root, f.path) for f in files)
    run.progress.to_fetch = len(files) - run.progress.kept
    queue: asyncio.Queue[Archive] = asyncio.Queue()
    for f in files:
        queue.put_nowait(f)
    await asyncio.gather(*(run.worker(queue) for _ in range(max(1, opts.jobs))))
    if run.stop is not None:
        raise run.stop
    _sort_outcomes(run)
    return run.report


async def resolve(
    client: httpx.AsyncClient, base_url: str, wanted: list[tuple[str, list[str]]], probe: Callable[[str], str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """The perpetual each wanted coin has in the archive: the first candidate whose ``probe`` file exists.

    A coin with one candidate (written in full, ``1000PEPEUSDT``) is taken without asking.

    Returns:
        ((coin, instrument) found, coins with no candidate in the archive).

    Raises:
        Stopped: the server cannot be reached.
    """
    found: list[tuple[str, str]] = []
    missing: list[str] = []
    for base, candidates in wanted:
        if len(candidates) == 1:
            found.append((base, candidates[0]))
            continue
        for instrument in candidates:
            url = f"{base_url.rstrip('/')}/{probe(instrument)}.CHECKSUM"
            try:
                response = await client.get(url)
            except httpx.HTTPError as exc:
                raise Stopped(f"cannot reach {base_url} ({exc or type(exc).__name__})", 1) from None
            if response.status_code == 200:
                found.append((base, instrument))
                break
        else:
            missing.append(base)
    return found, missing


async def top_instruments(client: httpx.AsyncClient, api_url: str, n: int) -> list[tuple[str, str]]:
    """The ``n`` USD-M perpetuals with the largest 24 h quote volume, as (coin, instrument).

    Raises:
        Stopped: the API cannot be reached or does not answer a ticker list.
    """
    from feeds.venues.binance_parse import tickers_24hr

    url = f"{api_url.rstrip('/')}/fapi/v1/ticker/24hr"
    try:
        response = await client.get(url)
        response.raise_for_status()
        payload = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Stopped(f"cannot read {url} ({exc or type(exc).__name__})", 1) from None
    try:
        tickers = tickers_24hr(payload, int(time.time() * 1000)).records
    except Exception as exc:  # a payload of another shape: one line, not a traceback
        raise Stopped(f"{url} did not answer a ticker list ({exc})", 1) from None
    best = sorted(tickers, key=lambda t: t.volume_24h_usd, reverse=True)
    out: dict[str, str] = {}
    for t in best:
        if len(out) == n:
            break
        out.setdefault(t.base, t.instrument)
    return list(out.items())
