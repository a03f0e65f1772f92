"""Formatting as DESIGN.md asks for it: adaptive price precision, signed percents, suffixed USD."""

import math

import pytest

from signals.formats import (
    MISSING,
    counted,
    fmt_age,
    fmt_funding,
    fmt_pct,
    fmt_price,
    fmt_ratio,
    fmt_usd,
    shorten,
)


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


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        # fits: unchanged, apart from whitespace runs (newlines too) becoming one space
        ("HTTP 451", 60, "HTTP 451"),
        ("line one\n  line two", 60, "line one line two"),
        ("abcde", 5, "abcde"),
        # "Connection refused by peer" is 26 characters; in 20 the words that fit in 19 are
        # "Connection refused" (18), then the ellipsis: 19 characters, no half word
        ("Connection refused by peer", 20, "Connection refused…"),
        # a space right at the edge: "aaaa bbbb" (9) fits the 9 characters beside the ellipsis
        ("aaaa bbbb cccc", 10, "aaaa bbbb…"),
        # a comma left dangling before the cut goes: "error: host down," -> "error: host down…"
        ("error: host down, retrying in 5 s", 18, "error: host down…"),
        # the only space is in the first half of the room: the long word is cut inside (19 + 1)
        ("see https://example.com/a/long/path", 20, "see https://example…"),
        ("https://example.com/a/long/path", 10, "https://e…"),
        ("anything", 1, "…"),
        ("anything", 0, ""),
    ],
)
def test_shorten_cuts_at_a_word_with_an_ellipsis(text: str, width: int, expected: str) -> None:
    got = shorten(text, width)
    assert got == expected
    assert len(got) <= max(width, 0)


def test_counted_is_singular_for_one() -> None:
    assert counted(1, "symbol") == "1 symbol"
    assert counted(0, "symbol") == "0 symbols"
    assert counted(12, "bar") == "12 bars"
    assert counted(1234, "bar") == "1,234 bars"
    assert counted(2, "series", "series") == "2 series"
