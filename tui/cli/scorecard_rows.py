"""The scorecard's tables as plain cells, shared by the HTML and the Markdown renderers.

Each function returns rows of unescaped text (the renderers escape them for their format). The figures
come from the ``--json`` document in ``Scorecard.doc``: per directional flag and horizon the plain Wilson
interval over every event, the non-overlapping events with their interval (the one the verdict uses),
the baseline, the q-value, the excess return and the verdict; a ``ci95_bootstrap`` column appears only
when the document has that key (``--bootstrap``).
"""

from __future__ import annotations

from typing import Any

from signals.formats import counted
from tui.cli.scorecard_data import Scorecard

NO_EVENTS = "no events"
HEADER = [
    "flag",
    "events",
    "hit rate (95 % interval)",
    "events apart",
    "hit rate apart (95 % interval)",
    "baseline",
    "q",
    "excess bp (95 % interval)",
]
BOOTSTRAP = "block bootstrap 95 %"
VERDICT = "verdict"


def pct(x: float | None) -> str:
    """``55.0 %``; ``-`` for none."""
    return "-" if x is None else f"{x * 100:.1f} %"


def interval(ci: list[float] | tuple[float, float] | None) -> str:
    """``50.1-59.8 %``; ``-`` for none."""
    return "-" if not ci or ci[0] is None or ci[1] is None else f"{ci[0] * 100:.1f}-{ci[1] * 100:.1f} %"


def rate_with(rate: float | None, ci: list[float] | None) -> str:
    """``55.0 % (50.1-59.8 %)``."""
    return "-" if rate is None else f"{pct(rate)} ({interval(ci)})"


def q_text(q: float | None) -> str:
    """The q-value as the table prints it."""
    return "-" if q is None else "<0.001" if q < 0.001 else f"{q:.3f}"


def bp(x: float | None) -> str:
    """Basis points, signed, rounded; ``-0`` reads ``+0``."""
    return "-" if x is None else f"{round(x) + 0:+d}"


def excess(cell: dict[str, Any]) -> str:
    """``+12 (-3 to +27)`` basis points."""
    ex = cell.get("excess_return_bp")
    if ex is None:
        return "-"
    ci = cell.get("excess_ci95")
    return bp(ex) + ("" if not ci or ci[0] is None else f" ({bp(ci[0])} to {bp(ci[1])})")


def has_bootstrap(card: Scorecard) -> bool:
    """Whether any flag's horizon cell carries ``ci95_bootstrap`` (the ``--bootstrap`` option's key)."""
    return any(
        "ci95_bootstrap" in cell
        for name in card.directional()
        for cell in card.doc["flags"][name]["horizons"].values()
    )


def verdict_header(card: Scorecard) -> list[str]:
    """The header of a verdict table (with the bootstrap column when there is one)."""
    return [*HEADER, *([BOOTSTRAP] if has_bootstrap(card) else []), VERDICT]


def verdict_rows(card: Scorecard, horizon: str) -> list[list[str]]:
    """One row per scorable directional flag at ``horizon``; the last cell is the verdict word."""
    boot = has_bootstrap(card)
    rows = []
    for name in card.directional():
        flag = card.doc["flags"][name]
        cell = flag["horizons"].get(horizon) or {}
        n = cell.get("n", 0)
        if not n:
            row = [name, "0", "-", "-", "-", pct(cell.get("baseline")), "-", "-", *(["-"] if boot else [])]
            rows.append([*row, NO_EVENTS])
            continue
        n_ind = cell.get("n_independent", 0) or 0
        apart = (cell.get("hits_independent", 0) or 0) / n_ind if n_ind else None
        row = [
            name,
            f"{n:,}",
            rate_with(cell.get("hit_rate"), cell.get("ci95")),
            f"{n_ind:,}",
            rate_with(apart, cell.get("ci95_dependent")),
            pct(cell.get("baseline")),
            q_text(cell.get("q_value")),
            excess(cell),
        ]
        if boot:
            row.append(interval(cell.get("ci95_bootstrap")))
        rows.append([*row, str(cell.get("verdict", "no edge measured"))])
    return rows


def data_rows(card: Scorecard) -> list[tuple[str, str]]:
    """What the scores were measured on, as (label, value) pairs."""
    doc = card.doc
    n_sym = len(card.symbols)
    rows = [
        ("file", str(doc["file"])),
        ("symbols", f"{n_sym}: {card.symbol_text()}" if n_sym else card.symbol_text()),
        ("span", f"{card.span[0]} to {card.span[1]}"),
        ("bar step", card.step),
        ("rows", f"{doc['bars']:,}"),
        ("missing bars left empty", f"{doc['missing_bars']:,}"),
        ("columns present", ", ".join(doc["columns"]) or "none"),
        (
            "columns absent",
            "; ".join(
                f"{col} (leaves {', '.join(flags)} unscorable)" if flags else col
                for col, flags in card.absent.items()
            )
            or "none",
        ),
        ("horizons", ", ".join(f"{h} ({counted(v['bars'], 'bar')})" for h, v in doc["horizons"].items())),
    ]
    if doc.get("problems"):
        rows.append(("rows skipped", f"{len(doc['problems']):,} (first: {doc['problems'][0]})"))
    return rows


def context_text(card: Scorecard) -> str:
    """``funding_flip 12, leverage_driven 40``: the context flags' events; ``none`` without any."""
    return ", ".join(f"{n} {e:,}" for n, e in card.context().items()) or "none"


def unscorable_rows(card: Scorecard) -> list[tuple[str, str]]:
    """(flag, why) for every flag the file cannot score."""
    return list(card.doc.get("unscorable", {}).items())


def combined_rows(card: Scorecard) -> list[list[str]]:
    """Per horizon: the combined model's n, accuracy, baseline, balanced accuracy, Brier, non-overlapping."""
    rows = []
    for h, c in card.doc["combined"]["horizons"].items():
        if not c["n"]:
            rows.append([h, "0", "too few bars to score", "-", "-", "-", "-"])
            continue
        rows.append(
            [
                h,
                f"{c['n']:,}",
                rate_with(c["accuracy"], c["ci95"]),
                pct(c["baseline"]),
                pct(c["balanced_accuracy"]),
                "-" if c["brier"] is None else f"{c['brier']:.4f}",
                f"{rate_with(c['accuracy_independent'], c['ci95_dependent'])}, n = {c['n_independent']:,}",
            ]
        )
    return rows


COMBINED_HEADER = [
    "horizon",
    "test bars",
    "accuracy (95 % interval)",
    "majority baseline",
    "balanced accuracy",
    "Brier",
    "non-overlapping accuracy (the interval to believe)",
]
