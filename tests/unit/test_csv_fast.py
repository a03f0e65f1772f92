"""The DuckDB fast path of the history CSV gives exactly what the Python reader gives, or steps aside.

Every file is read three ways: by the pure-Python reader (the reference: its behaviour is the spec, pinned
by test_history_csv.py), by ``read_csv_fast`` alone, and by ``read_history_csv`` with the fast path forced
on. The fast result, when there is one, and the hooked result must equal the reference: the same series
in the same order, the same bits (NaN included), step, columns, problems, missing, in_file and left_out;
and a file the Python reader rejects is rejected with the same message.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import feeds.history.source as source
from feeds.history.csv_fast import read_csv_fast
from feeds.history.csvfile import HistoryCsvError, HistoryFile, write_history_csv
from signals.columns import COLUMNS, Col
from tests.support.paths import DATA, ROOT

T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z
STEP = 300_000


def _python(monkeypatch: pytest.MonkeyPatch, path: Path, **kw: object) -> HistoryFile | str:
    """The pure-Python reader's result, or its one-line error."""
    monkeypatch.setattr(source, "FAST_FROM_BYTES", 1 << 62)
    try:
        return source.read_csv(path, **kw)  # type: ignore[arg-type]
    except HistoryCsvError as exc:
        return f"{type(exc).__name__}: {exc}"


def _hooked(monkeypatch: pytest.MonkeyPatch, path: Path, **kw: object) -> HistoryFile | str:
    monkeypatch.setattr(source, "FAST_FROM_BYTES", 0)
    try:
        return source.read_csv(path, **kw)  # type: ignore[arg-type]
    except HistoryCsvError as exc:
        return f"{type(exc).__name__}: {exc}"


def _assert_same(got: HistoryFile | str, want: HistoryFile | str, what: str) -> None:
    if isinstance(want, str) or isinstance(got, str):
        assert got == want, what
        return
    assert list(got.series) == list(want.series), what
    for key, bars in want.series.items():
        mine = got.series[key]
        assert mine.shape == bars.shape and mine.dtype == np.float64, (what, key)
        assert np.array_equal(mine.view(np.uint64), bars.view(np.uint64)), (what, key)  # bit for bit
    assert (got.path, got.step_ms, got.columns) == (want.path, want.step_ms, want.columns), what
    assert got.problems == want.problems, what
    assert (got.missing, got.in_file, got.left_out) == (want.missing, want.in_file, want.left_out), what


def _check(monkeypatch: pytest.MonkeyPatch, path: Path, **kw: object) -> HistoryFile | None:
    """Compare the three reads; returns the fast result (None when the fast path stepped aside)."""
    want = _python(monkeypatch, path, **kw)
    fast = read_csv_fast(path, **kw)  # type: ignore[arg-type]
    if fast is not None:
        _assert_same(fast, want, f"fast {path.name} {kw}")
    _assert_same(_hooked(monkeypatch, path, **kw), want, f"hooked {path.name} {kw}")
    return fast


def _check_hooked(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The hooked read against the reference: it returns the fast result whenever there is one, so a
    wrong fast result fails here too, at one DuckDB connection (11 ms) a file instead of two."""
    _assert_same(_hooked(monkeypatch, path), _python(monkeypatch, path), f"hooked {path.name}")


def _bars(n: int, seed: int, with_nan: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    b = rng.uniform(0.5, 2.0, (n, len(COLUMNS)))
    b[:, Col.TIME] = T0 + STEP * np.arange(n)
    b[:, Col.PRICE] = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    b[:, Col.FUNDING] = rng.normal(0, 1e-4, n)
    if with_nan:
        b[::5, Col.OI] = np.nan
        b[:, Col.LIQ_LONG] = np.nan  # a column without any value is left out of the file
    return b


def _written(tmp_path: Path, name: str, series: dict[str, np.ndarray], step: float = STEP) -> Path:
    path = tmp_path / name
    write_history_csv(path, series, step)
    return path


FILTERS: list[dict[str, object]] = [
    {},
    {"symbols": {"eth"}},
    {"symbols": {"BTCUSDT", "nope"}},
    {"symbols": {"nope"}},
    {"since_ms": T0 + 20 * STEP},
    {"max_symbols": 2},
    {"max_symbols": 1, "since_ms": T0 + 45 * STEP},
    {"symbols": {"SOL", "ETH"}, "max_symbols": 1},
]


@pytest.mark.parametrize("kw", FILTERS)
def test_a_clean_file_is_read_by_the_fast_path_exactly_as_in_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kw: dict[str, object]
) -> None:
    # Three symbols with different spans, interleaved by time: SOL starts late, so since_ms and
    # max_symbols decide which symbols are held, in which order, and which are left out.
    series = {"BTCUSDT": _bars(60, 1), "ETHUSDT": _bars(60, 2), "SOLUSDT": _bars(60, 3)[40:]}
    path = _written(tmp_path, "three.csv", series)
    lines = path.read_text().splitlines()
    rows = sorted(lines[1:], key=lambda r: (r.split(",")[0], r.split(",")[1]))  # time-major
    path.write_text("\n".join([lines[0], *rows]) + "\n")
    fast = _check(monkeypatch, path, **kw)
    if kw.get("symbols") != {"nope"}:
        assert fast is not None  # clean: the fast path must not step aside


def test_time_layouts_oi_usd_unknown_columns_and_unsorted_rows_read_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = {
        "ms.csv": f"time,price,oi_usd,funding,note\n{T0 + STEP},40,1000,,x\n{T0},50,1000,0.0001,y\n",
        "s.csv": f"time,price\n{T0 // 1000},100\n{(T0 + STEP) // 1000}.0,101\n",
        "iso.csv": "time,price\n2025-01-01 00:00:00,1\n2025-01-01 00:05:00,2\n",
        "isoz.csv": "time,price\n2025-01-01T00:00:00.000Z,1\n2025-01-01T00:00:01.500Z,2\n",
        "offset.csv": "time,price,oi\n2025-01-01T00:00:00+00:00,1,nan\n2025-01-01T01:00:00+00:00,2,3\n",
        "bom.csv": "\ufefftime,Price,price\n1,2,3\n2,3,4\n",  # a repeated column: the first is used
    }
    for name, text in texts.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        fast = _check(monkeypatch, path)
        assert fast is not None, name
    oi = read_csv_fast(tmp_path / "ms.csv")
    assert oi is not None and oi.series[""][:, Col.OI].tolist() == [20.0, 25.0]  # 1000 USD / 50, / 40
    assert oi.problems == [f"{tmp_path / 'ms.csv'} line 1: column 'note' is not a SIGNALS.md column; ignored"]


def test_a_file_with_a_bad_row_is_read_in_python_and_keeps_its_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _written(tmp_path, "h.csv", {"BTC": _bars(30, 4)})
    lines = path.read_text().splitlines()
    lines[7] = lines[7].replace(",", ",-", 2).replace(",-", ",", 1)  # line 8: a negative price
    path.write_text("\n".join(lines) + "\n")
    assert read_csv_fast(path) is None
    got = _hooked(monkeypatch, path)
    assert isinstance(got, HistoryFile)
    assert [p.split(":")[0] for p in got.problems] == [f"{path} line 8"]
    assert "price" in got.problems[0] and "negative" in got.problems[0]


CORRUPTIONS: list[Callable[[str, np.random.Generator], str]] = [
    lambda f, r: "",  # an empty field
    lambda f, r: "-" + f,
    lambda f, r: "nan",
    lambda f, r: "inf",
    lambda f, r: "0",
    lambda f, r: "-0",
    lambda f, r: f + "x",
    lambda f, r: f[: len(f) // 2],
    lambda f, r: f[:3] + f[4:],
    lambda f, r: f'"{f}"',
    lambda f, r: " " + f + " ",
    lambda f, r: f.replace("0", "\u0660", 1),
    lambda f, r: f.replace("-0", "-", 1),
    lambda f, r: f + "," + f,
    lambda f, r: "1e400",
    lambda f, r: "1_0",
    lambda f, r: str(r.integers(1, 10**6)),
]


def _corrupt(lines: list[str], rng: np.random.Generator) -> list[str]:
    """One to three random changes to the data lines: a field, a whole line, or the order of lines."""
    out = list(lines)
    for _ in range(int(rng.integers(1, 4))):
        i = int(rng.integers(1, len(out)))
        kind = int(rng.integers(0, 6))
        if kind <= 2:
            fields = out[i].split(",")
            j = int(rng.integers(0, len(fields)))
            fields[j] = CORRUPTIONS[int(rng.integers(0, len(CORRUPTIONS)))](fields[j], rng)
            out[i] = ",".join(fields)
        elif kind == 3:
            out.insert(i, out[int(rng.integers(1, len(out)))])  # a repeated (or reordered) row
        elif kind == 4:
            out[i], out[-1] = out[-1], out[i]  # out of order: still clean unless it repeats a time
        else:
            out.insert(i, ["", "   ", "x", ",,,", out[i] + ",9"][int(rng.integers(0, 5))])
    return out


@pytest.mark.parametrize("layout", ["iso-named", "epoch-unnamed", "oi_usd-named"])
def test_randomly_corrupted_files_read_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    if layout == "iso-named":
        path = _written(tmp_path, "base.csv", {"BTC": _bars(25, 5), "ETH": _bars(25, 6)})
    elif layout == "epoch-unnamed":
        b = _bars(40, 7)
        rows = [f"{int(t)},{p!r},{o!r}" for t, p, o in b[:, [Col.TIME, Col.PRICE, Col.OI]].tolist()]
        path = tmp_path / "base.csv"
        path.write_text("time,price,oi\n" + "\n".join(rows) + "\n")
    else:
        path = _written(tmp_path, "base.csv", {"A": _bars(20, 8), "B": _bars(20, 9)})
        path.write_text(path.read_text().replace(",oi,", ",oi_usd,", 1))
    lines = path.read_text().splitlines()
    rng = np.random.default_rng(sum(map(ord, layout)))
    took_fast = 0
    for k in range(70):
        variant = tmp_path / f"v{k}.csv"
        variant.write_text("\n".join(_corrupt(lines, rng)) + "\n", encoding="utf-8")
        choices: list[dict[str, object]] = [{}, {"max_symbols": 1}, {"symbols": {"B", "ETH"}}]
        kw = choices[k % 3]
        took_fast += _check(monkeypatch, variant, **kw) is not None
    assert took_fast >= 5  # some corruptions leave a clean file (a changed number, rows swapped)


def test_every_corruption_of_every_field_reads_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One change at a time, so no other bad row hides it: each field of line 5 of a file with every
    # column (one of them oi_usd, one not a SIGNALS.md column), through every corruption.
    b = _bars(12, 11, with_nan=False)
    path = _written(tmp_path, "base.csv", {"BTC": b, "ETH": b.copy()})
    lines = path.read_text().replace(",oi,", ",oi_usd,", 1).splitlines()
    lines = [f"{line},{'note' if i == 0 else 'n'}" for i, line in enumerate(lines)]
    rng = np.random.default_rng(12)
    for j in range(len(lines[4].split(","))):
        for k, corrupt in enumerate(CORRUPTIONS):
            fields = lines[4].split(",")
            fields[j] = corrupt(fields[j], rng)
            variant = tmp_path / f"f{j}-{k}.csv"
            variant.write_text("\n".join([*lines[:4], ",".join(fields), *lines[5:]]) + "\n")
            _check_hooked(monkeypatch, variant)


@pytest.mark.parametrize(
    "line",
    [
        "2025-01-01T1:05:00Z,BTC,1",  # an hour of one digit: DuckDB's strptime takes it, Python does not
        "2025-1-01T00:05:00Z,BTC,1",
        "2025-01-01T00:05:00.5Z,BTC,1",
        "2025-01-01T00:05:00+01:00,BTC,1",
        "2025-01-01T00:05:00Z,BTC,-1",
        "2025-01-01T00:05:00Z,BTC,1,extra",
        "2025-01-01T00:05:00Z,,1",
        "2025-01-01T00:05:00Z,BTC",
        "2025-01-01T00:00:00Z,BTC,3",  # a repeated time
    ],
)
def test_a_row_only_python_would_report_sends_the_file_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"time,symbol,price\n2025-01-01T00:00:00Z,BTC,2\n{line}\n2025-01-01T00:10:00Z,BTC,2\n")
    _check(monkeypatch, path)


@pytest.mark.parametrize(
    "raw",
    [
        b"time,price,note\n1,2,a\n2,3,\xff\n",  # invalid UTF-8 in a column only Python looks at
        b"time,price,note\r\n1,2,a\r\n2,3,x\r\n",
        b'time,price,note\n1,2,"a\nb"\n2,3,x\n',  # a quoted line break: one row to the csv module
        b"time,price,note\n1,2,a\x00\n2,3,x\n",
    ],
)
def test_bytes_the_two_readers_split_differently_go_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: bytes
) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(raw)
    assert read_csv_fast(path) is None
    _check(monkeypatch, path)


REAL = ["binance-btc-1h-funding-ggcmk", "binance-perps-gravestone", "okx-sol-swap-jabine9966"]
REAL += ["okx-btc-hourly-snapshots-olzhas"]


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "backtest_real_data", ROOT / "bench" / "backtest_real_data.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up while defined
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


@pytest.mark.parametrize("name", REAL)
def test_real_data_csvs_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    if not (DATA / name).is_dir():
        pytest.skip(f"real data not found at {DATA / name}")
    built = _bench_module().DATA_SETS[name](DATA / name)  # as bench/backtest_real_data.py builds it
    path = _written(tmp_path, f"{name}.csv", built.series, built.step_ms)
    fast = _check(monkeypatch, path)
    assert fast is not None
    assert sum(len(b) for b in fast.series.values()) == sum(len(b) for b in built.series.values())


def test_importing_the_readers_does_not_load_duckdb() -> None:
    modules = "feeds.history.csvfile, feeds.history.csv_fast, feeds.history.source"
    code = f"import sys, {modules}; print('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
