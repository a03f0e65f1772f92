"""Heatmap column labels must tell the venues apart in two characters."""

from tui.widgets.heatmap import short_labels


def test_simulated_venues_are_labelled_by_what_differs() -> None:
    assert short_labels(["simA", "simB", "simC", "simD"], 2) == ["A", "B", "C", "D"]


def test_real_venues_keep_their_initials() -> None:
    assert short_labels(["binance", "bybit", "okx", "hyperliquid"], 2) == ["bi", "by", "ok", "hy"]


def test_labels_that_would_collide_fall_back_to_positions() -> None:
    assert short_labels(["aax1", "abx1", "aay1"], 1) == ["1", "2", "3"]
    assert short_labels(["solo"], 2) == ["so"]


def test_cells_carry_their_sign_as_text_for_terminals_without_colour() -> None:
    from tui.widgets.heatmap import STEPS, cell_glyph

    top, middle = STEPS - 1, (STEPS - 1) // 2
    assert cell_glyph(top, 1, 3) == "++"  # saturated positive funding
    assert cell_glyph(0, -1, 3) == "−−"
    assert cell_glyph(0, -1, 1) == "−"  # one-character cells (the 24 h view)
    assert cell_glyph(middle + 5, 1, 3) == "+"  # half the scale: one sign


def test_a_tiny_value_still_shows_its_sign() -> None:
    """-0.0069 % on a 0.1 % scale rounds to the middle colour; the sign must still say which side."""
    from tui.widgets.heatmap import STEPS, cell_glyph

    middle = (STEPS - 1) // 2
    assert cell_glyph(middle, -1, 3) == "−"
    assert cell_glyph(middle, 1, 1) == "+"
    assert cell_glyph(middle, 0, 3) == "0"  # exactly zero says so
