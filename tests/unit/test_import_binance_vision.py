"""``perptop import binance-vision``: tiny dump folders in tmp, values worked out by hand."""

from __future__ import annotations

import argparse
import io
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from feeds.history.binance_vision import import_dir
from signals.columns import Col
from tests.support.paths import DATA
from tui.cli.importer import add_parser, run
from tui.config.loader import AppConfig

H = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC
KLINES_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
    "taker_buy_quote_volume,ignore\n"
)
METRICS_HEADER = (
    "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,"
    "sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio\n"
)


def kline(t: int, close: float, quote_volume: float) -> str:
    return f"{t},{close},{close},{close},{close},1.0,{t + H - 1},{quote_volume},10,0.5,{quote_volume / 2},0\n"


def write_btc(folder: Path) -> None:
    """Three hourly BTCUSDT klines, metrics snapshots and one funding settlement."""
    (folder / "BTCUSDT-1h-2024-01-01.csv").write_text(
        KLINES_HEADER
        + kline(T0, 100.0, 1000.0)
        + kline(T0 + H, 102.0, 2000.0)
        + kline(T0 + 2 * H, 101.0, 1500.0)
    )
    (folder / "BTCUSDT-metrics-2024-01-01.csv").write_text(
        METRICS_HEADER
        + "2024-01-01 00:05:00,BTCUSDT,10.0,1000.0,1.1,1.2,1.5,0.9\n"
        + "2024-01-01 00:55:00,BTCUSDT,11.0,1100.0,1.1,1.2,1.6,0.9\n"
        + "2024-01-01 01:00:00,BTCUSDT,12.0,1200.0,1.1,1.2,1.7,0.9\n"
        + "2024-01-01 02:30:00,BTCUSDT,14.0,1400.0,1.1,1.2,,0.9\n"
    )
    (folder / "BTCUSDT-fundingRate-2024-01.csv").write_text(
        f"calc_time,funding_interval_hours,last_funding_rate\n{T0 + 7},8,0.00010000\n"
    )


def test_klines_metrics_and_funding_become_bars_at_their_close(tmp_path: Path) -> None:
    write_btc(tmp_path)
    series, step, problems = import_dir(tmp_path, err=None)
    assert step == H and problems == [] and list(series) == ["BTC"]
    bars = series["BTC"]
    assert bars[:, Col.TIME].tolist() == [T0, T0 + H, T0 + 2 * H]
    assert bars[:, Col.PRICE].tolist() == [100.0, 102.0, 101.0]  # close
    assert bars[:, Col.FUT_VOL].tolist() == [1000.0, 2000.0, 1500.0]  # quote volume, USDT
    # Bar 00:00 closes at 01:00: the 01:00 snapshot is its closing value. Nothing was taken in
    # (01:00, 02:00], so bar 01:00 has no open interest rather than a stale copy. Bar 02:00 gets 02:30's.
    assert bars[0, Col.OI] == 12.0 and bars[0, Col.LS_RATIO] == 1.7
    assert math.isnan(bars[1, Col.OI]) and math.isnan(bars[1, Col.LS_RATIO])
    assert bars[2, Col.OI] == 14.0 and math.isnan(bars[2, Col.LS_RATIO])  # an empty field is unknown
    # The rate settled at 00:00 is the latest known at every close until the next settlement.
    assert (
        bars[:, Col.FUNDING].tolist() == [0.0001] * 3
        and bars[:, Col.FUNDING_INTERVAL_H].tolist() == [8.0] * 3
    )
    assert np.isnan(bars[:, Col.SPOT_VOL]).all()


def test_headerless_klines_and_multiplied_contracts_are_per_coin(tmp_path: Path) -> None:
    # Older dumps have no header; 1000PEPEUSDT quotes 1000 coins, so prices divide and sizes multiply.
    (tmp_path / "1000PEPEUSDT-1h-2024-01-01.csv").write_text(
        kline(T0, 0.0125, 500.0) + kline(T0 + H, 0.0150, 600.0)
    )
    (tmp_path / "1000PEPEUSDT-metrics-2024-01-01.csv").write_text(
        METRICS_HEADER + "2024-01-01 01:00:00,1000PEPEUSDT,2000.0,25.0,1.0,1.0,0.8,1.0\n"
    )
    series, _, problems = import_dir(tmp_path, err=None)
    assert problems == [] and list(series) == ["PEPE"]
    bars = series["PEPE"]
    assert bars[:, Col.PRICE].tolist() == pytest.approx([0.0000125, 0.0000150])
    assert bars[0, Col.OI] == 2_000_000.0 and bars[0, Col.LS_RATIO] == 0.8


def zipped(path: Path, member: str, text: str) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, text)


def test_zip_files_are_read_like_csv_files(tmp_path: Path) -> None:
    zipped(
        tmp_path / "ETHUSDT-1h-2024-01.zip",
        "ETHUSDT-1h-2024-01.csv",
        KLINES_HEADER + kline(T0, 2300.5, 7.0) + kline(T0 + H, 2310.0, 8.0),
    )
    zipped(
        tmp_path / "ETHUSDT-fundingRate-2024-01.zip",
        "ETHUSDT-fundingRate-2024-01.csv",
        f"calc_time,funding_interval_hours,last_funding_rate\n{T0 + H},4,-0.00020000\n",
    )
    series, _, problems = import_dir(tmp_path, err=None)
    assert problems == []
    bars = series["ETH"]
    assert bars[:, Col.PRICE].tolist() == [2300.5, 2310.0] and bars[:, Col.FUT_VOL].tolist() == [7.0, 8.0]
    # Settled at 01:00: known at the close of bar 00:00 (01:00), so both bars carry it.
    assert bars[:, Col.FUNDING].tolist() == [-0.0002, -0.0002] and bars[
        :, Col.FUNDING_INTERVAL_H
    ].tolist() == [4.0, 4.0]


def test_a_bad_row_is_reported_with_its_file_and_line_and_the_rest_is_kept(tmp_path: Path) -> None:
    (tmp_path / "BTCUSDT-1h-2024-01-01.csv").write_text(
        KLINES_HEADER + kline(T0, 100.0, 1.0) + kline(T0 + H, -5.0, 1.0) + kline(T0 + 2 * H, 101.0, 1.0)
    )
    zipped(
        tmp_path / "BTCUSDT-1h-2024-01-02.zip",
        "BTCUSDT-1h-2024-01-02.csv",
        "x1704153600000,1,1,1,1,1,1,1,1,1,1,0\n" + kline(T0 + 25 * H, 99.0, 1.0),
    )
    series, _, problems = import_dir(tmp_path, err=None)
    assert problems == [
        "BTCUSDT-1h-2024-01-01.csv line 3: close -5 is not a positive price",
        "BTCUSDT-1h-2024-01-02.zip:BTCUSDT-1h-2024-01-02.csv line 1: open_time 'x1704153600000' is not a time",
    ]
    assert series["BTC"][:, Col.PRICE].tolist() == [100.0, 101.0, 99.0]


def test_spot_klines_give_spot_volume_and_mark_price_klines_are_not_prices(tmp_path: Path) -> None:
    futures = tmp_path / "data" / "futures" / "um" / "daily" / "klines" / "BTCUSDT" / "1h"
    spot = tmp_path / "data" / "spot" / "daily" / "klines" / "BTCUSDT" / "1h"
    mark = tmp_path / "data" / "futures" / "um" / "daily" / "markPriceKlines" / "BTCUSDT" / "1h"
    for folder in (futures, spot, mark):
        folder.mkdir(parents=True)
    (futures / "BTCUSDT-1h-2024-01-01.csv").write_text(kline(T0, 100.0, 1000.0) + kline(T0 + H, 101.0, 900.0))
    # Spot dumps are stamped in microseconds since 2025.
    (spot / "BTCUSDT-1h-2024-01-01.csv").write_text(f"{T0 * 1000},1,1,1,1,1,0,250.0,1,1,1,0\n")
    (mark / "BTCUSDT-1h-2024-01-01.csv").write_text(kline(T0, 555.0, 0.0))
    bars = import_dir(tmp_path, err=None)[0]["BTC"]
    assert bars[:, Col.PRICE].tolist() == [100.0, 101.0]
    assert bars[0, Col.SPOT_VOL] == 250.0 and math.isnan(bars[1, Col.SPOT_VOL])


def test_the_shortest_interval_is_used_unless_one_is_asked_for(tmp_path: Path) -> None:
    write_btc(tmp_path)
    (tmp_path / "BTCUSDT-5m-2024-01-01.csv").write_text(
        "".join(kline(T0 + i * 300_000, 100.0 + i, 1.0) for i in range(3))
    )
    series, step, _ = import_dir(tmp_path, err=None)
    assert step == 300_000 and len(series["BTC"]) == 3
    series, step, _ = import_dir(tmp_path, "1h", err=None)
    assert step == H and series["BTC"][:, Col.PRICE].tolist() == [100.0, 102.0, 101.0]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_command_writes_the_history_csv_and_reports_on_stderr(tmp_path: Path) -> None:
    from feeds.history.csvfile import read_history_csv

    dump = tmp_path / "dump"
    dump.mkdir()
    write_btc(dump)
    (dump / "BTCUSDT-1h-2024-01-02.csv").write_text(KLINES_HEADER + "1704153600000,1,1,1,abc,1,1,1,1,1,1,0\n")
    out = tmp_path / "btc.csv"
    err = io.StringIO()
    assert run(AppConfig(), parse(["import", "binance-vision", str(dump), "--out", str(out)]), err) == 0
    text = err.getvalue()
    assert "files read" in text
    assert "BTCUSDT-1h-2024-01-02.csv line 2: close 'abc' is not a number" in text
    assert f"wrote 3 bars of BTC to {out}" in text
    back = read_history_csv(out)
    bars = back.series["BTC"]
    assert back.step_ms == H and bars[:, Col.PRICE].tolist() == [100.0, 102.0, 101.0]
    assert bars[0, Col.OI] == 12.0 and bars[2, Col.FUNDING] == 0.0001


def test_a_folder_without_futures_klines_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "BTCUSDT-fundingRate-2024-01.csv").write_text(f"{T0},8,0.0001\n")
    err = io.StringIO()
    assert run(AppConfig(), parse(["import", "binance-vision", str(tmp_path)]), err) == 2
    assert "no futures klines" in err.getvalue()


def test_real_binance_archive_candles_and_funding(tmp_path: Path) -> None:
    data = DATA / "binance-btc-1h-funding-ggcmk"
    if not data.is_dir():
        pytest.skip(f"shared data not found at {data}")
    # Read in place through links under the archive's file names (nothing is copied).
    (tmp_path / "BTCUSDT-1h-2025-01.csv").symlink_to(data / "BTCUSDT-1h-futures.csv")
    (tmp_path / "BTCUSDT-fundingRate-2025-01.csv").symlink_to(data / "BTCUSDT-funding.csv")
    series, step, problems = import_dir(tmp_path, err=None)
    bars = series["BTC"]
    assert problems == [] and step == H and len(bars) == 13_848  # SOURCE.txt: 13,848 hourly bars
    # First row of the klines file: open 2025-01-01 00:00, close 94363.60, quote volume 539615914.46460.
    assert (
        bars[0, Col.TIME] == 1_735_689_600_000
        and bars[0, Col.PRICE] == 94363.60
        and bars[0, Col.FUT_VOL] == 539615914.46460
    )
    # First settlement: 2025-01-01 00:00:00.015, 8 h, 0.0001 -> known at the first bar's close.
    assert bars[0, Col.FUNDING] == 0.0001 and bars[0, Col.FUNDING_INTERVAL_H] == 8.0


def test_klines_give_taker_flows_and_metrics_the_top_traders_position_ratio(tmp_path: Path) -> None:
    futures = tmp_path / "data" / "futures" / "um" / "daily" / "klines" / "BTCUSDT" / "1h"
    spot = tmp_path / "data" / "spot" / "daily" / "klines" / "BTCUSDT" / "1h"
    for folder in (futures, spot):
        folder.mkdir(parents=True)
    # quote volume 1000 of which takers bought 700: taker buy 700, taker sell 300; a row cut after
    # quote_volume (8 fields) has no taker figure at all.
    (futures / "BTCUSDT-1h-2024-01-01.csv").write_text(
        f"{T0},1,1,1,100.0,1,0,1000.0,10,7,700.0,0\n{T0 + H},1,1,1,101.0,1,0,900.0\n"
    )
    (spot / "BTCUSDT-1h-2024-01-01.csv").write_text(f"{T0 * 1000},1,1,1,1,1,0,250.0,1,1,100.0,0\n")
    (futures / "BTCUSDT-metrics-2024-01-01.csv").write_text(
        METRICS_HEADER + "2024-01-01 01:00:00,BTCUSDT,12.0,1200.0,1.1,0.8,1.7,0.9\n"
    )
    bars = import_dir(tmp_path, err=None)[0]["BTC"]
    assert (bars[0, Col.TAKER_BUY], bars[0, Col.TAKER_SELL]) == (700.0, 300.0)
    assert (bars[0, Col.SPOT_TAKER_BUY], bars[0, Col.SPOT_TAKER_SELL]) == (100.0, 150.0)
    assert np.isnan(bars[1, [Col.TAKER_BUY, Col.TAKER_SELL, Col.SPOT_TAKER_BUY]]).all()
    # sum_toptrader_long_short_ratio (by position), not count_toptrader_long_short_ratio (by accounts)
    assert bars[0, Col.LS_TOP] == 0.8 and bars[0, Col.LS_RATIO] == 1.7


def test_real_binance_klines_carry_the_taker_buy_quote_volume(tmp_path: Path) -> None:
    data = DATA / "binance-btc-1h-funding-ggcmk"
    if not data.is_dir():
        pytest.skip(f"shared data not found at {data}")
    (tmp_path / "BTCUSDT-1h-2025-01.csv").symlink_to(data / "BTCUSDT-1h-futures.csv")
    bars = import_dir(tmp_path, err=None)[0]["BTC"]
    # First row: quoteVolume 539615914.46460, takerBuyQuote 308056781.54270.
    assert bars[0, Col.TAKER_BUY] == 308056781.54270
    assert bars[0, Col.TAKER_SELL] == pytest.approx(539615914.46460 - 308056781.54270)
    assert not np.isnan(bars[:, Col.TAKER_BUY]).any()
    assert bars[:, Col.TAKER_BUY] + bars[:, Col.TAKER_SELL] == pytest.approx(bars[:, Col.FUT_VOL])
