"""The drill-down's and the alerts' dependence-aware figures, and the flags dimmed for want of an edge.

Series are built so that every figure can be worked out by hand from SIGNALS.md and issue 12's method:
events a horizon apart (an event within 24 bars of the last counted one is not counted), the exact
binomial p-value of their hits against the baseline, Benjamini-Hochberg over one symbol's flags, and the
verdict ("beats": q <= 0.05 and the interval of the events apart above the baseline).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from feeds.messages import ALL
from signals.columns import COLUMNS, Col
from signals.flags import CODE, Flag
from signals.params import SignalParams
from tests.app.test_drilldown import simulated_histories, store_from
from tui.alerts.events import Event
from tui.alerts.records import RecordBook
from tui.alerts.rules import Alert, AlertRules
from tui.alerts.service import alert_text
from tui.config.alerts import AlertRule, EventSettings
from tui.config.loader import ConfigError, load_config
from tui.model.hit_rates import FlagRecord, HitRates, measure
from tui.model.rows import flag_spans
from tui.model.view import WatchView

H = 3_600_000
T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
Z2 = 1.959963984540054**2


def _bars(funding: list[float], price: list[float]) -> np.ndarray:
    bars = np.full((len(funding), len(COLUMNS)), np.nan)
    bars[:, Col.TIME] = T0 + H * np.arange(len(funding))
    bars[:, Col.PRICE] = price
    bars[:, Col.FUNDING] = funding
    return bars


def _planted_edge(blocks: int = 12) -> np.ndarray:
    """1h bars in 48-bar cycles: 24 bars of +0.1 % funding (funding_extreme on: a bet on a fall) then 24 at
    zero. Each cycle's price is 100 at its first bar, 90 at the next, then climbs 10/47 a bar.

    The event (first bar of a cycle) looks 24 bars ahead to ~94.7: a fall, a hit, every time. The other
    23 signed bars of a cycle look ahead along the climb: a rise, a miss. Baseline = 1/24 exactly; the
    events are 48 bars apart, so all of them count as apart. 24 quiet bars lead in (bar 0 is never an
    event: with no bar before it there is no telling whether the flag just came on).
    """
    cycle = [100.0] + [90.0 + 10.0 * (k - 1) / 47 for k in range(1, 48)]
    funding = [0.0] * 24 + ([0.001] * 24 + [0.0] * 24) * blocks
    return _bars(funding, [100.0] * 24 + cycle * blocks)


def test_a_planted_edge_beats_its_baseline_with_the_figures_worked_by_hand() -> None:
    rates = measure("BTC", _planted_edge(), H, SignalParams(), "test bars")
    rec = rates.records["funding_extreme"]
    assert rec.n == 12 and rec.n_independent == 12 and rec.baseline == pytest.approx(1 / 24)
    # Wilson 95 % for 12 hits of 12: low = 12 / (12 + z^2), high = 1.
    assert rec.ci95_dependent == pytest.approx((12 / (12 + Z2), 1.0))
    # One test on this symbol (no other flag has its inputs): q = p = P[Bin(12, 1/24) >= 12] = (1/24)^12.
    assert rates.tests == 1 and rec.q_value == pytest.approx((1 / 24) ** 12, rel=1e-9)
    assert rec.verdict == "beats" and rec.has_edge and rates.edges == frozenset({"funding_extreme"})


def test_q_values_are_corrected_over_the_symbols_own_flags() -> None:
    bars = _planted_edge()
    # A long/short ratio of 3 everywhere: long_squeeze_risk (funding >= 0.03 % and L/S > 2, a bet on a
    # fall) fires on the same bars and hits every time; short_squeeze_risk (L/S < 1) never fires.
    bars[:, Col.LS_RATIO] = 3.0
    rates = measure("BTC", bars, H, SignalParams(), "test bars")
    assert rates.tests == 2  # short_squeeze_risk has no event: nothing to test, not counted
    fx, ls = rates.records["funding_extreme"], rates.records["long_squeeze_risk"]
    # BH with m = 2: the smaller p, (1/24)^12, ranks first: q = 2 p (the other p is far larger).
    assert fx.q_value == pytest.approx(2 * (1 / 24) ** 12, rel=1e-9)
    assert (
        ls.n_independent == 12
        and ls.q_value is not None
        and fx.q_value is not None
        and ls.q_value > fx.q_value
    )


def test_events_within_a_horizon_of_a_counted_one_are_not_counted_again() -> None:
    # 24 quiet bars, 20 blocks of (6 bars at +0.1 %, 6 at zero): events 12 bars apart, horizon 24 bars,
    # so every other one is counted: 10 of 20. The price falls all along: every bet on a fall hits,
    # as does the baseline's every bar, so no interval can lie above a 100 % baseline: no "beats".
    funding = [0.0] * 24 + ([0.001] * 6 + [0.0] * 6) * 20 + [0.0] * 24
    bars = _bars(funding, [10_000.0 - i for i in range(len(funding))])
    rec = measure("BTC", bars, H, SignalParams(), "test bars").records["funding_extreme"]
    assert (rec.n, rec.n_independent) == (20, 10)
    assert rec.ci95_dependent == pytest.approx((10 / (10 + Z2), 1.0))
    assert rec.verdict != "beats" and not rec.has_edge


def test_half_hits_have_no_edge_and_say_so_with_their_q_value() -> None:
    # 12 alternating funding blocks over a falling price: 6 hits of 12 against a 50 % baseline.
    # p = P[Bin(12, 1/2) >= 6] = (924 + 792 + 495 + 220 + 66 + 12 + 1) / 4096 = 2510 / 4096.
    funding = [0.0] * 24
    for b in range(12):
        funding += [0.001 if b % 2 == 0 else -0.001] * 24 + [0.0] * 24
    bars = _bars(funding, [10_000.0 - i for i in range(len(funding))])
    rates = measure("BTC", bars, H, SignalParams(), "test bars")
    rec = rates.records["funding_extreme"]
    assert rec.q_value == pytest.approx(2510 / 4096)
    assert (rec.verdict, rec.verdict_plain) == ("no edge measured", "within")
    assert rec.significance_words() == "apart n=12 (25%-75%) q=0.61: no edge measured"
    assert rates.edges == frozenset()


def test_the_event_record_carries_the_dependence_aware_figures_and_keeps_the_old_keys() -> None:
    rec = FlagRecord(0.8, 0.5, (0.7, 0.9), 40, "24h", "beats", 12, (0.61, 0.95), 0.0123, "beats")
    e = Event(T0, T0, "ETH", ALL, "flag_on", "cascade_risk", None, -1, "liq", 1.0, rec)
    doc = json.loads(json.dumps(e.as_json()))["record"]
    assert doc == {
        "hit_rate": 0.8,
        "baseline": 0.5,
        "ci95": [0.7, 0.9],
        "n": 40,
        "horizon": "24h",
        "verdict": "beats",
        "n_independent": 12,
        "ci95_dependent": [0.61, 0.95],
        "q_value": 0.0123,
        "verdict_plain": "beats",
    }
    assert Event.from_json(json.loads(json.dumps(e.as_json())), T0, T0) == e
    _, body = alert_text(Alert(AlertRule("r"), e))  # the notification and toast say it too
    assert body.endswith("; apart n=12 (61%-95%) q=0.012: beats")


def test_an_event_stored_before_the_new_keys_reads_back_without_them() -> None:
    old: dict[str, Any] = {"symbol": "ETH", "venue": "all", "kind": "flag_on", "flag": "cascade_risk"}
    old["record"] = {"hit_rate": 0.6, "baseline": 0.5, "ci95": [0.5, 0.7], "n": 30, "horizon": "24h"}
    rec = Event.from_json(old, T0, T0).record
    assert rec is not None and (rec.n_independent, rec.ci95_dependent, rec.q_value) == (0, None, None)
    assert not rec.has_edge


def test_only_with_edge_follows_the_dependence_aware_verdict_not_the_plain_one() -> None:
    # Every event beats its baseline counted plainly; only the first does with its events apart.
    proven = FlagRecord(0.7, 0.5, (0.6, 0.8), 40, "24h", "beats", 20, (0.55, 0.85), 0.01, "beats")
    overlapping = FlagRecord(0.7, 0.5, (0.6, 0.8), 40, "24h", "no edge measured", 8, (0.4, 0.9), 0.3, "beats")
    rules = AlertRules(
        [AlertRule("edge", flags=("*",), only_with_edge=True, cooldown_s=0)], EventSettings(), lambda: ["BTC"]
    )
    events = [
        Event(T0 + i * H, 0, "BTC", ALL, "flag_on", "cascade_risk", None, -1, "why", 1.0, r)
        for i, r in enumerate([proven, overlapping])
    ]
    judged, _ = rules.judge(events)
    assert [e.alerted for e in judged] == [("edge",), ()]


# ---- the flag column -------------------------------------------------------------------------


def _flag(name: str, direction: int, confidence: float = 1.0) -> Flag:
    return Flag(name, direction, "", confidence)


def test_flags_without_a_measured_edge_are_muted_but_keep_their_direction_mark() -> None:
    flags = [_flag("short_squeeze_risk", 1), _flag("cascade_risk", -1, 0.5), _flag("leverage_driven", 0)]
    assert [k for _, k in flag_spans(flags) if k] == ["flag-bull", "flag-bear-dim", "flag-context"]
    cell = flag_spans(flags, frozenset({"short_squeeze_risk"}))
    # Context flags bet on no direction: they have no edge to measure and are never muted.
    assert [k for _, k in cell if k] == ["flag-bull", "flag-unproven", "flag-context"]
    assert [t for t, k in cell if k] == ["▲SQ", "▼CR", "◆LV"]


class _Book:
    def __init__(self) -> None:
        self.version = 0
        self.by_symbol: dict[str, frozenset[str]] = {}

    def edges(self, symbol: str) -> frozenset[str] | None:
        return self.by_symbol.get(symbol)


def _directional_row(view: WatchView) -> tuple[tuple[str, str], str]:
    for key, row in view.rows.items():
        for f in row.flags:
            if f.direction != 0 and f.confidence == 1.0:
                return key, f.name
    raise AssertionError("the fixture must have a directional flag on, or this test proves nothing")


def _kinds(view: WatchView, key: tuple[str, str]) -> list[str]:
    return [k for _, k in view.cells(key)[-1] if k]


def _kind(view: WatchView, key: tuple[str, str], name: str) -> str:
    """The style of flag ``name``'s span in the row's flag cell."""
    code = CODE[name]
    return next(k for t, k in view.cells(key)[-1] if t.endswith(code))


def test_the_watchlist_redims_a_symbol_when_its_records_are_measured_again() -> None:
    store = store_from(simulated_histories())
    view = WatchView(store, SignalParams(), lambda: T0, (8, 8))
    book = _Book()
    view.edge_source = book
    assert view.refresh()
    key, name = _directional_row(view)
    assert _kind(view, key, name) == "flag-unproven"  # not measured yet: no measured edge
    view.due_cells(view.order())  # painted
    assert not view.refresh()  # nothing moved: no work on the paint
    book.by_symbol[key[0]] = frozenset({name})
    book.version += 1
    assert view.refresh() and key in view.due_cells(view.order())
    assert _kind(view, key, name) in ("flag-bull", "flag-bear")  # its direction's colour again
    view.dim_unproven = False
    book.by_symbol[key[0]] = frozenset()
    book.version += 1
    assert "flag-unproven" not in _kinds(view, key)  # the switch off: nothing dimmed


def test_the_record_book_answers_edges_per_symbol_and_counts_updates() -> None:
    book = RecordBook()
    assert book.edges("BTC") is None and book.version == 0
    book.update(measure("BTC", _planted_edge(), H, SignalParams(), "test bars"))
    assert book.edges("BTC") == frozenset({"funding_extreme"}) and book.version == 1
    book.update(HitRates("BTC", "none", "24h"))
    assert book.edges("BTC") == frozenset() and book.version == 2


def test_dim_unproven_is_on_by_default_and_read_from_display(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("watchlist = ['BTC']\n", encoding="utf-8")
    assert load_config(path).dim_unproven is True
    path.write_text("[display]\ndim_unproven = false\n", encoding="utf-8")
    assert load_config(path).dim_unproven is False


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[display]\ndim_unproven = "yes"\n', "key 'display.dim_unproven': expected true or false"),
        ("display = 3\n", "key 'display': expected a table"),
    ],
)
def test_a_bad_display_key_is_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"config error: {path} line ") and words in message


def test_an_unknown_display_key_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[display]\ndim_unprovn = true\n", encoding="utf-8")
    config = load_config(path)
    assert config.dim_unproven is True and any("display.dim_unprovn" in w for w in config.warnings)
