"""The banner when no venue answers: the advice first, then each distinct reason once, with its venues."""

from __future__ import annotations

from feeds.live.source import unreachable_notice
from feeds.messages import VenueStatus


def failing(venue: str, detail: str) -> VenueStatus:
    return VenueStatus(venue, "error", detail, 0)


def test_venues_failing_alike_are_named_together_after_the_advice() -> None:
    notice = unreachable_notice(
        (
            failing("binance", "cannot connect (All connection attempts failed) on /fapi/v1/fundingInfo"),
            failing("bybit", "cannot connect (All connection attempts failed) on /v5/market/tickers"),
            failing("okx", "timed out (ConnectTimeout) on /api/v5/public/instruments"),
        )
    )
    assert notice == (
        "no venue reachable: check the network or proxy, or run perptop --demo · "
        "binance, bybit: cannot connect (All connection attempts failed) · okx: timed out (ConnectTimeout)"
    )


def test_a_long_reason_is_cut_at_a_word() -> None:
    detail = "HTTP 451 Service unavailable from a restricted location according to the terms; more"
    notice = unreachable_notice((VenueStatus("binance", "blocked", detail, 0),))
    assert notice.endswith("binance: HTTP 451 Service unavailable from a restricted…")


def test_no_notice_while_a_venue_is_starting_or_has_answered() -> None:
    bad = failing("bybit", "cannot connect on /v5/market/tickers")
    assert unreachable_notice((bad, VenueStatus("okx", "starting", "", 0))) == ""
    assert unreachable_notice((bad, VenueStatus("okx", "error", "HTTP 503", 1_000))) == ""
