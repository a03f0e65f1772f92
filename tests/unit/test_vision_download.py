"""Planning ``perptop download binance-vision``: which files, where, their checksums, and resume state.

Expected paths are data.binance.vision's layout as published (binance-public-data README): monthly
klines and fundingRate, daily metrics, daily klines for the month not yet over; ``.CHECKSUM`` bodies are
``sha256sum`` output.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from feeds.history.vision_download import (
    VerifiedState,
    instrument_candidates,
    parse_checksum,
    periods,
    plan_symbol,
    remove_parts,
    symbols_arg,
)
from tui.cli.parser import build_parser
from tui.config.loader import AppConfig

HASH = "5f2c1f8b6a3e4d7c9b0a1e2f3d4c5b6a7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"


def test_past_months_are_monthly_files_and_the_current_month_daily_ones_up_to_yesterday() -> None:
    months, days = periods(date(2023, 11, 15), date(2024, 2, 10), today=date(2024, 2, 5))
    assert months == ["2023-11", "2023-12", "2024-01"]
    assert days == ["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04"]


def test_a_span_that_ended_before_this_month_has_no_daily_files() -> None:
    assert periods(date(2023, 12, 31), date(2024, 1, 1), today=date(2024, 3, 1)) == (
        ["2023-12", "2024-01"],
        [],
    )


def test_plan_puts_each_kind_in_the_archives_own_folder() -> None:
    files = plan_symbol("PEPE", "1000PEPEUSDT", date(2024, 1, 30), date(2024, 2, 1), date(2024, 2, 2), "5m")
    assert [f.path for f in files] == [
        "data/futures/um/monthly/klines/1000PEPEUSDT/5m/1000PEPEUSDT-5m-2024-01.zip",
        "data/futures/um/daily/klines/1000PEPEUSDT/5m/1000PEPEUSDT-5m-2024-02-01.zip",
        "data/futures/um/monthly/fundingRate/1000PEPEUSDT/1000PEPEUSDT-fundingRate-2024-01.zip",
        "data/futures/um/daily/metrics/1000PEPEUSDT/1000PEPEUSDT-metrics-2024-01-30.zip",
        "data/futures/um/daily/metrics/1000PEPEUSDT/1000PEPEUSDT-metrics-2024-01-31.zip",
        "data/futures/um/daily/metrics/1000PEPEUSDT/1000PEPEUSDT-metrics-2024-02-01.zip",
        "data/spot/monthly/klines/PEPEUSDT/5m/PEPEUSDT-5m-2024-01.zip",  # spot has no 1000 multiplier
        "data/spot/daily/klines/PEPEUSDT/5m/PEPEUSDT-5m-2024-02-01.zip",
    ]
    assert {f.symbol for f in files} == {"PEPE"}


def test_no_spot_and_no_metrics_leave_klines_and_funding() -> None:
    files = plan_symbol(
        "BTC", "BTCUSDT", date(2024, 1, 1), date(2024, 1, 31), date(2024, 3, 1), "1h", False, False
    )
    assert [f.kind for f in files] == ["klines", "funding"]


def test_a_coin_may_be_a_1000_contract_and_an_instrument_is_taken_as_written() -> None:
    assert instrument_candidates("pepe") == (
        "PEPE",
        ["PEPEUSDT", "1000PEPEUSDT", "1000000PEPEUSDT", "1MPEPEUSDT"],
    )
    assert instrument_candidates("1000PEPEUSDT") == ("PEPE", ["1000PEPEUSDT"])
    assert [b for b, _ in symbols_arg("BTC, eth,BTCUSDT")] == ["BTC", "ETH"]
    with pytest.raises(ValueError, match="--symbols"):
        symbols_arg("BTC,$$")
    with pytest.raises(ValueError, match="no symbol"):
        symbols_arg(" , ")


def test_checksum_body_is_the_hash_and_the_file_name() -> None:
    name = "BTCUSDT-5m-2024-01.zip"
    assert parse_checksum(f"{HASH.upper()}  {name}\n", name) == HASH
    with pytest.raises(ValueError, match="names another file"):
        parse_checksum(f"{HASH}  ETHUSDT-5m-2024-01.zip", name)
    with pytest.raises(ValueError, match="is not"):
        parse_checksum("<html>Not Found</html>", name)
    with pytest.raises(ValueError, match="is not"):
        parse_checksum(f"{HASH[:-1]}  {name}", name)


def test_the_state_file_keeps_verified_files_across_runs_and_notices_a_changed_size(tmp_path: Path) -> None:
    rel = "data/futures/um/monthly/klines/BTCUSDT/5m/BTCUSDT-5m-2024-01.zip"
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_bytes(b"12345")
    VerifiedState(tmp_path).add(rel, HASH, 5)
    with (tmp_path / ".perptop-verified.tsv").open("a") as fh:
        fh.write(f"{HASH}\t9")  # a line a killed run cut short
    again = VerifiedState(tmp_path)
    assert again.is_verified(tmp_path, rel)
    assert not again.is_verified(tmp_path, "data/other.zip")
    (tmp_path / rel).write_bytes(b"1234")  # truncated since: fetched again
    assert not VerifiedState(tmp_path).is_verified(tmp_path, rel)


def test_part_files_a_killed_run_left_are_removed(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "X-5m-2024-01.zip.part").write_bytes(b"half")
    (tmp_path / "a" / "b" / "X-5m-2024-01.zip").write_bytes(b"whole")
    assert remove_parts(tmp_path) == 1
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["X-5m-2024-01.zip"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--since", "2024-02-30"], "--since '2024-02-30' is not a date like 2022-01-31"),
        (
            ["--since", "2024-02-01", "--until", "2024-01-01"],
            "--until 2024-01-01 is before --since 2024-02-01",
        ),
        (["--since", "2024-01-01", "--interval", "7m"], "--interval '7m' is not one the archive has"),
        (["--since", "2024-01-01", "--jobs", "9"], "--jobs 9 is not between 1 and 8"),
        (["--since", "2024-01-01", "--base-url", "ftp://x"], "--base-url 'ftp://x' is not an http(s):// URL"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    argv = ["download", "binance-vision", "--symbols", "BTC", "--out", str(tmp_path), *extra]
    args = build_parser().parse_args(argv)
    err = io.StringIO()
    assert args.handler(AppConfig(), args, err) == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"perptop download: {message}"), lines
    assert not any(tmp_path.iterdir())  # nothing was fetched or written
