"""Paths the user writes (``[store] path``, an alert ``log``, ``--store``, ``--config``): ``~``, ``$VAR`` and
``${VAR}`` are expanded; a variable that is not set is a one-line error naming the file, line and key (or
the option), never a folder literally named ``$NOPE``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui import cli
from tui.config.loader import ConfigError, load_config
from tui.config.paths import BadPath, expand_path


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME is a temporary folder, PERPTOP_DATA a folder in it, NOPE is unset; the default config is elsewhere."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PERPTOP_DATA", str(home / "data"))
    monkeypatch.delenv("NOPE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return home


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf" / "config.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("written", "under_home"),
    [
        ("$HOME/x.sqlite3", "x.sqlite3"),
        ("${HOME}/x", "x"),
        ("~/x.sqlite3", "x.sqlite3"),
        ("$PERPTOP_DATA/h.sqlite3", "data/h.sqlite3"),
        ("${PERPTOP_DATA}/deeper/h.sqlite3", "data/deeper/h.sqlite3"),
    ],
)
def test_store_path_expands_home_and_variables(
    tmp_path: Path, environment: Path, written: str, under_home: str
) -> None:
    config = load_config(config_file(tmp_path, f'[store]\npath = "{written}"\n'))
    assert config.store_path == environment / under_home


def test_an_unset_variable_in_store_path_names_the_file_line_and_key(tmp_path: Path) -> None:
    text = 'watchlist = ["BTC"]\n\n# where the bars go\n\n[store]\nretention = "30d"\npath = "$NOPE/x"\n'
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"config error: {path} line 7: key 'store.path': $NOPE is not set"


def test_an_unset_braced_variable_is_named_as_written(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[store]\npath = "${NOPE}/history.sqlite3"\n')
    with pytest.raises(ConfigError, match=r"line 2: key 'store\.path': \$\{NOPE\} is not set$"):
        load_config(path)


def test_a_relative_store_path_after_expansion_is_still_beside_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUB", "stores")
    path = config_file(tmp_path, '[store]\npath = "$SUB/h.sqlite3"\n')
    assert load_config(path).store_path == tmp_path / "conf" / "stores" / "h.sqlite3"


def test_an_unknown_user_after_tilde_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[store]\npath = "~no-such-user-perptop/h.sqlite3"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"config error: {path} line 2: key 'store.path': cannot find the home folder of ~no-such-user-perptop"
    )


def test_alert_log_paths_expand_variables_and_name_an_unset_one(tmp_path: Path, environment: Path) -> None:
    (environment / "logs").mkdir()
    good = config_file(tmp_path, '[[alerts]]\nflags = ["*"]\nlog = "$HOME/logs/alerts.jsonl"\n')
    assert load_config(good).alerts[0].sinks.log == environment / "logs" / "alerts.jsonl"
    bad = config_file(tmp_path, '[[alerts]]\nflags = ["*"]\nlog = "$NOPE/alerts.jsonl"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert str(caught.value) == f"config error: {bad} line 3: key 'alerts[1].log': $NOPE is not set"


def test_expansion_follows_expandvars_for_what_is_not_a_variable() -> None:
    env = {"A": "/a", "EMPTY": ""}
    assert expand_path("$A/x", env) == Path("/a/x")
    assert expand_path("${A}x/y", env) == Path("/ax/y")  # braces end the name where the text goes on
    assert expand_path("$EMPTY/x", env) == Path("/x")  # set but empty: nothing, as in the shell
    assert expand_path("cost$/5%", env) == Path("cost$/5%")  # a $ before no name is kept as written
    with pytest.raises(BadPath, match=r"^\$Ax is not set$"):
        expand_path("$Ax/y", env)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_store_option_expands_a_quoted_variable(
    capsys: pytest.CaptureFixture[str], environment: Path
) -> None:
    code, out, _ = run(["store", "--store", "$PERPTOP_DATA/h.sqlite3"], capsys)
    assert code == 0 and out.splitlines()[0] == f"history store: {environment / 'data' / 'h.sqlite3'}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["store", "--store", "$NOPE/h.sqlite3"],
            "perptop store: error: argument --store: $NOPE is not set (see perptop store --help)\n",
        ),
        (
            ["--config", "${NOPE}/config.toml", "--demo"],
            "perptop: error: argument --config: ${NOPE} is not set (see perptop --help)\n",
        ),
        (
            ["export", "--csv", "$NOPE/out.csv"],
            "perptop export: error: argument --csv: $NOPE is not set (see perptop export --help)\n",
        ),
    ],
)
def test_an_unset_variable_in_a_path_option_is_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert run(argv, capsys) == (2, "", expected)


def test_alert_command_program_path_expands_variables(tmp_path: Path, environment: Path) -> None:
    program = environment / "bin" / "notify.sh"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    path = config_file(tmp_path, '[[alerts]]\nflags = ["*"]\ncommand = ["$HOME/bin/notify.sh", "$1"]\n')
    # the program's path is expanded; its arguments are passed as written
    assert load_config(path).alerts[0].sinks.command == (str(program), "$1")
