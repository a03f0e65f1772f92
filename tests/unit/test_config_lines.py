"""Key line numbers found by scanning TOML text (tomllib gives none)."""

from __future__ import annotations

import sys

from tui.config.lines import key_lines, line_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DOC = '''# window = "comment, not a key"
watchlist = [
  "BTC",   # x = 1
  "ETH",
]
note = """
fake = 1
"""
signals.window = "4h"
venue = { binance = { base_url = "https://a" }, okx.base_url = 'https://b' }

[signals2]
price_change_pct = 1.0 # trailing
"quoted.key" = 2
[ other . "bybit" ]
base_url = "https://x"
'''


def test_keys_tables_dotted_and_inline_keys_get_their_lines() -> None:
    tomllib.loads(DOC)  # the scanner is only used on valid TOML
    lines = key_lines(DOC)
    assert lines[("watchlist",)] == 2
    assert lines[("note",)] == 6
    assert ("fake",) not in lines and ("x",) not in lines and ("window",) not in lines
    assert lines[("signals", "window")] == 9
    assert lines[("venue", "binance", "base_url")] == 10 and lines[("venue", "okx", "base_url")] == 10
    assert lines[("signals2",)] == 12 and lines[("signals2", "price_change_pct")] == 13
    assert lines[("signals2", "quoted.key")] == 14
    assert lines[("other", "bybit")] == 15 and lines[("other", "bybit", "base_url")] == 16


def test_line_of_falls_back_to_the_nearest_parent() -> None:
    lines = key_lines("[signals]\nwindow = '4h'\n")
    assert line_of(lines, ("signals", "missing")) == 1
    assert line_of(lines, ("nothing",)) is None
