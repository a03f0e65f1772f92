"""A data.binance.vision look-alike for tests and the bench: zips in the archive's layout, served on loopback.

``build_archive`` turns the real Binance history in ``../shared/data`` into the archive's own files
(monthly klines and fundingRate zips, daily metrics zips, each with a ``NAME.CHECKSUM`` of its sha256) in
a temporary folder; ``ArchiveServer`` serves a folder over HTTP on 127.0.0.1, counts every request by path,
and can cut a file's body short (``truncate``). Nothing from ``../shared`` is written into the repository.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.paths import DATA

GGCMK = DATA / "binance-btc-1h-funding-ggcmk"
GRAVESTONE = DATA / "binance-perps-gravestone"
KLINE_HEADER = "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
KLINE_HEADER += "taker_buy_quote_volume,ignore"
METRICS_HEADER = (
    "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
)
METRICS_HEADER += "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio"


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _rows(path: Path) -> Iterator[list[str]]:
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        next(reader)  # header
        yield from reader


def write_zip(root: Path, relpath: str, header: str, lines: Iterable[str]) -> Path:
    """``root/relpath`` as a zip holding one CSV (the archive's way), with its ``.CHECKSUM`` beside it."""
    target = root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(target.name[:-4] + ".csv", header + "\n" + "\n".join(lines) + "\n")
    target.write_bytes(buf.getvalue())
    digest = hashlib.sha256(buf.getvalue()).hexdigest()
    target.with_name(target.name + ".CHECKSUM").write_text(f"{digest}  {target.name}\n")
    return target


def _by_period(rows: Iterable[list[str]], time_col: int, fmt: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for row in rows:
        out.setdefault(_utc(int(row[time_col])).strftime(fmt), []).append(row)
    return out


def build_archive(root: Path, months: set[str], days: set[str]) -> list[Path]:
    """Write the archive's files for ``months`` (``2026-03``) and metric ``days`` (``2026-03-10``) under
    ``root``: BTCUSDT 1h klines and funding (gg-cmk), ETHUSDT 1h klines, funding and 4h open interest
    (gravestone), BTCUSDT open interest too. The zips written, sorted."""
    written: list[Path] = []
    um = "data/futures/um"
    btc_k = _by_period(_rows(GGCMK / "BTCUSDT-1h-futures.csv"), 0, "%Y-%m")
    eth_k = _by_period(
        # gravestone: timestamp,open,high,low,close,volume,quote_volume,trades,close_time -> archive order
        (
            [r[0], r[1], r[2], r[3], r[4], r[5], r[8], r[6], r[7], "0", "0", "0"]
            for r in _rows(GRAVESTONE / "1h/ETHUSDT.csv")
        ),
        0,
        "%Y-%m",
    )
    btc_f = _by_period(_rows(GGCMK / "BTCUSDT-funding.csv"), 0, "%Y-%m")
    eth_f = _by_period(([r[0], "8", r[2]] for r in _rows(GRAVESTONE / "funding/ETHUSDT.csv")), 0, "%Y-%m")
    for sym, klines, funding in (("BTCUSDT", btc_k, btc_f), ("ETHUSDT", eth_k, eth_f)):
        for month in sorted(months):
            if month in klines:
                rel = f"{um}/monthly/klines/{sym}/1h/{sym}-1h-{month}.zip"
                written.append(write_zip(root, rel, KLINE_HEADER, (",".join(r) for r in klines[month])))
            if month in funding:
                rel = f"{um}/monthly/fundingRate/{sym}/{sym}-fundingRate-{month}.zip"
                header = "calc_time,funding_interval_hours,last_funding_rate"
                written.append(write_zip(root, rel, header, (",".join(r) for r in funding[month])))
        oi = _by_period(_rows(GRAVESTONE / f"oi_4h/{sym}.csv"), 0, "%Y-%m-%d")
        for day in sorted(days & set(oi)):
            lines = (f"{_utc(int(r[0])):%Y-%m-%d %H:%M:%S},{sym},{r[2]},{r[3]},,,," for r in oi[day])
            rel = f"{um}/daily/metrics/{sym}/{sym}-metrics-{day}.zip"
            written.append(write_zip(root, rel, METRICS_HEADER, lines))
    return sorted(written)


class _QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-body (a stopped download) is expected here, not a traceback."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class ArchiveServer:
    """Serves ``root`` over HTTP/1.1 on 127.0.0.1 in a thread; ``hits`` counts GETs by path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hits: Counter[str] = Counter()
        self.truncated: set[str] = set()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

            def do_GET(self) -> None:
                rel = self.path.split("?", 1)[0].lstrip("/")
                with server.lock:
                    server.hits[rel] += 1
                path = (server.root / rel).resolve()
                if not path.is_file() or server.root.resolve() not in path.parents:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                if rel in server.truncated:  # the length promised, half the body, then the socket closes
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ArchiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def file_hits(self) -> Counter[str]:
        """Requests for the files themselves (not their ``.CHECKSUM``), by path."""
        with self.lock:
            return Counter({p: n for p, n in self.hits.items() if not p.endswith(".CHECKSUM")})
