"""``perptop backtest`` streams the history: a Parquet folder scores like the CSV of the same bars, and the
backtest holds one series' bars at a time (issue 13, "Store for research")."""

from __future__ import annotations

import argparse
import io
import json
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import signals.regimes as regimes
from feeds.history.csvfile import write_history_csv
from feeds.history.parquet_store import write_store
from feeds.history.source import HistoryMeta
from signals.columns import COLUMNS
from tests.support.walks import STEP, T0
from tests.support.walks import walk_bars as _bars
from tui.cli.backtest_report import run_backtest, score_file
from tui.config.loader import AppConfig


def _run(path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    args = argparse.Namespace(file=path, horizons="1h,4h", symbols=None, json=True, plot=False)
    for flag in extra:
        key, _, value = flag.partition("=")
        setattr(args, key, int(value))
    out, err = io.StringIO(), io.StringIO()
    code = run_backtest(AppConfig(), args, out=out, err=err)
    return code, json.loads(out.getvalue()) if code == 0 else {}, err.getvalue()


def test_a_parquet_folder_scores_like_the_csv_of_the_same_bars(tmp_path: Path) -> None:
    series = {"BTC": _bars(1), "ETH": _bars(2)}
    series["ETH"] = np.delete(series["ETH"], [100, 101, 350], axis=0)  # a hole, put back as empty bars
    write_history_csv(tmp_path / "h.csv", series, STEP)
    write_store(tmp_path / "store", series, STEP)
    code_csv, from_csv, _ = _run(tmp_path / "h.csv", "bootstrap=99")
    code_pq, from_pq, err = _run(tmp_path / "store", "bootstrap=99")
    assert (code_csv, code_pq) == (0, 0), err
    assert from_pq.pop("file") == str(tmp_path / "store")
    from_csv.pop("file")
    assert from_pq == from_csv
    assert from_pq["bars"] == 700 + 697 and from_pq["missing_bars"] == 3
    assert list(from_pq["symbols"]) == ["BTC", "ETH"]


def test_the_backtest_lets_each_series_go_before_the_next_is_read() -> None:
    alive: list[int] = []
    refs: list[weakref.ref[np.ndarray]] = []

    def stream() -> Iterator[tuple[str, np.ndarray]]:
        for k in range(4):
            # how many of the series handed over so far are still held by anyone
            alive.append(sum(r() is not None for r in refs))
            bars = _bars(10 + k, 400)
            refs.append(weakref.ref(bars))
            yield f"S{k}", bars
            del bars  # the stream itself keeps nothing

    meta = HistoryMeta(Path("stream"), ["S0", "S1", "S2", "S3"], STEP, COLUMNS)
    result = score_file(meta, AppConfig(), {"1h": 1.0}, series=stream())
    assert alive == [0, 0, 0, 0]
    assert result.rows == 1600 and result.history.symbols == ["S0", "S1", "S2", "S3"]
    assert result.history.first_ms == T0 and result.history.last_ms == T0 + 399 * STEP


def test_each_series_keeps_its_bootstrap_interval_and_only_the_pool_its_draws() -> None:
    meta = HistoryMeta(Path("stream"), ["A", "B"], STEP, COLUMNS)
    series = iter([("A", _bars(3)), ("B", _bars(4))])
    result = score_file(meta, AppConfig(), {"1h": 1.0}, bootstrap=99, series=series)
    for s in result.per_series.values():
        for f in s.flags.values():
            for hs in f.horizons.values():
                assert hs.boot is None and hs.boot_ci is not None and hs.boot_ci.resamples == 99
    pooled = result.pooled.flags["weak_rally"].horizons["1h"]
    assert pooled.boot is not None and pooled.boot.resamples == 99


def _brute_below(v: np.ndarray) -> list[int]:
    """How many earlier values are strictly below each one, counted one pair at a time."""
    return [sum(1 for j in range(i) if v[j] < v[i]) for i in range(len(v))]


@pytest.mark.parametrize("pandas_from", [10**9, 1])
def test_earlier_below_counts_the_earlier_values_strictly_below(
    pandas_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regimes, "RANK_PANDAS_FROM", pandas_from)
    assert regimes.earlier_below(np.array([3.0, 1.0, 2.0, 2.0, 5.0, 0.0])).tolist() == [0, 0, 1, 1, 4, 0]
    v = np.round(np.random.default_rng(5).normal(size=301), 1)  # many ties
    assert regimes.earlier_below(v).tolist() == _brute_below(v)
    assert regimes.earlier_below(np.array([])).tolist() == []
