"""The moving-block bootstrap interval (issue 12, "Dependence"): block sums, replicates and percentiles worked
out by hand, seeding, pooling, why it is wider than Wilson on clustered events, and ``backtest --bootstrap``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from signals.bootstrap import BootDraws, add_draws, block_sums, draw_starts, interval, resample
from signals.columns import COLUMNS, Col
from signals.evaluate import evaluate
from signals.params import SignalParams
from signals.scoring import pool, score_series, score_table, wilson
from tests.unit.test_backtest_cmd import T0, backtest, squeeze_file
from tui import cli

HOUR = 3_600_000

# The tiny series of the hand computations: N = 6 bars, L = 2, events at bars 1 and 4, bar 4 a hit.
# Bar 0 "hits" and bar 0 has a signed return too, but bar 0 is no event: neither may be counted.
N6 = 6
IDX6 = np.array([1, 4])
HIT6 = np.array([True, False, False, False, True, False])
SIGNED6 = np.array([0.5, -0.01, 0.0, 0.0, 0.02, np.nan])


def test_block_sums_of_a_tiny_series_by_hand() -> None:
    e = np.array([0, 1, 0, 0, 1, 0])
    h = np.array([0, 0, 0, 0, 1, 0])
    # starts 0..4 (N - L = 4): blocks {0,1} {1,2} {2,3} {3,4} {4,5}
    assert block_sums(e, 2).tolist() == [1, 1, 0, 1, 1]
    assert block_sums(h, 2).tolist() == [0, 0, 0, 1, 1]
    assert block_sums(np.column_stack((e, h)), 2).tolist() == [[1, 0], [1, 0], [0, 0], [1, 1], [1, 1]]
    assert block_sums(e, 7).shape == (0,)  # shorter than one block: no block at all


def test_replicates_and_percentile_interval_from_a_given_start_matrix() -> None:
    # k = 6 // 2 = 3 blocks per resample. Block sums (start 0..4): e 1 1 0 1 1, h 0 0 0 1 1,
    # s -.01 -.01 0 .02 .02
    starts = np.array([[0, 3, 4], [1, 2, 4], [2, 2, 2], [3, 4, 0]])
    d = resample(N6, IDX6, HIT6, SIGNED6, 2, starts)
    assert d.events.tolist() == [3, 2, 0, 3]
    assert d.hits.tolist() == [2, 1, 0, 2]
    assert d.signed == pytest.approx([0.03, 0.01, 0.0, 0.03])
    # base: 5 bars, signed sum 0.005 -> mean 0.001
    b = interval(d, 5, 0.005)
    assert (b.resamples, b.no_event) == (4, 1)  # resample 2 drew no event and is left out
    # rates of the 3 others, sorted: 1/2, 2/3, 2/3. numpy's linear percentile: position 0.025 * 2 = 0.05
    # -> 1/2 + 0.05 (2/3 - 1/2); position 1.95 -> between 2/3 and 2/3
    assert b.hit_ci == pytest.approx((0.5 + 0.05 / 6, 2 / 3))
    # excess (signed / events - 0.001) * 1e4: 90, 40, 90 bp -> sorted 40, 90, 90 -> 40 + 0.05 * 50, 90
    assert b.excess_ci == pytest.approx((42.5, 90.0))


def test_no_interval_when_fewer_than_half_the_resamples_draw_an_event() -> None:
    starts = np.array([[2, 2, 2], [2, 2, 2], [0, 3, 4]])  # two of three resamples draw only block {2,3}
    b = interval(resample(N6, IDX6, HIT6, SIGNED6, 2, starts), 5, 0.005)
    assert (b.no_event, b.hit_ci, b.excess_ci) == (2, None, None)


def test_starts_are_seeded_by_seed_and_series_key_within_the_moving_blocks() -> None:
    s = draw_starts(100, 7, 999, seed=0, key="BTCUSDT")
    assert s.shape == (999, 100 // 7)
    assert s.min() == 0 and s.max() == 100 - 7  # every start 0..N-L is possible, none past it
    assert np.array_equal(s, draw_starts(100, 7, 999, seed=0, key="BTCUSDT"))
    assert not np.array_equal(s, draw_starts(100, 7, 999, seed=1, key="BTCUSDT"))
    assert not np.array_equal(s, draw_starts(100, 7, 999, seed=0, key="ETHUSDT"))


def test_pooled_draws_are_the_sum_of_the_series_draws() -> None:
    a = BootDraws(np.array([1, 2]), np.array([0, 1]), np.array([0.5, -0.5]))
    b = BootDraws(np.array([3, 0]), np.array([3, 0]), np.array([1.0, 0.0]))
    s = a + b
    assert (s.events.tolist(), s.hits.tolist(), s.signed.tolist()) == ([4, 2], [3, 1], [1.5, -0.5])
    assert add_draws(None, a) is a and add_draws(a, None) is a and add_draws(None, None) is None
    assert a + None is a and None + a is a


def clustered(n_clusters: int = 60, run: int = 11, gap: int = 100) -> np.ndarray:
    """Hourly bars where short_squeeze_risk (ls < 1, funding < 0) comes on ``run`` bars in a row out of every
    ``gap``, and is off one bar in two inside the run, so each run is ``run // 2 + 1`` rising edges a few
    bars apart; after a run, price jumps 5 % up or down (alternately) 20 bars later, and is flat otherwise.
    Every event of a run shares that one move in its 24 h window: all hit, or all miss, together."""
    n = n_clusters * gap
    ls = np.full(n, 1.5)
    price = np.full(n, 100.0)
    level = 100.0
    for c in range(n_clusters):
        t0 = c * gap + 10
        ls[t0 : t0 + run : 2] = 0.5
        level *= 1.05 if c % 2 == 0 else 0.95
        price[t0 + run + 10 :] = level
    b = np.full((n, len(COLUMNS)), np.nan)
    b[:, Col.TIME] = T0 + HOUR * np.arange(n)
    b[:, Col.PRICE] = price
    b[:, COLUMNS.index("funding")] = -0.0001
    b[:, COLUMNS.index("ls_ratio")] = ls
    return b


def test_on_clustered_events_the_bootstrap_is_far_wider_than_wilson() -> None:
    hs = score_series(clustered(), SignalParams(), HOUR, {"24h": 24.0}, bootstrap=999, seed=0, key="X")
    h = hs.flags["short_squeeze_risk"].horizons["24h"]
    # 60 runs of 6 events (bars t0, t0+2, .., t0+10), all within 24 bars of the jump 21 bars after t0; runs
    # up and down alternate: 30 runs hit (180 events), 30 miss
    assert (h.events.n, h.events.hits) == (360, 180)
    wilson_ci = wilson(180, 360)
    assert wilson_ci is not None and h.boot is not None
    boot = interval(h.boot, h.base_n, h.base_signed_sum).hit_ci
    assert boot is not None
    # 360 events but only 60 independent outcomes: a width near sqrt(6) ~ 2.4 times Wilson's
    assert boot[1] - boot[0] > 1.8 * (wilson_ci[1] - wilson_ci[0])
    assert boot[0] < 0.5 < boot[1]


def test_pooling_scored_series_sums_their_replicates_and_masks_get_none() -> None:
    a = score_series(clustered(30), SignalParams(), HOUR, {"24h": 24.0}, bootstrap=199, seed=5, key="A")
    b = score_series(clustered(20), SignalParams(), HOUR, {"24h": 24.0}, bootstrap=199, seed=5, key="B")
    ha, hb = (s.flags["short_squeeze_risk"].horizons["24h"] for s in (a, b))
    hp = pool([a, b]).flags["short_squeeze_risk"].horizons["24h"]
    assert ha.boot is not None and hb.boot is not None and hp.boot is not None
    assert np.array_equal(hp.boot.events, ha.boot.events + hb.boot.events)
    assert np.array_equal(hp.boot.hits, ha.boot.hits + hb.boot.hits)
    off = score_series(clustered(20), SignalParams(), HOUR, {"24h": 24.0})
    assert off.flags["short_squeeze_risk"].horizons["24h"].boot is None  # off by default
    # under a regime or period mask the bars are not contiguous time: no replicates even when asked for
    bars = clustered(20)
    table = evaluate(bars, SignalParams(), HOUR)
    everywhere = np.ones(len(bars), dtype=bool)
    masked = score_table(
        table, bars[:, Col.PRICE], set(), HOUR, {"24h": 24.0}, everywhere, bootstrap=199, seed=5, key="B"
    )
    assert masked.flags["short_squeeze_risk"].horizons["24h"].boot is None


def _reorder(path: Path) -> Path:
    """The same rows with the last symbol's rows first."""
    head, *rows = path.read_text().splitlines()
    last = rows[-1].rsplit(",", 1)[1]
    other = path.with_name("reordered.csv")
    moved = [r for r in rows if r.endswith("," + last)]
    other.write_text("\n".join([head, *moved, *(r for r in rows if not r.endswith("," + last))]) + "\n")
    return other


def test_backtest_json_carries_the_bootstrap_keys_only_when_asked(tmp_path: Path) -> None:
    path = squeeze_file(tmp_path)
    code, out, err = backtest(str(path), "--horizons", "1h", "--json", "--bootstrap", "999")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["bootstrap"] == {"resamples": 999, "seed": 0, "block": "one horizon"}
    one = doc["flags"]["short_squeeze_risk"]["horizons"]["1h"]
    # every event hits and gains +3 %, so every resample's hit rate is 1 and its mean +3 %: no spread.
    # excess over all 199 bars' mean (20 * 0.03 - 179 * 0.01) / 199: 300 + 1e4 * 1.19 / 199 bp
    assert one["ci95_bootstrap"] == [1.0, 1.0]
    assert one["excess_ci95_bootstrap"] == pytest.approx([300 + 1e4 * 1.19 / 199] * 2, abs=0.01)
    assert one["bootstrap_no_event"] == 0
    assert doc["flags"]["long_squeeze_risk"]["horizons"]["1h"]["ci95_bootstrap"] is None  # no event at all
    plain = json.loads(backtest(str(path), "--horizons", "1h", "--json")[1])
    assert "bootstrap" not in plain
    keys = set(plain["flags"]["short_squeeze_risk"]["horizons"]["1h"])
    assert not {k for k in keys if "bootstrap" in k}


def test_same_seed_same_interval_other_seed_other_and_file_order_does_not_matter(tmp_path: Path) -> None:
    # clustered series per symbol, so the interval has a spread the seed can move
    lines = ["time,price,funding,ls_ratio,symbol"]
    for sym, runs in (("AAA", 30), ("BBB", 25)):
        b = clustered(runs)
        lines += [
            f"{int(r[Col.TIME])},{float(r[Col.PRICE])!r},-0.0001,{r[COLUMNS.index('ls_ratio')]},{sym}"
            for r in b
        ]
    path = tmp_path / "clustered.csv"
    path.write_text("\n".join(lines) + "\n")

    def figures(p: Path, seed: str) -> tuple[object, object]:
        doc = json.loads(
            backtest(str(p), "--horizons", "24h", "--json", "--bootstrap", "499", "--bootstrap-seed", seed)[1]
        )
        pooled = doc["flags"]["short_squeeze_risk"]["horizons"]["24h"]
        bbb = doc["symbols"]["BBB"]["flags"]["short_squeeze_risk"]["horizons"]["24h"]
        return (pooled["ci95_bootstrap"], pooled["excess_ci95_bootstrap"]), bbb["ci95_bootstrap"]

    first = figures(path, "7")
    assert first == figures(path, "7")
    assert first != figures(path, "8")
    assert first == figures(_reorder(path), "7")


def test_the_table_adds_a_block_bootstrap_row_only_with_bootstrap(tmp_path: Path) -> None:
    path = squeeze_file(tmp_path)
    code, out, _ = backtest(str(path), "--horizons", "1h", "--bootstrap", "999", "--bootstrap-seed", "4")
    assert code == 0
    assert "moving-block bootstrap, 999 resamples, blocks of one horizon, seed 4" in out
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("short_squeeze_risk"))
    assert lines[at + 1].startswith("  non-overlapping")
    boot = lines[at + 2]
    assert (
        boot.startswith("  block bootstrap") and "100.0-100.0%" in boot and "excess +360 to +360 bp" in boot
    )
    assert max(len(line) for line in lines[1:]) <= 120
    plain = backtest(str(path), "--horizons", "1h")[1]
    assert "bootstrap" not in plain


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real entry point reads the default config: point it at an empty folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.mark.usefixtures("isolated_home")
def test_the_perptop_command_takes_bootstrap_and_seed_and_refuses_too_few_resamples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = squeeze_file(tmp_path)
    # the bootstrap has a seed of its own (--bootstrap-seed), apart from the simulated market's --seed
    code = cli.main(
        ["backtest", str(path), "--horizons", "1h", "--json", "--bootstrap", "99", "--bootstrap-seed", "2"]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "") and json.loads(out)["bootstrap"]["seed"] == 2
    code = cli.main(["backtest", str(path), "--bootstrap", "5"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("perptop backtest: error: argument --bootstrap: 5 resamples")
    code = cli.main(["backtest", str(path), "--bootstrap", "99", "--bootstrap-seed", "-1"])
    out, err = capsys.readouterr()
    assert (code, out) == (
        2,
        "",
    ) and err == "perptop backtest: error: --bootstrap-seed: expected a whole number >= 0, got -1\n"
