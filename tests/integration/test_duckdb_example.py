"""The worked example of docs/research-store.md: its DuckDB SQL, run as written on a store perptop wrote.

The bars are built by hand so that the expected numbers can be counted here (see ``_bars``); the same
numbers must come out of ``signals.scoring`` on the same bars, so the SQL a user copies scores the flag
exactly as perptop does.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from feeds.history.parquet_store import write_store
from signals.columns import COLUMNS, Col
from signals.params import SignalParams
from signals.scoring import pool, score_series
from tests.support.paths import ROOT

duckdb = pytest.importorskip("duckdb")

STEP = 300_000  # 5-minute bars: the example's 24 h horizon is 288 bars
T0 = 1_735_686_000_000  # 2024-12-31 23:00 UTC: both series cross New Year, so span two partitions
N = 400  # bars per symbol: bars 0..111 have a full 24 h horizon (111 + 288 = 399)


def _bars() -> dict[str, np.ndarray]:
    """Two symbols whose funding_extreme events and baseline can be counted by hand.

    BTC: price rises every bar (every fwd > 0); funding 0.01 %/8h (interval unknown: 8 h) except 0.1 % at
    bars 10-14 (event at 10, dir -1: a miss), -0.2 % at bars 50-51 (event at 50, dir +1: a hit) and 0.1 % at
    bars 350-352 (event at 350, no full horizon). Baseline: 112 bars, of which bars 50 and 51 (dir +1) hit.
    ETH: price falls every bar; funding per 1 h interval: 0.001 % (0.008 %/8h, under the threshold)
    except 0.01 % (0.08 %/8h) at bars 20-29 (event at 20, dir -1: a hit); unknown at bars 0-4 (no dir, so
    out of the baseline). Baseline: 112 - 5 = 107 bars, all hits (dir -1, price falling).
    """
    t = T0 + STEP * np.arange(N, dtype=np.float64)
    btc = np.full((N, len(COLUMNS)), np.nan)
    btc[:, Col.TIME] = t
    btc[:, Col.PRICE] = 100.0 + np.arange(N)
    btc[:, Col.FUNDING] = 0.0001
    btc[10:15, Col.FUNDING] = 0.001
    btc[50:52, Col.FUNDING] = -0.002
    btc[350:353, Col.FUNDING] = 0.001
    eth = np.full((N, len(COLUMNS)), np.nan)
    eth[:, Col.TIME] = t
    eth[:, Col.PRICE] = 1000.0 - np.arange(N)
    eth[:, Col.FUNDING_INTERVAL_H] = 1.0
    eth[:, Col.FUNDING] = 0.00001
    eth[20:30, Col.FUNDING] = 0.0001
    eth[0:5, Col.FUNDING] = np.nan
    return {"BTC": btc, "ETH": eth}


# Counted by hand from _bars' docstring: 4 rising edges, 3 with a full horizon, 2 hits; baseline 109/219.
HAND = {"events": 4, "n": 3, "hits": 2, "base_n": 112 + 107, "base_hits": 2 + 107}


def _example_sql() -> str:
    text = (ROOT / "docs" / "research-store.md").read_text(encoding="utf-8")
    section = text.split("## Worked example", 1)[1]
    match = re.search(r"```sql\n(.*?)```", section, re.S)
    assert match, "docs/research-store.md: no sql block in the worked example"
    return match.group(1)


def test_the_documented_sql_scores_funding_extreme_as_perptop_does(tmp_path: Path) -> None:
    bars = _bars()
    store = tmp_path / "store"
    write_store(store, bars, STEP)
    assert sorted(p.parent.name for p in store.glob("symbol=BTC/*/*.parquet")) == ["year=2024", "year=2025"]

    sql = _example_sql().replace("'store/", f"'{store}/")
    con = duckdb.connect()
    row = con.execute(sql).fetchone()
    cols = [d[0] for d in con.description]
    got = dict(zip(cols, row, strict=True))

    pooled = pool(score_series(b, SignalParams(), STEP, {"24h": 24.0}) for b in bars.values())
    ours = pooled.flags["funding_extreme"]
    h = ours.horizons["24h"]
    # perptop's scoring on the same bars agrees with the hand count ...
    assert (ours.events, h.events.n, h.events.hits, h.base_n, h.base_hits) == tuple(HAND.values())
    # ... and so does the SQL of the docs.
    assert (got["events"], got["n"], got["hits"]) == (HAND["events"], HAND["n"], HAND["hits"])
    assert got["hit_rate"] == pytest.approx(2 / 3)
    assert got["baseline"] == pytest.approx(109 / 219)
    assert h.baseline == pytest.approx(got["baseline"])
