"""The ``[[alerts]]`` and ``[events]`` tables: values, one-line errors pointing at the right table, warnings,
and ``--print-config`` reading back to the same rules."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT
from tui import cli
from tui.config.alerts import ALERT_KEYS, EVENT_KEYS, AlertRule, EventSettings, Sinks, Threshold
from tui.config.dump import dump_config
from tui.config.lines import item_line_of, item_lines, key_lines
from tui.config.loader import AppConfig, ConfigError, load_config, parse_config


def write(folder: Path, text: str, name: str = "config.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def executable(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\ncat >/dev/null\n", encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config folder with a program on PATH (``notifier``), a script, a log folder and a fake apprise."""
    executable(tmp_path / "path-bin" / "notifier")
    executable(tmp_path / "path-bin" / "notify-send")
    monkeypatch.setenv("PATH", str(tmp_path / "path-bin"))
    executable(tmp_path / "bin" / "notify.sh")
    (tmp_path / "logs").mkdir()
    package = tmp_path / "site" / "apprise"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


FULL = """
watchlist = ["BTC", "ETH"]

[events]
per_venue = true
max_alerts_per_hour = 12
in_memory = 100

[[alerts]]
name = "squeeze"
flags = ["short_squeeze_risk", "Cascade_Risk"]
symbols = ["btcusdt", "ETH-USDT-SWAP", "1000PEPE", "BTC"]
min_confidence = 0.5
only_with_edge = true
liquidations_1h_above = 25000000
oi_change_below = -5
funding_8h_above = 0.05
cooldown = "90m"
bell = true
osc = true
desktop = false
command = ["bin/notify.sh", "--urgent"]
webhook = "https://hooks.example.com/perptop/"
apprise = "ntfy://ntfy.sh/perptop"
log = "logs/alerts.jsonl"

[[alerts]]
flags = ["*"]
price_change_below = -3
price_change_above = 2.5
funding_8h_below = -0.01
oi_change_above = 10

[[alerts]]
name = "quiet"
flags = ["*", "funding_flip"]
cooldown = "0s"
command = ["notifier"]
apprise = ["tgram://bot/chat", "mailto://user:pass@example.com"]
log = "~/alerts.jsonl"
"""


def test_a_full_example_reads_into_the_exact_values(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(machine / "logs"))
    config = load_config(write(machine, FULL))
    assert config.warnings == ()
    assert config.events == EventSettings(per_venue=True, max_alerts_per_hour=12, in_memory=100)
    squeeze, second, quiet = config.alerts
    assert squeeze == AlertRule(
        name="squeeze",
        flags=("short_squeeze_risk", "cascade_risk"),
        symbols=("BTC", "ETH", "PEPE"),
        min_confidence=0.5,
        only_with_edge=True,
        thresholds=(
            Threshold("funding_8h", "above", 0.0005, "funding_8h_above"),  # 0.05 % -> 0.0005
            Threshold("oi_change", "below", -0.05, "oi_change_below"),
            Threshold("liquidations_1h", "above", 25_000_000.0, "liquidations_1h_above"),  # USD, as written
        ),
        cooldown_s=5400.0,
        sinks=Sinks(
            bell=True,
            osc=True,
            desktop=False,
            command=(str(machine / "bin" / "notify.sh"), "--urgent"),  # relative to the config's folder
            webhook="https://hooks.example.com/perptop/",
            apprise=("ntfy://ntfy.sh/perptop",),
            log=machine / "logs" / "alerts.jsonl",
        ),
    )
    assert second == AlertRule(
        name="alert 2",  # its position in the file
        flags=("*",),
        thresholds=(
            Threshold("funding_8h", "below", -0.0001, "funding_8h_below"),
            Threshold("oi_change", "above", 0.1, "oi_change_above"),
            Threshold("price_change", "above", 0.025, "price_change_above"),
            Threshold("price_change", "below", -0.03, "price_change_below"),
        ),
    )
    assert second.symbols is None and second.cooldown_s == 1800.0 and second.sinks == Sinks()
    assert not second.sinks.any and squeeze.sinks.any
    assert quiet == AlertRule(
        name="quiet",
        flags=("*",),
        cooldown_s=0.0,
        sinks=Sinks(
            command=("notifier",),  # a bare name stays bare: found on PATH
            apprise=("tgram://bot/chat", "mailto://user:pass@example.com"),
            log=machine / "logs" / "alerts.jsonl",  # ~ expanded
        ),
    )
    assert quiet.watches_flag("weak_rally") and not squeeze.watches_flag("weak_rally")


def test_no_alerts_and_no_events_are_the_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'theme = "light"\n'))
    assert config.alerts == () and config.events == EventSettings()
    assert AppConfig().events == EventSettings(per_venue=False, max_alerts_per_hour=60, in_memory=5000)


def test_an_inline_array_of_tables_is_the_same_as_alerts_headers(tmp_path: Path) -> None:
    inline = load_config(write(tmp_path, 'alerts = [{ flags = ["*"] }, { oi_change_above = 3 }]\n', "a.toml"))
    headers = load_config(
        write(tmp_path, '[[alerts]]\nflags = ["*"]\n[[alerts]]\noi_change_above = 3\n', "b.toml")
    )
    assert inline.alerts == headers.alerts and len(inline.alerts) == 2


# Two good tables on lines 1-6; the third table's header is line 8 and its first key line 9.
TWO = '[[alerts]]\nname = "one"\nflags = ["cascade_risk"]\n\n[[alerts]]\nflags = ["*"]\n\n[[alerts]]\n'


def third(key: str, value: str, words: str) -> tuple[str, int, str, str]:
    """A bad ``key = value`` on line 10, in a third table that is otherwise good."""
    return (TWO + f'flags = ["*"]\n{key} = {value}\n', 10, f"alerts[3].{key}", words)


ERRORS = [
    # (file text, line, key, words the message must contain)
    (TWO + 'flags = ["short_squeeze"]\n', 9, "alerts[3].flags", 'did you mean "short_squeeze_risk"?'),
    (TWO + 'flags = ["*", "moon"]\n', 9, "alerts[3].flags", 'item 2: unknown flag "moon"'),
    (TWO + 'flags = ["moon"]\n', 9, "alerts[3].flags", "short_squeeze_risk, long_squeeze_risk, cascade_risk"),
    third("cooldown", '"-30m"', 'must not be negative ("0s" alerts every time), got "-30m"'),
    third("cooldown", '"soon"', 'expected a duration like "4h"'),
    third("cooldown", "30", 'expected a duration like "4h", got 30'),
    third("cooldown", '"60d"', "at most 30d"),
    third("webhook", '"ftp://x.test"', "https:// or http://"),
    third("webhook", '"hooks.test"', 'got "hooks.test"'),
    third("webhook", "1", "expected a URL"),
    third(
        "command", '["perptop-no-such-program-x"]', 'program "perptop-no-such-program-x" not found on PATH'
    ),
    third("command", '["./gone.sh", "-v"]', 'gone.sh" does not exist'),
    third("command", '"notify-send"', "expected an array like"),
    third("command", "[]", "expected the program as the first item, got an empty array"),
    third("command", '[" "]', "item 1: the program's name is empty"),
    third("command", '["ls", 3]', "expected an array like"),
    third("log", '"nowhere/a.jsonl"', 'nowhere" does not exist'),
    third("log", "3", "expected a file path"),
    third("log", '"."', "is a folder"),
    (
        TWO + 'name = "one"\nflags = ["*"]\n',
        9,
        "alerts[3].name",
        'name "one" is already used by alerts[1] (line 1)',
    ),
    (
        '[[alerts]]\nname = "alert 2"\nflags = ["*"]\n\n[[alerts]]\nflags = ["*"]\n',
        5,
        "alerts[2]",
        'its default name "alert 2" is already used by alerts[1] (line 1): give this rule a name',
    ),
    (TWO + 'name = "x"\nbell = true\n', 8, "alerts[3]", "a rule needs a trigger"),
    (TWO + "flags = []\n", 8, "alerts[3]", "a rule needs a trigger"),
    # bad types and ranges
    third("name", "5", "expected a name in quotes"),
    third("name", '" "', 'got " "'),
    (
        TWO + 'flags = "cascade_risk"\n',
        9,
        "alerts[3].flags",
        'expected an array of flag names like ["cascade',
    ),
    third("symbols", '"BTC"', 'got "BTC"'),
    third("symbols", '["BTC", "B$C"]', "item 2: 'B$C' is not a symbol"),
    third("symbols", "[]", "at least one symbol"),
    third("min_confidence", "2", "at most 1, got 2"),
    third("min_confidence", '"high"', "expected a number"),
    third("only_with_edge", '"yes"', "expected true or false"),
    third("bell", "1", "expected true or false, got 1"),
    third("funding_8h_above", '"0.05"', "expected a number in percent"),
    third("funding_8h_below", "-20", "at least -10 and at most 10, got -20"),
    third("liquidations_1h_above", "-1", "must be at least 0 (USD) and finite, got -1"),
    third("liquidations_1h_above", "nan", "got nan"),
    third("liquidations_1h_above", "true", "expected a number of USD"),
    third("apprise", "5", "expected an apprise URL"),
    third("apprise", '"ntfy.sh/x"', 'like scheme://..., got "ntfy.sh/x"'),
    third("apprise", '["a://b", "c"]', "item 2: expected a URL"),
    third("apprise", "[]", "got an empty array"),
    (
        '[alerts]\nflags = ["*"]\n',
        1,
        "alerts",
        "got a table: write each rule under its own [[alerts]] header",
    ),
    ("alerts = 3\n", 1, "alerts", "expected [[alerts]] tables, got 3"),
    ('alerts = ["x"]\n', 1, "alerts[1]", 'expected a table, got "x"'),
    ('alerts = [\n  { flags = ["*"] },\n  { flags = ["moon"] },\n]\n', 3, "alerts[2].flags", "unknown flag"),
    ("events = 3\n", 1, "events", "expected a table, got 3"),
    ("[events]\nper_venue = 1\n", 2, "events.per_venue", "expected true or false, got 1"),
    ("[events]\n\nmax_alerts_per_hour = 0\n", 3, "events.max_alerts_per_hour", "at least 1, got 0"),
    ("[events]\nmax_alerts_per_hour = 1.5\n", 2, "events.max_alerts_per_hour", "expected a whole number"),
    ("[events]\nin_memory = 50\n", 2, "events.in_memory", "at least 100 and at most 1_000_000, got 50"),
    ("[events]\nin_memory = 2000000\n", 2, "events.in_memory", "at most 1_000_000"),
]


@pytest.mark.parametrize(("text", "line", "key", "words"), ERRORS)
def test_each_bad_value_is_one_line_naming_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int, key: str, words: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"config error: {path} line {line}: key '{key}': "), message
    assert words in message, message


def test_a_program_that_is_not_executable_is_an_error(tmp_path: Path) -> None:
    executable(tmp_path / "notify.sh", mode=0o644)
    path = write(
        tmp_path, '[[alerts]]\nflags = ["*"]\n\n[[alerts]]\nflags = ["*"]\ncommand = ["./notify.sh"]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"config error: {path} line 6: key 'alerts[2].command': "
        f'program "{tmp_path / "notify.sh"}" is not executable (chmod +x it)'
    )
    (tmp_path / "notify.sh").chmod(0o755)
    assert load_config(path).alerts[1].sinks.command == (str(tmp_path / "notify.sh"),)


def test_apprise_without_the_package_is_an_error_at_load_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name == "apprise" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    path = write(tmp_path, '[[alerts]]\nflags = ["*"]\napprise = "ntfy://ntfy.sh/x"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"config error: {path} line 3: key 'alerts[1].apprise': "
        "needs the apprise package, which is not installed: pip install apprise"
    )


def test_unknown_keys_warn_with_line_and_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[events]\nper_venu = true\n\n[[alerts]]\nflags = ["*"]\n\n[[alerts]]\nflags = ["*"]\n'
        'cooldwn = "1h"\nsinks = { bell = true }\nfoo = 1\n',
    )
    config = load_config(path)
    assert config.events == EventSettings()  # the misspelt key did not apply
    assert config.alerts[1].cooldown_s == 1800.0 and config.alerts[1].sinks == Sinks()
    start = f"config warning: {path} line"
    assert config.warnings == (
        f"{start} 2: unknown key 'events.per_venu' (ignored); did you mean 'events.per_venue'?",
        f"{start} 9: unknown key 'alerts[2].cooldwn' (ignored); did you mean 'alerts[2].cooldown'?",
        (
            f"{start} 10: unknown key 'alerts[2].sinks' (ignored); "
            "write bell, osc, desktop, command, webhook, apprise, log directly in the [[alerts]] table"
        ),
        f"{start} 11: unknown key 'alerts[2].foo' (ignored)",
    )


def test_print_config_reads_back_to_the_same_alerts(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(machine / "logs"))
    original = load_config(write(machine, FULL, "in.toml"))
    printed = dump_config(original)
    assert "\n[events]\n" in printed and printed.count("\n[[alerts]]\n") == 3
    again = parse_config(printed, machine / "elsewhere" / "out.toml")  # absolute paths: any folder will do
    assert again.warnings == ()
    assert again.alerts == original.alerts and again.events == original.events
    assert (
        dump_config(again).replace(str(machine / "elsewhere" / "out.toml"), str(machine / "in.toml"))
        == printed
    )


def test_perptop_print_config_round_trips_alerts(
    machine: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(machine / "logs"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    source = write(machine, FULL, "in.toml")
    assert cli.main(["--config", str(source), "--print-config"]) == 0
    printed, err = capsys.readouterr()
    assert err == ""
    copy = write(machine, printed, "copy.toml")
    assert cli.main(["--config", str(copy), "--print-config"]) == 0
    assert capsys.readouterr().out.replace(str(copy), str(source)) == printed
    assert load_config(copy).alerts == load_config(source).alerts


def test_a_zero_cooldown_and_odd_seconds_round_trip(machine: Path) -> None:
    text = '[[alerts]]\nflags = ["*"]\ncooldown = "0s"\n[[alerts]]\nflags = ["*"]\ncooldown = "1.5s"\n'
    original = load_config(write(machine, text))
    assert [rule.cooldown_s for rule in original.alerts] == [0.0, 1.5]
    assert parse_config(dump_config(original), machine / "c.toml").alerts == original.alerts


def test_item_lines_number_each_table_of_an_array() -> None:
    text = (
        "[[alerts]]\nname = 'a'\n[alerts.extra]\nx = 1\n[[alerts]]\nname = 'b'\nsub.key = 2\n"
        "[events]\nlist = [{ k = 1 },\n  { k = 2 }]\n"
    )
    lines = item_lines(text)
    assert lines[("alerts", 0)] == 1 and lines[("alerts", 0, "name")] == 2
    assert lines[("alerts", 0, "extra", "x")] == 4  # [alerts.extra] belongs to the last [[alerts]] so far
    assert lines[("alerts", 1)] == 5 and lines[("alerts", 1, "name")] == 6
    assert lines[("alerts", 1, "sub", "key")] == 7
    assert lines[("events", "list", 1, "k")] == 10
    assert item_line_of(lines, ("alerts", 1, "missing")) == 5
    assert item_line_of(lines, ("nothing",)) is None
    # key_lines still gives the first occurrence of each plain key path, as its callers expect.
    assert key_lines(text)[("alerts", "name")] == 2 and key_lines(text)[("alerts",)] == 1


def test_the_readme_example_is_a_valid_config(machine: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```toml\n[events]\n") + len("```toml\n")
    example = readme[start : readme.index("```", start)]
    missing = [key for key in (*EVENT_KEYS, *ALERT_KEYS) if f"\n{key} = " not in example]
    assert missing == [], "the README's example should show every key"
    config = load_config(write(machine, example))
    assert config.warnings == ()
    (rule,) = config.alerts
    assert len(rule.thresholds) == 7 and rule.sinks.log == machine / "alerts.jsonl"
    assert config.events == EventSettings()  # the example shows the defaults
