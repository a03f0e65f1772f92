"""Reading and writing the history CSV of SIGNALS.md: time formats, oi_usd, symbols, bad rows, round trips."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from feeds.history.csvfile import HistoryCsvError, read_history_csv, write_history_csv
from signals.columns import COLUMNS, Col
from tests.support.paths import DATA

T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z
H = 3_600_000


def write(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_iso_epoch_ms_and_epoch_s_times_read_alike(tmp_path: Path) -> None:
    iso = write(
        tmp_path,
        "time,price\n2025-01-01T00:00:00Z,100\n2025-01-01T01:00:00+00:00,101\n2025-01-01 02:00:00,102\n",
        "iso.csv",
    )
    ms = write(tmp_path, f"time,price\n{T0},100\n{T0 + H},101\n{T0 + 2 * H},102\n", "ms.csv")
    s = write(
        tmp_path,
        f"time,price\n{T0 // 1000},100\n{(T0 + H) // 1000},101\n{(T0 + 2 * H) // 1000}.0,102\n",
        "s.csv",
    )
    for path in (iso, ms, s):
        h = read_history_csv(path)
        assert list(h.series) == [""]
        assert h.series[""][:, Col.TIME].tolist() == [T0, T0 + H, T0 + 2 * H]
        assert h.series[""][:, Col.PRICE].tolist() == [100, 101, 102]
        assert h.step_ms == H
        assert h.columns == ("time", "price")
        assert h.problems == []


def test_step_is_the_median_time_difference(tmp_path: Path) -> None:
    # diffs 5, 5, 10, 5 minutes: median 5 minutes, rows out of order are sorted
    m = 60_000
    rows = [T0, T0 + 5 * m, T0 + 20 * m, T0 + 10 * m, T0 + 25 * m]
    h = read_history_csv(write(tmp_path, "time,price\n" + "".join(f"{t},1\n" for t in rows)))
    assert h.step_ms == 5 * m
    assert h.series[""][:, Col.TIME].tolist() == sorted(rows)


def test_oi_usd_becomes_base_coin_oi(tmp_path: Path) -> None:
    h = read_history_csv(
        write(tmp_path, f"time,price,oi_usd,funding\n{T0},50,1000,0.0001\n{T0 + H},40,1000,\n")
    )
    b = h.series[""]
    assert b[:, Col.OI].tolist() == [20.0, 25.0]  # 1000 USD / 50, / 40
    assert b[0, Col.FUNDING] == 0.0001 and math.isnan(b[1, Col.FUNDING])
    assert h.columns == ("time", "price", "oi", "funding")


def test_a_symbol_column_gives_one_series_per_symbol(tmp_path: Path) -> None:
    text = (
        f"time,symbol,price\n{T0},BTCUSDT,100\n{T0},ETHUSDT,10\n{T0 + H},BTCUSDT,101\n"
        f"{T0 + H},ETHUSDT,11\n{T0 + 2 * H},BTCUSDT,102\n"
    )
    path = write(tmp_path, text)
    h = read_history_csv(path)
    assert sorted(h.series) == ["BTCUSDT", "ETHUSDT"]
    assert h.series["BTCUSDT"][:, Col.PRICE].tolist() == [100, 101, 102]
    assert h.series["ETHUSDT"][:, Col.PRICE].tolist() == [10, 11]
    only = read_history_csv(path, symbols={"eth"})  # the base coin, any case, picks ETHUSDT
    assert list(only.series) == ["ETHUSDT"]
    late = read_history_csv(path, since_ms=T0 + H)
    assert late.series["BTCUSDT"][:, Col.TIME].tolist() == [T0 + H, T0 + 2 * H]


def test_bad_rows_are_reported_with_their_line_numbers_and_skipped(tmp_path: Path) -> None:
    text = (
        "time,price,oi,funding\n"  # line 1
        f"{T0},100,5,0.0001\n"  # 2
        "yesterday,101,5,0.0001\n"  # 3: unparseable time
        f"{T0 + H},-3,5,0.0001\n"  # 4: negative price
        f"{T0 + 2 * H},abc,5,0.0001\n"  # 5: non-numeric price
        f"{T0 + 3 * H},103,lots,0.0001\n"  # 6: non-numeric OI
        f"{T0 + 4 * H},104,5,-0.0002\n"  # 7: fine (funding may be negative)
        f"{T0 + 5 * H},,5,0.0001\n"  # 8: no price
        f"{T0 + 6 * H},106\n"  # 9: too few fields
        "\n"  # 10: blank, ignored
        f"{T0 + 7 * H},107,5,0.0001\n"  # 11
    )
    path = write(tmp_path, text)
    h = read_history_csv(path)
    assert h.series[""][:, Col.PRICE].tolist() == [100, 104, 107]
    lines = [p.split(":")[0] for p in h.problems]
    assert lines == [f"{path} line {n}" for n in (3, 4, 5, 6, 8, 9)]
    assert "yesterday" in h.problems[0] and "time" in h.problems[0]
    assert "negative" in h.problems[1]
    assert "'abc' is not a number" in h.problems[2]
    assert "oi 'lots'" in h.problems[3]
    assert "price is missing" in h.problems[4]


def test_unknown_columns_are_named_and_ignored(tmp_path: Path) -> None:
    h = read_history_csv(write(tmp_path, f"time,price,volume\n{T0},1,9\n{T0 + H},2,9\n"))
    assert len(h.problems) == 1 and "line 1" in h.problems[0] and "'volume'" in h.problems[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("time,oi\n1,2\n", "no price column"),
        ("price,oi\n1,2\n", "no time column"),
        ("stamp,close\n1,2\n", "no time or price column"),
        ("", "empty"),
        ("time,price\nnever,-1\nlater,x\n", "no usable rows (2 bad)"),
        (f"time,price\n{T0},1\n", "at least two bars"),
    ],
)
def test_an_unusable_file_is_one_line_naming_it(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(HistoryCsvError) as info:
        read_history_csv(path)
    message = str(info.value)
    assert message.startswith(str(path)) and words in message and "\n" not in message


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(HistoryCsvError, match=r"nope\.csv: cannot read it"):
        read_history_csv(tmp_path / "nope.csv")


def test_write_then_read_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    series = {}
    for k, sym in enumerate(("BTC", "ETH")):
        b = np.full((50, len(COLUMNS)), np.nan)
        b[:, Col.TIME] = T0 + 300_000 * np.arange(50)
        b[:, Col.PRICE] = 100 * (k + 1) * np.exp(np.cumsum(rng.normal(0, 0.01, 50)))
        b[:, Col.OI] = rng.uniform(1e3, 2e3, 50)
        b[::7, Col.OI] = np.nan  # holes survive as empty cells
        b[:, Col.FUNDING] = rng.normal(0, 1e-4, 50)
        series[sym] = b
    path = tmp_path / "out.csv"
    write_history_csv(path, series, 300_000)
    header, first = path.read_text().splitlines()[:2]
    assert header == "time,symbol,price,oi,funding"
    assert first.startswith("2025-01-01T00:00:00Z,BTC,")
    back = read_history_csv(path)
    assert back.step_ms == 300_000 and back.columns == ("time", "price", "oi", "funding")
    for sym, b in series.items():
        assert np.array_equal(back.series[sym], b, equal_nan=True)


def test_a_single_unnamed_series_is_written_without_a_symbol_column(tmp_path: Path) -> None:
    b = np.full((3, len(COLUMNS)), np.nan)
    b[:, Col.TIME] = T0 + np.array([0, 1500, 3000])  # not whole seconds: written to the millisecond
    b[:, Col.PRICE] = [1.5, 2.5, 3.5]
    path = tmp_path / "one.csv"
    write_history_csv(path, {"": b}, 1500)
    assert path.read_text().splitlines() == [
        "time,price",
        "2025-01-01T00:00:00.000Z,1.5",
        "2025-01-01T00:00:01.500Z,2.5",
        "2025-01-01T00:00:03.000Z,3.5",
    ]
    assert np.array_equal(read_history_csv(path).series[""], b, equal_nan=True)


REAL = DATA / "binance-btc-1h-funding-ggcmk"


def test_real_binance_funding_reads_as_a_history_file(tmp_path: Path) -> None:
    # The real funding file, renamed to the history columns: 1,731 settlements of 8h funding.
    src = REAL / "BTCUSDT-funding.csv"
    if not src.exists():
        pytest.skip(f"real data not found at {src}")
    lines = src.read_text().splitlines()
    assert lines[0] == "fundingTime,fundingIntervalHours,fundingRate"
    rows = [line.split(",") for line in lines[1:]]
    # price is required: a constant 1 stands in, it is not what this test looks at
    text = "time,funding_interval_h,funding,price\n" + "".join(f"{t},{i},{f},1\n" for t, i, f in rows)
    h = read_history_csv(write(tmp_path, text))
    b = h.series[""]
    assert len(b) == 1731 and h.problems == []
    assert h.step_ms == 8 * H  # settlements every 8 h (the first is stamped 15 ms late)
    assert b[0, Col.TIME] == 1735689600015 and b[0, Col.FUNDING] == 0.0001


def test_max_symbols_keeps_the_first_symbols_in_file_order_and_counts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    rows = ["time,symbol,price"]
    for t in (0, 300):  # two bars each, interleaved: ZZZ first, then AAA, BBB, CCC
        rows += [f"{t},{s},{i + 1}" for i, s in enumerate(("ZZZ", "AAA", "BBB", "CCC"))]
    path.write_text("\n".join(rows) + "\n")
    history = read_history_csv(path, max_symbols=2)
    assert list(history.series) == ["ZZZ", "AAA"] and history.left_out == 2
    assert history.series["AAA"][:, Col.PRICE].tolist() == [2.0, 2.0]
    assert read_history_csv(path, max_symbols=4).left_out == 0
