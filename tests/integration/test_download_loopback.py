"""``perptop download binance-vision`` against a loopback archive built from the real Binance history.

The archive (BTCUSDT and ETHUSDT, March 2026: 1h klines, fundingRate, daily metrics) is zipped in a
temporary folder from ``../shared/data`` with a ``.CHECKSUM`` per file; one checksum is wrong and one body
is cut short. The download must name those two, keep no ``.part``, and write the same history as
``perptop import binance-vision`` of the good files; a stopped download resumes without fetching again
what it had finished.
"""

from __future__ import annotations

import asyncio
import io
import shutil
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest

from feeds.history.vision_download import plan_symbol
from feeds.history.vision_fetch import Options, Progress, fetch_all
from tests.support.paths import DATA
from tests.support.vision_archive import ArchiveServer, build_archive
from tui.cli.parser import build_parser
from tui.config.loader import AppConfig

pytestmark = pytest.mark.skipif(
    not (DATA / "binance-btc-1h-funding-ggcmk").is_dir() or not (DATA / "binance-perps-gravestone").is_dir(),
    reason="needs the real Binance history in ../shared/data (binance-btc-1h-funding-ggcmk, "
    "binance-perps-gravestone), which is not on this machine",
)

DAYS = {f"2026-03-{d:02d}" for d in range(10, 21)}
SPAN = ["--since", "2026-03-10", "--until", "2026-03-20", "--interval", "1h", "--no-spot"]
BAD_SUM = "data/futures/um/monthly/fundingRate/ETHUSDT/ETHUSDT-fundingRate-2026-03.zip"
CUT = "data/futures/um/daily/metrics/BTCUSDT/BTCUSDT-metrics-2026-03-15.zip"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "server"
    build_archive(root, {"2026-03"}, DAYS)
    return root


def _cli(argv: list[str]) -> tuple[int, str]:
    """Run a perptop command line; its exit status and what it wrote to stderr."""
    args = build_parser().parse_args(argv)
    err = io.StringIO()
    return int(args.handler(AppConfig(), args, err)), err.getvalue()


def _parts(root: Path) -> list[Path]:
    return list(root.rglob("*.part"))


def test_bad_files_are_named_nothing_half_written_is_kept_and_the_history_equals_the_import(
    archive: Path, tmp_path: Path
) -> None:
    (archive / (BAD_SUM + ".CHECKSUM")).write_text("0" * 64 + "  ETHUSDT-fundingRate-2026-03.zip\n")
    out, history = tmp_path / "out", tmp_path / "download.csv"
    with ArchiveServer(archive) as server:
        server.truncated.add(CUT)
        code, err = _cli(
            [
                "download",
                "binance-vision",
                "--symbols",
                "BTC,ETH",
                *SPAN,
                "--out",
                str(out),
                "--history",
                str(history),
                "--base-url",
                server.url,
                "--jobs",
                "3",
            ]
        )
        hits = server.file_hits()
    assert code == 1, err
    failed = [line for line in err.splitlines() if "FAILED" in line]
    assert len(failed) == 2, err
    assert any("ETHUSDT-fundingRate-2026-03.zip" in line for line in failed)
    assert any("BTCUSDT-metrics-2026-03-15.zip" in line for line in failed)
    assert hits[BAD_SUM] == 2 and hits[CUT] == 2  # each fetched once more, then given up
    assert "Traceback" not in err
    assert not _parts(out)
    assert not (out / BAD_SUM).exists() and not (out / CUT).exists()

    # What the import makes of the same good files, read from a folder of its own.
    good = tmp_path / "good"
    shutil.copytree(archive, good)
    (good / BAD_SUM).unlink()
    (good / CUT).unlink()
    expected = tmp_path / "import.csv"
    code, err = _cli(["import", "binance-vision", str(good), "--out", str(expected), "--interval", "1h"])
    assert code == 0, err
    assert history.read_text() == expected.read_text()
    assert len(history.read_text().splitlines()) == 1 + 31 * 24 + (
        18 * 24 + 20
    )  # BTC all March; ETH to 03-19 19:00


def test_a_stopped_download_resumes_without_fetching_finished_files_again(
    archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    files = [
        f
        for s, i in (("BTC", "BTCUSDT"), ("ETH", "ETHUSDT"))
        for f in plan_symbol(s, i, *_span(), "1h", spot=False)
    ]

    async def stopped_after(k: int, url: str) -> None:
        async with httpx.AsyncClient() as client:
            task: asyncio.Task[object] | None = None

            def progress(p: Progress) -> None:
                if p.files_done >= k and task is not None:
                    task.cancel()

            task = asyncio.ensure_future(
                fetch_all(files, out, Options(url, "1h", jobs=2), client, progress, lambda *a: None)
            )
            with pytest.raises(asyncio.CancelledError):
                await task

    with ArchiveServer(archive) as server:
        asyncio.run(stopped_after(12, server.url))
        assert not _parts(out)
        finished = {str(p.relative_to(out)) for p in out.rglob("*.zip")}
        assert len(finished) >= 3  # klines and funding came first: some files were finished
        server.hits.clear()
        history = tmp_path / "resumed.csv"
        code, err = _cli(
            [
                "download",
                "binance-vision",
                "--symbols",
                "BTCUSDT,ETHUSDT",
                *SPAN,
                "--out",
                str(out),
                "--history",
                str(history),
                "--base-url",
                server.url,
            ]
        )
        again = server.hits
    assert code == 0, err
    assert not finished & set(again), sorted(finished & set(again))
    assert not any(p + ".CHECKSUM" in again for p in finished)
    assert len(history.read_text().splitlines()) == 1 + 31 * 24 + (18 * 24 + 20)
    assert "already here" in err or f"{len(finished)} already here" in err


def _span() -> tuple[date, date, date]:
    """--since, --until, and a today after them (March is then a monthly file)."""
    return date(2026, 3, 10), date(2026, 3, 20), date(2026, 12, 5)


def test_an_unreachable_archive_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with ArchiveServer(tmp_path) as server:
        url = server.url  # a port that was just ours, closed again below
    code, err = _cli(
        [
            "download",
            "binance-vision",
            "--symbols",
            "BTC",
            *SPAN,
            "--out",
            str(tmp_path / "o"),
            "--base-url",
            url,
        ]
    )
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("perptop download: cannot reach " + url)
    assert "Traceback" not in err


def test_top_n_takes_the_largest_24h_volumes_from_the_api(archive: Path, tmp_path: Path) -> None:
    import json

    api = tmp_path / "api" / "fapi" / "v1"
    api.mkdir(parents=True)
    tickers = [
        {"symbol": s, "lastPrice": "1", "priceChangePercent": "0", "quoteVolume": v, "closeTime": 1}
        for s, v in (("ETHUSDT", "900"), ("DOGEUSDT", "10"), ("BTCUSDT", "1000"), ("ETHUSDC", "5000"))
    ]
    (api / "ticker").mkdir()
    (api / "ticker" / "24hr").write_text(json.dumps(tickers))
    with ArchiveServer(archive) as server, ArchiveServer(tmp_path / "api") as fapi:
        code, err = _cli(
            [
                "download",
                "binance-vision",
                "--top",
                "2",
                *SPAN,
                "--no-metrics",
                "--out",
                str(tmp_path / "o"),
                "--history",
                str(tmp_path / "top.csv"),
                "--base-url",
                server.url,
                "--api-url",
                fapi.url,
            ]
        )
        asked = {p.split("/")[5] for p in server.hits if p.startswith("data/futures/um/monthly/klines/")}
    assert code == 0, err
    assert asked == {"BTCUSDT", "ETHUSDT"}  # the two largest USDT perpetuals; a USDC one is not a USDT perp
    assert "2 symbols imported" in err


def test_disk_errors_name_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, err = _cli(["download", "binance-vision", "--symbols", "BTC", *SPAN, "--out", str(blocker / "sub")])
    assert code == 2
    assert err.strip() == f"perptop download: --out {blocker / 'sub'} cannot be written: Not a directory"


def test_the_default_history_is_a_parquet_store_written_symbol_by_symbol_equal_to_the_csv(
    archive: Path, tmp_path: Path
) -> None:
    from feeds.history.csvfile import read_history_csv
    from feeds.history.source import open_history

    runs = {}
    with ArchiveServer(archive) as server:
        for name in ("store", "history.csv"):
            target = tmp_path / name
            code, err = _cli(
                [
                    *(
                        "download",
                        "binance-vision",
                        "--symbols",
                        "BTC,ETH",
                        *SPAN,
                        "--out",
                        str(tmp_path / "out"),
                    ),
                    *("--history", str(target), "--base-url", server.url, "--jobs", "3"),
                ]
            )
            assert code == 0, err
            assert f"to {target}" in err.splitlines()[-1]
            runs[name] = target
    # one partition folder per symbol and year, as docs/research-store.md lays it out
    assert sorted(p.name for p in runs["store"].iterdir()) == ["symbol=BTC", "symbol=ETH"]
    assert [p.name for p in (runs["store"] / "symbol=BTC").iterdir()] == ["year=2026"]
    stored, csv = open_history(runs["store"]), read_history_csv(runs["history.csv"])
    # the CSV lists symbols as their files came in, the store by symbol
    assert sorted(stored.series) == sorted(csv.series) == ["BTC", "ETH"]
    for key, bars in csv.series.items():
        assert np.array_equal(stored.series[key], bars, equal_nan=True), key
