"""The Parquet research store: written by import/export, read back bar for bar, replayed, refused in one line.

Expected values come from the bars the tests build (or the CSV path of the same data), never from the
Parquet code: a round trip must give back exactly what went in, NaN where NaN.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from feeds.history.csvfile import read_history_csv, write_history_csv
from feeds.history.parquet_store import write_parquet_file, write_store, write_symbol
from feeds.history.source import open_history, stream_history
from signals.columns import COLUMNS, Col
from tests.support.history import replay_store
from tests.support.paths import SHARED
from tests.support.stores import good_store, run_cli

duckdb = pytest.importorskip("duckdb")

STEP = 300_000
NEW_YEAR_2025 = 1_735_689_600_000


def _series(n: int, start_ms: float, seed: int) -> np.ndarray:
    """``n`` 5-minute bars with every column, a tenth of the non-price values unknown (NaN)."""
    rng = np.random.default_rng(seed)
    bars = rng.uniform(0.5, 2.0, (n, len(COLUMNS)))
    bars[rng.random(bars.shape) < 0.1] = np.nan
    bars[:, Col.TIME] = start_ms + STEP * np.arange(n)
    bars[:, Col.PRICE] = 100.0 + rng.standard_normal(n).cumsum().round(6) + 50.0
    bars[:, Col.FUNDING] -= 1.25  # funding is signed
    return bars


def _history() -> dict[str, np.ndarray]:
    """Three symbols: BTC crosses New Year 2025 (two partitions), ETH lies in 2023, SOLUSDT in 2025."""
    return {
        "BTC": _series(600, NEW_YEAR_2025 - 300 * STEP, 1),
        "ETH": _series(200, 1_690_000_000_000, 2),
        "SOLUSDT": _series(50, 1_740_000_000_000, 3),
    }


def _csv(tmp_path: Path, series: dict[str, np.ndarray]) -> Path:
    path = tmp_path / "history.csv"
    write_history_csv(path, series, STEP)
    return path


def _assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key])  # NaN equals NaN here: unknown stays unknown


def test_csv_to_parquet_folder_and_file_reads_back_bar_for_bar(tmp_path: Path) -> None:
    csv = read_history_csv(_csv(tmp_path, _history()))
    store = tmp_path / "store"
    write_store(store, csv.series, csv.step_ms)
    write_parquet_file(tmp_path / "one.parquet", csv.series, csv.step_ms)
    parts = sorted(str(p.relative_to(store)) for p in store.rglob("*.parquet"))
    assert parts == [
        "symbol=BTC/year=2024/part-0.parquet",
        "symbol=BTC/year=2025/part-0.parquet",
        "symbol=ETH/year=2023/part-0.parquet",
        "symbol=SOLUSDT/year=2025/part-0.parquet",
    ]
    for path in (store, tmp_path / "one.parquet"):
        history = open_history(path)
        _assert_same(history.series, csv.series)
        assert (history.step_ms, history.columns, history.problems) == (STEP, COLUMNS, [])
        some = open_history(path, {"SOL", "ETH"})  # SOL picks SOLUSDT, as in the CSV reader
        _assert_same(some.series, {k: csv.series[k] for k in ("ETH", "SOLUSDT")})


def test_streaming_yields_one_symbol_at_a_time_and_filters_like_the_csv(tmp_path: Path) -> None:
    series = _history()
    store = tmp_path / "store"
    write_store(store, series, STEP)
    meta, bars = stream_history(store, {"BTC", "SOL"})  # SOL picks SOLUSDT, as in the CSV reader
    assert (meta.symbols, meta.step_ms, meta.columns) == (["BTC", "SOLUSDT"], STEP, COLUMNS)
    assert meta.in_file == ["BTC", "ETH", "SOLUSDT"]
    _assert_same(dict(bars), {k: series[k] for k in ("BTC", "SOLUSDT")})


def test_rewriting_one_symbol_replaces_only_its_partitions(tmp_path: Path) -> None:
    series = _history()
    store = tmp_path / "store"
    write_store(store, series, STEP)
    shorter = series["BTC"][-100:]  # 2025 only: the 2024 partition must go, not linger as old rows
    write_symbol(store, "BTC", shorter, STEP)
    assert not (store / "symbol=BTC" / "year=2024").exists()
    _assert_same(
        open_history(store).series, {"BTC": shorter, "ETH": series["ETH"], "SOLUSDT": series["SOLUSDT"]}
    )
    write_symbol(store, "BTC", shorter, STEP)  # again: no duplicated row
    assert len(open_history(store, {"BTC"}).series["BTC"]) == 100


def test_a_failed_write_keeps_the_old_partitions_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import feeds.history.parquet_store as ps
    from feeds.history.parquet_store import ParquetWriteError

    series = _history()
    store = tmp_path / "store"
    write_store(store, series, STEP)
    real = ps._copy
    calls = []

    def second_fails(*args: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ps, "_copy", second_fails)
    new = series["BTC"].copy()
    new[:, Col.PRICE] += 1.0
    with pytest.raises(ParquetWriteError, match="disk is full") as exc:
        write_symbol(store, "BTC", new, STEP)
    assert exc.value.status == 1
    monkeypatch.undo()
    _assert_same(open_history(store).series, series)
    assert [p.name for p in store.rglob("*") if p.name.startswith(".")] == []


def test_duckdb_reads_the_store_with_the_documented_schema(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_store(store, _history(), STEP)
    con = duckdb.connect()
    rows = con.execute(
        "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = true, "
        "hive_types = {'symbol': VARCHAR, 'year': INTEGER})",
        [f"{store}/symbol=*/year=*/*.parquet"],
    ).fetchall()
    double = [(c, "DOUBLE") for c in COLUMNS[1:]]
    assert [(r[0], r[1]) for r in rows] == [
        ("time", "TIMESTAMP WITH TIME ZONE"),
        *double,
        ("symbol", "VARCHAR"),
        ("year", "INTEGER"),
    ]
    # The partition columns are the folder names; time is the UTC instant of the bar.
    first = con.execute(
        "SELECT symbol, year, epoch_ms(time), price FROM read_parquet(?, hive_partitioning = true) "
        "WHERE symbol = 'BTC' ORDER BY time LIMIT 1",
        [f"{store}/symbol=*/year=*/*.parquet"],
    ).fetchone()
    btc = _history()["BTC"][0]
    assert first == ("BTC", 2024, int(btc[Col.TIME]), btc[Col.PRICE])


def _replayed(path: Path) -> dict[str, np.ndarray]:
    """Every bar a replay of ``path`` puts on screen, per symbol, played to the end."""
    import argparse

    from signals.params import SignalParams
    from tui.cli.replay import add_parser, load_source
    from tui.config.loader import AppConfig

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    source = load_source(AppConfig(), parser.parse_args(["replay", str(path)]))
    store = replay_store(source, SignalParams())
    while source.step_bar():
        pass
    return {s: store.series(s, "replay") for s in source.symbols}


def test_replay_of_a_parquet_folder_plays_the_same_bars_as_the_csv(tmp_path: Path) -> None:
    series = {k: _series(400, 1_735_000_000_000, i) for i, k in enumerate(("BTC", "ETH"))}
    csv = _csv(tmp_path, series)
    store = tmp_path / "store"
    write_store(store, read_history_csv(csv).series, STEP)
    from_csv, from_parquet = _replayed(csv), _replayed(store)
    assert list(from_parquet) == ["BTC", "ETH"]
    _assert_same(from_parquet, from_csv)


def test_export_parquet_writes_what_export_csv_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = good_store(tmp_path / "h.sqlite3", bars=300)
    code, _, err = run_cli(
        ["export", "--store", str(store), "--csv", str(tmp_path / "a.csv")], capsys, tmp_path
    )
    assert (code, err) == (0, "")
    for target in (tmp_path / "research", tmp_path / "b.parquet"):
        code, out, err = run_cli(
            ["export", "--store", str(store), "--parquet", str(target)], capsys, tmp_path
        )
        assert (code, err) == (0, "") and out.startswith("wrote 300 bars of 1 symbol")
        _assert_same(open_history(target).series, read_history_csv(tmp_path / "a.csv").series)


def test_import_writes_parquet_for_a_folder_or_parquet_name_and_csv_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = SHARED / "data" / "binance-btc-1h-funding-ggcmk"
    if not data.is_dir():
        pytest.skip(f"shared data not found at {data}")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "BTCUSDT-1h-2025-01.csv").symlink_to(data / "BTCUSDT-1h-futures.csv")
    (dumps / "BTCUSDT-fundingRate-2025-01.csv").symlink_to(data / "BTCUSDT-funding.csv")
    outs = [tmp_path / "bv.csv", tmp_path / "bv", tmp_path / "bv.parquet"]
    for out in outs:
        code, _, err = run_cli(["import", "binance-vision", str(dumps), "--out", str(out)], capsys, tmp_path)
        assert code == 0, err
    assert outs[0].read_text().startswith("time,")  # a .csv name is still the CSV
    assert (outs[1] / "symbol=BTC").is_dir() and outs[2].read_bytes()[:4] == b"PAR1"
    want = read_history_csv(outs[0]).series
    for out in outs[1:]:
        _assert_same(open_history(out).series, want)


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    """An empty tmpfs mounted read-only at ``tmp_path/mnt`` (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    point = tmp_path / "mnt"
    point.mkdir()
    run = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,ro", "tmpfs", str(point)], capture_output=True
    )
    if run.returncode:
        pytest.skip(f"this machine cannot mount a tmpfs here ({run.stderr.decode().strip()})")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


def test_export_to_a_read_only_folder_is_one_line_and_exit_2(
    tmp_path: Path, read_only_mount: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = good_store(tmp_path / "h.sqlite3", bars=20)
    for target in (read_only_mount / "research", read_only_mount / "b.parquet"):
        code, out, err = run_cli(
            ["export", "--store", str(store), "--parquet", str(target)], capsys, tmp_path
        )
        assert (code, out) == (2, "")
        assert err.startswith(f"perptop export: could not write {read_only_mount}") and err.count("\n") == 1
        assert "Read-only file system" in err
    assert os.listdir(read_only_mount) == []


def _bad_inputs(tmp_path: Path) -> list[tuple[list[str], str]]:
    """(replay arguments, the one line expected) for each kind of unusable Parquet input."""
    not_parquet = tmp_path / "text.parquet"
    not_parquet.write_text("time,price\n1,2\n")
    empty_dir = tmp_path / "empty"
    (empty_dir / "loose").mkdir(parents=True)
    con = duckdb.connect()
    no_price = tmp_path / "no_price.parquet"
    con.execute(f"COPY (SELECT 1700000000000 AS time, 1.0 AS oi) TO '{no_price}' (FORMAT parquet)")
    mixed = tmp_path / "mixed"
    write_store(mixed, _history(), STEP)
    odd = mixed / "symbol=ETH" / "year=2023" / "part-0.parquet"
    con.execute(f"COPY (SELECT 1700000000000 AS time, 1.0 AS price) TO '{odd}' (FORMAT parquet)")
    good = tmp_path / "good"
    write_store(good, _history(), STEP)
    return [
        (
            [str(not_parquet)],
            f"{not_parquet}: cannot read it as Parquet (Invalid Input Error: No magic bytes",
        ),
        ([str(empty_dir)], f"{empty_dir}: no symbol=NAME partitions holding .parquet files in the folder"),
        ([str(no_price)], f"{no_price}: no price column"),
        ([str(mixed)], f"{odd}: another schema than "),
        ([str(good), "--symbols", "XRP"], f"{good}: no rows of XRP (it has BTC, ETH, SOLUSDT)"),
    ]


def test_bad_parquet_inputs_are_one_line_naming_the_file_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, line in _bad_inputs(tmp_path):
        code, out, err = run_cli(["replay", *argv], capsys, tmp_path)
        assert (code, out) == (2, ""), argv
        assert err.startswith(f"perptop replay: {line}"), err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_partitions_written_before_the_added_columns_still_read_with_them_unknown(tmp_path: Path) -> None:
    # A store whose ETH partition an older perptop wrote (its 10 columns, built by hand from the same bars),
    # and whose BTC was rewritten since at the current schema: one history, ETH's added columns unknown.
    added = COLUMNS[10:]
    assert added[0] == "premium" and added[-1] == "funding_spread_8h"
    history = _history()
    folder = tmp_path / "store"
    write_store(folder, history, STEP)
    [eth_file] = (folder / "symbol=ETH").rglob("*.parquet")
    narrow = tmp_path / "narrow.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * EXCLUDE ({', '.join(added)}) FROM read_parquet('{eth_file}', "
        f"hive_partitioning = false)) TO '{narrow}' (FORMAT parquet)"
    )
    os.replace(narrow, eth_file)
    got = open_history(folder)
    want = dict(history)
    want["ETH"] = history["ETH"].copy()
    want["ETH"][:, 10:] = np.nan
    _assert_same(got.series, want)
    streamed = dict(stream_history(folder)[1])
    _assert_same(streamed, want)


def test_a_column_unknown_in_most_partitions_is_still_read_where_it_has_values(tmp_path: Path) -> None:
    # Columns NULL in every file are left out of the read (their NaN is what the files hold); one with a
    # value in a single row of one partition must still come back, and a wholly unknown one stay NaN.
    history = _history()
    for bars in history.values():
        bars[:, Col.PREMIUM] = np.nan
        bars[:, Col.SPOT_PRICE] = np.nan
    history["SOLUSDT"][-1, Col.PREMIUM] = 0.0123  # the last symbol read, its last bar only
    folder = tmp_path / "store"
    write_store(folder, history, STEP)
    whole = open_history(folder)
    _assert_same(whole.series, history)
    meta, series = stream_history(folder)
    _assert_same(dict(series), history)
    assert "premium" in meta.columns and "spot_price" not in meta.columns
    assert whole.columns == meta.columns


def test_a_bad_value_in_a_partition_is_skipped_and_counted_as_the_csv_reader_does(tmp_path: Path) -> None:
    history = _history()
    history["ETH"][[3, 7], Col.FUT_VOL] = -5.0  # two negative volumes
    history["ETH"][9, Col.OI] = np.inf
    folder = tmp_path / "store"
    write_store(folder, history, STEP)
    got = open_history(folder)
    [eth_file] = (folder / "symbol=ETH").rglob("*.parquet")
    assert got.problems == [
        f"{eth_file}: 1 row(s) skipped: oi is not finite",
        f"{eth_file}: 2 row(s) skipped: futures_volume_usd is negative",
    ]
    want = dict(history)
    want["ETH"] = np.delete(history["ETH"], [3, 7, 9], axis=0)
    _assert_same(got.series, want)
