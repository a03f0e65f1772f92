"""Formatting as DESIGN.md asks for it: adaptive price precision, signed percents, suffixed USD."""

import math

import pytest

from signals.formats import MISSING, fmt_age, fmt_funding, fmt_pct, fmt_price, fmt_ratio, fmt_usd


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (96512.34, "96,512.3"),  # DESIGN.md's BTC example
        (0.00001234, "0.00001234"),  # DESIGN.md's PEPE example
        (3412.556, "3,412.56"),
        (2.30412, "2.3041"),
        (0.3212, "0.3212"),
        (-5.5, "-5.5000"),
    ],
)
def test_price_precision_adapts_to_magnitude(value: float, text: str) -> None:
    assert fmt_price(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.234e9, "1.23B"),
        (45.6e6, "45.6M"),
        (789_400, "789K"),
        (999_600, "1.00M"),
        (512, "512"),
        (-2.5e6, "-2.50M"),
    ],
)
def test_usd_suffixes(value: float, text: str) -> None:
    assert fmt_usd(value) == text


def test_percent_and_funding_are_signed() -> None:
    assert fmt_pct(0.02141) == "+2.14%"
    assert fmt_pct(-0.034) == "-3.40%"
    assert fmt_funding(0.0001) == "+0.0100%"
    assert fmt_funding(-0.00012) == "-0.0120%"
    assert fmt_pct(-0.00001) == "0.00%"  # rounds to zero: no misleading sign


def test_ratio_and_age() -> None:
    assert fmt_ratio(1.849) == "1.85"
    assert [fmt_age(s) for s in (4, 190, 7300, 200_000)] == ["4s", "3m", "2h", "2d"]


@pytest.mark.parametrize("fn", [fmt_price, fmt_pct, fmt_funding, fmt_usd, fmt_ratio, fmt_age])
def test_missing_values_show_a_dash_not_nan(fn) -> None:  # type: ignore[no-untyped-def]
    assert fn(math.nan) == MISSING
    assert fn(None) == MISSING
    assert fn(math.inf) == MISSING
