"""The config file: defaults, values mapped onto SignalParams, one-line errors naming file/line/key, warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from feeds.symbols import DEFAULT_WATCHLIST
from signals.params import SignalParams
from tui.config.dump import dump_config
from tui.config.loader import (
    AppConfig,
    ConfigError,
    choose_theme,
    load_config,
    parse_config,
    resolve_config,
)
from tui.config.state import WatchState, save_state


def write(tmp_path: Path, text: str | bytes, name: str = "config.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_absent_default_file_gives_the_signals_md_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config = load_config()
    assert config.source_path is None
    assert config.config_path == tmp_path / "perptop" / "config.toml"
    assert config.watchlist[:3] == ("BTC", "ETH", "SOL") and len(config.watchlist) == 12
    assert config.venues == ("binance", "bybit", "okx", "hyperliquid")
    assert config.theme == "dark"
    assert config.warnings == ()
    # SIGNALS.md defaults: W = 4h, p = q = 1 %, funding_hi = 0.03 %, L = 7d, funding_extreme = 0.05 %.
    assert config.signals.window_h == 4.0 and config.signals.price_change == 0.01
    assert config.signals.funding_hi == 0.0003 and config.signals.lookback_h == 168.0


def test_values_are_converted_to_signal_params_units(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
watchlist = ["btcusdt", "ETH-USDT-SWAP", "1000PEPEUSDT", "BTC"]
venues = ["OKX", "binance"]
theme = "light"
poll_interval = 30
paint_interval = 0.5

[signals]
window = "30m"
price_change_pct = 2.5
oi_change_pct = 0.5
funding_hi_pct = 0.01
liq_window = "90m"
lookback = "3d"
funding_extreme_pct = 0.1
ls_long = 3

[venue.binance]
base_url = "http://127.0.0.1:8080/"
""",
    )
    config = load_config(path)
    assert config.source_path == path
    assert config.watchlist == ("BTC", "ETH", "PEPE")  # normalised, repeat dropped
    assert config.config_watchlist == config.watchlist
    assert config.venues == ("okx", "binance")
    assert (config.theme, config.poll_interval, config.paint_interval) == ("light", 30.0, 0.5)
    s = config.signals
    assert s.window_h == 0.5 and s.liq_window_h == 1.5 and s.lookback_h == 72.0
    assert s.price_change == pytest.approx(0.025) and s.oi_change == pytest.approx(0.005)
    assert s.funding_hi == pytest.approx(0.0001) and s.funding_extreme == pytest.approx(0.001)
    assert s.ls_long == 3.0 and s.ls_short == SignalParams().ls_short  # unset keys keep defaults
    assert config.venue_options == {"binance": {"base_url": "http://127.0.0.1:8080"}}


def test_dotted_keys_and_inline_tables_are_the_same_config(tmp_path: Path) -> None:
    dotted = load_config(
        write(tmp_path, 'signals.window = "8h"\nvenue.okx.base_url = "https://x.test"\n', "a.toml")
    )
    inline = load_config(
        write(
            tmp_path,
            'signals = { window = "8h" }\nvenue = { okx = { base_url = "https://x.test" } }\n',
            "b.toml",
        )
    )
    assert dotted.signals == inline.signals == SignalParams(window_h=8.0)
    assert dotted.venue_options == inline.venue_options == {"okx": {"base_url": "https://x.test"}}


ERRORS = [
    # (file text, line, key, words the message must contain)
    (
        'watchlist = ["BTC"]\n\n[signals]\nwindow = 12\n',
        4,
        "signals.window",
        'expected a duration like "4h", got 12',
    ),
    ('[signals]\nwindow = "4 hours"\n', 2, "signals.window", '"4 hours"'),
    ('signals.lookback = "60d"\n', 1, "signals.lookback", "at most 30d"),
    ("[signals]\n# quantile\n\nliq_quantile = 1.5\n", 4, "signals.liq_quantile", "less than 1, got 1.5"),
    ("[signals]\nprice_change_pct = 0\n", 2, "signals.price_change_pct", "greater than 0"),
    ('[signals]\nsfr_max = "0.2"\n', 2, "signals.sfr_max", 'expected a number, got "0.2"'),
    ("[signals]\nls_short = 2.5\n", 2, "signals.ls_short", "must not exceed ls_long"),
    ('theme = "neon"\n', 1, "theme", 'unknown theme "neon"'),
    ("theme = 3\n", 1, "theme", "expected a theme name, got 3"),
    ('poll_interval = "10"\n', 1, "poll_interval", 'expected a number of seconds, got "10"'),
    ("poll_interval = 0.5\n", 1, "poll_interval", "at least 2"),
    ("paint_interval = 0.1\n", 1, "paint_interval", "at least 0.25"),
    ("paint_interval = true\n", 1, "paint_interval", "got true"),
    ("paint_interval = nan\n", 1, "paint_interval", "got nan"),
    ('watchlist = "BTC"\n', 1, "watchlist", "expected an array"),
    ('watchlist = [\n  "BTC",\n  "B$C",\n]\n', 1, "watchlist", "item 2: 'B$C' is not a symbol"),
    ('venues = ["binance", "kraken"]\n', 1, "venues", 'unknown venue "kraken"'),
    ("venues = []\n", 1, "venues", "empty array"),
    ("signals = 3\n", 1, "signals", "expected a table"),
    ('\n[venue.binance]\nbase_url = "ftp://x"\n', 3, "venue.binance.base_url", "https://"),
    ('[venue.bybit]\nws_url = "https://x"\n', 2, "venue.bybit.ws_url", "wss://"),
    ("[store]\nretention = 30\n", 2, "store.retention", 'expected a duration like "4h", got 30'),
    ('[store]\nretention = "30m"\n', 2, "store.retention", "at least 1h"),
    ('[store]\nrecord = "yes"\n', 2, "store.record", 'expected true or false, got "yes"'),
    ("[store]\npath = 5\n", 2, "store.path", "expected a file path"),
    # syntax errors: tomllib's line, and the key written on that line
    ('theme = "dark"\npoll_interval = \n', 2, "poll_interval", "invalid TOML"),
    ('[signals]\nwindow = "4h\n', 2, "signals.window", "invalid TOML"),
    ("theme = 'dark'\ntheme = 'light'\n", 2, "theme", "invalid TOML"),
]


@pytest.mark.parametrize(("text", "line", "key", "words"), ERRORS)
def test_each_error_is_one_line_naming_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"config error: {path} line {line}: key '{key}': ")
    assert words in message


def test_syntax_error_at_end_of_file_points_at_the_last_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'theme = "dark"\nwatchlist = ["BTC",\n')
    with pytest.raises(ConfigError, match=re.escape(f"config error: {path} line 2: ")):
        load_config(path)


SYNTAX_ERRORS = [
    # (file text, the message after "config error: c.toml ")
    # an unclosed string on line 1: tomllib stops at the end of the file, here line 2
    (
        "theme = 'dark\npoll_interval = 5\n",
        "line 1: key 'theme': invalid TOML: Expected \"'\" at the end of the file",
    ),
    (
        'theme = """dark\npoll_interval = 5\n',
        "line 1: key 'theme': invalid TOML: Unterminated string at the end of the file",
    ),
    (
        "theme = 'dark\r\npoll_interval = 5\r\n",
        "line 1: key 'theme': invalid TOML: Expected \"'\" at the end of the file",
    ),
    (
        'theme = "dark\npoll_interval = 5\n',
        "line 1: key 'theme': invalid TOML: Illegal character '\\n' at column 14",
    ),
    # an array left open on line 1: tomllib notices at the first character of line 2
    (
        'watchlist = ["BTC"\npoll_interval = 5\n',
        "line 1: key 'watchlist': invalid TOML: Unclosed array (at line 2, column 1)",
    ),
    # a bad key on line 3
    (
        'theme = "dark"\npoll_interval = 5\nbad key = 1\n',
        "line 3: key 'bad key': invalid TOML: Expected '=' after a key in a key/value pair at column 5",
    ),
    # a value missing at the end of the file, which has no final newline
    (
        'theme = "dark"\n\n[signals]\nwindow =',
        "line 4: key 'signals.window': invalid TOML: Invalid value at the end of the file",
    ),
    # a statement that is wrong where it starts, after blank lines and a comment, stays on its line
    ("a = 1\n\n# note\n= 1\n", "line 4: invalid TOML: Invalid statement at column 1"),
]


@pytest.mark.parametrize(("text", "expected"), SYNTAX_ERRORS)
def test_a_syntax_error_is_reported_on_the_line_of_the_statement_at_fault(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("c.toml"))
    assert str(caught.value) == f"config error: c.toml {expected}"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.mkdir(), p)[1], "is a directory"),
        (
            lambda p: (p.write_bytes(b'watchlist = ["BTC"]\n# caf\xe9\n'), p)[1],
            "line 2: not UTF-8 text (byte 0xe9)",
        ),
    ],
)
def test_file_problems_are_one_line(tmp_path: Path, make: object, words: str) -> None:
    path = make(tmp_path / "config.toml")  # type: ignore[operator]
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"config error: {path}")
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_unreadable_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, 'theme = "dark"\n')

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(ConfigError, match=r"^config error: .*config\.toml: cannot read: permission denied$"):
        load_config(path)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, '\ufefftheme = "light"\n')
    assert load_config(path).theme == "light"


def test_unknown_keys_warn_with_line_and_suggestion_and_do_not_fail(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'wachlist = ["BTC"]\n[signals]\nwindw = "4h"\n[venue.kraken]\nbase_url = "https://k"\n'
        "[venue.binance]\ntimeout = 3\n",
    )
    config = load_config(path)
    assert config.watchlist == DEFAULT_WATCHLIST  # the misspelt key did not apply
    assert config.warnings == (
        f"config warning: {path} line 1: unknown key 'wachlist' (ignored); did you mean 'watchlist'?",
        f"config warning: {path} line 3: unknown key 'signals.windw' (ignored); did you mean 'signals.window'?",
        f"config warning: {path} line 4: unknown key 'venue.kraken' (ignored)",
        f"config warning: {path} line 7: unknown key 'venue.binance.timeout' (ignored)",
    )


def test_dump_config_round_trips(tmp_path: Path) -> None:
    original = load_config(
        write(
            tmp_path,
            """
watchlist = ["SOL", "kPEPE", "DOGE"]
venues = ["hyperliquid", "bybit"]
theme = "high-contrast"
columns = ["flags", "price", "funding_8h"]
poll_interval = 15.5
paint_interval = 0.25
[signals]
window = "90s"
price_change_pct = 0.3
funding_hi_pct = 0.0125
liq_window = "45m"
lookback = "2w"
liq_quantile = 0.99
low_confidence = 0
[venue.bybit]
base_url = "https://api.bytick.com"
ws_url = "wss://stream.bybit.com/v5/public/linear"
[store]
path = "history/perptop.sqlite3"
retention = "90d"
record = false
""",
            "in.toml",
        )
    )
    again = parse_config(dump_config(original), tmp_path / "out.toml")
    assert again.warnings == ()
    assert original.store_path == tmp_path / "history" / "perptop.sqlite3"  # relative to the config's folder
    assert original.store_retention_days == 90 and original.store_record is False
    names = (
        "watchlist",
        "venues",
        "theme",
        "columns",
        "poll_interval",
        "paint_interval",
        "venue_options",
        "store_path",
        "store_retention_days",
        "store_record",
    )
    for name in names:
        assert getattr(again, name) == getattr(original, name), name
    assert again.signals == original.signals
    assert original.signals.lookback_h == 336.0 and original.signals.window_h == pytest.approx(0.025)


def test_dump_config_quotes_strings_toml_needs_escaped(tmp_path: Path) -> None:
    config = AppConfig(venue_options={"okx": {"base_url": 'https://x.test/a"b\\c\x7f'}})
    again = parse_config(dump_config(config), tmp_path / "c.toml")
    assert again.venue_options == config.venue_options


@pytest.mark.parametrize(
    ("cli", "config_theme", "env", "expected"),
    [
        (None, "light", {}, "light"),
        (None, "light", {"NO_COLOR": "1"}, "monochrome"),
        (None, "light", {"NO_COLOR": ""}, "light"),  # no-color.org: empty means unset
        ("ansi16", "light", {"NO_COLOR": "1"}, "ansi16"),  # the command line beats NO_COLOR
    ],
)
def test_theme_choice(cli: str | None, config_theme: str, env: dict[str, str], expected: str) -> None:
    assert choose_theme(cli, config_theme, env) == expected


def test_resolve_applies_state_file_beside_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, 'watchlist = ["BTC", "ETH", "SOL"]\n', "mine.toml")
    save_state(tmp_path / "mine.state.json", WatchState(added=("DOGE",), removed=("ETH",)))
    config = resolve_config(load_config(path), environ={})
    assert config.watchlist == ("BTC", "SOL", "DOGE")
    assert config.config_watchlist == ("BTC", "ETH", "SOL")
    assert config.state_path == tmp_path / "mine.state.json"


def test_cli_watchlist_ignores_and_does_not_save_state(tmp_path: Path) -> None:
    path = write(tmp_path, 'watchlist = ["BTC"]\n')
    save_state(tmp_path / "config.state.json", WatchState(added=("DOGE",)))
    config = resolve_config(load_config(path), cli_watchlist=("XRP",), environ={})
    assert config.watchlist == ("XRP",)
    assert config.state_path is None and config.state == WatchState()


def test_corrupt_state_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    path = write(tmp_path, 'watchlist = ["BTC"]\n')
    (tmp_path / "config.state.json").write_text("{not json", encoding="utf-8")
    config = resolve_config(load_config(path), environ={})
    assert config.watchlist == ("BTC",)
    assert len(config.warnings) == 1 and "config.state.json line 1: not valid JSON" in config.warnings[0]


def test_default_watchlist_is_the_demo_list_where_every_flag_is_on() -> None:
    from feeds.sim import DEFAULT_DEMO_WATCHLIST

    assert DEFAULT_WATCHLIST == DEFAULT_DEMO_WATCHLIST


def test_columns_are_shown_in_display_order_with_the_symbol(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'columns = ["flags", "price", "funding_8h"]\n'))
    assert config.columns == ("symbol", "price", "funding_8h", "flags")
    assert load_config(write(tmp_path, 'theme = "dark"\n')).columns is None  # absent: fit by priority


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            'columns = ["price", "volume"]',
            "line 1: key 'columns': item 2: unknown column \"volume\": expected symbol,",
        ),
        ("columns = []", "key 'columns': expected an array of column names from symbol, venue"),
        ('columns = "price"', "key 'columns': expected an array of column names"),
    ],
)
def test_a_bad_columns_key_names_the_item(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text + "\n"))
    assert words in str(err.value)
