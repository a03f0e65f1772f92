"""One 200-symbol limit wherever a symbol list enters: the config file, ``--watchlist``, the state file, and
``replay``/``backtest --symbols`` and a replayed history (the ``a`` key: tests/app/test_symbol_limit_app.py).

Over the limit, a list the user gave now is refused with one line and exit status 2; a list perptop finds in
a file (the state file, a history) keeps its first 200 with one warning. At the limit everything works.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tui.cli import build_parser, main
from tui.cli.replay import load_source
from tui.config.loader import AppConfig, ConfigError, load_config, resolve_config

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
H = 3_600_000


def names(n: int, prefix: str = "C") -> list[str]:
    """``n`` distinct valid symbols: C1, C2, ..."""
    return [f"{prefix}{i}" for i in range(1, n + 1)]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def empty_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("")
    return path


# ---- --watchlist -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(201, "201"), (1000, "1,000"), (10_000, "10,000")])
def test_watchlist_option_over_the_limit_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: int, shown: str
) -> None:
    argv = ["--demo", "--config", str(empty_config(tmp_path)), "--watchlist", ",".join(names(count))]
    code, out, err = run([*argv, "--print-config"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"--watchlist: {shown} symbols, more than the 200 perptop watches at once" in err


def test_watchlist_option_of_200_symbols_is_used_and_201_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--demo", "--config", str(empty_config(tmp_path)), "--print-config", "--watchlist"]
    code, out, err = run([*argv, ",".join(names(200))], capsys)
    assert code == 0 and err == ""
    assert '"C1", "C2"' in out and '"C200"]' in out
    code, out, err = run([*argv, ",".join(names(201))], capsys)
    assert code == 2 and out == "" and "201 symbols" in err


# ---- the config file ---------------------------------------------------------------------------------


def test_config_watchlist_of_200_is_read_and_201_refused_naming_file_line_and_count(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("watchlist = " + json.dumps(names(200)) + "\n")
    assert len(load_config(path).watchlist) == 200
    path.write_text('theme = "dark"\nwatchlist = ' + json.dumps(names(201)) + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"config error: {path} line 2: key 'watchlist': 201 symbols, more than the 200 perptop watches at once"
    )


# ---- the state file (symbols added with a) -------------------------------------------------------------


def with_state(tmp_path: Path, added: list[str]) -> AppConfig:
    """The config of a start whose config file watches BTC, ETH and SOL and whose state file adds ``added``."""
    config = tmp_path / "config.toml"
    config.write_text('watchlist = ["BTC", "ETH", "SOL"]\n')
    (tmp_path / "config.state.json").write_text(json.dumps({"version": 1, "added": added, "removed": []}))
    return resolve_config(load_config(config), environ={})


def test_state_file_over_the_limit_keeps_the_config_first_then_the_earliest_added(tmp_path: Path) -> None:
    config = with_state(tmp_path, names(10_000))
    # 3 from the config, then 197 of the 10,000 added: 9,803 left out
    assert config.watchlist == ("BTC", "ETH", "SOL", *names(197))
    state_file = str(tmp_path / "config.state.json")
    warnings = [w for w in config.warnings if state_file in w]
    assert len(warnings) == 1 and "9,803 added symbols left out" in warnings[0]
    assert "200" in warnings[0]
    # what the app would save at the next a/d change is what it shows
    assert config.state.added == tuple(names(197))


def test_state_file_filling_the_limit_exactly_loses_nothing_and_one_more_is_left_out(tmp_path: Path) -> None:
    config = with_state(tmp_path, names(197))
    assert config.watchlist == ("BTC", "ETH", "SOL", *names(197))
    assert config.warnings == ()
    config = with_state(tmp_path, names(198))
    assert config.watchlist == ("BTC", "ETH", "SOL", *names(197))
    (warning,) = config.warnings
    assert "1 added symbol left out" in warning


def test_many_bad_entries_in_the_state_file_give_one_short_warning(tmp_path: Path) -> None:
    config = with_state(tmp_path, [f"B${i}" for i in range(10_000)])
    assert config.watchlist == ("BTC", "ETH", "SOL")
    (warning,) = config.warnings
    assert '"B$0"' in warning and "9,995 more" in warning and len(warning) < 300


# ---- replay and backtest --symbols ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["replay", "backtest"])
def test_symbols_option_over_the_limit_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, err = run([command, str(tmp_path / "h.csv"), "--symbols", ",".join(names(250))], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--symbols: 250 symbols, more than the 200 perptop watches at once" in err


@pytest.mark.parametrize("command", ["replay", "backtest"])
def test_symbols_option_of_200_symbols_is_taken_and_201_refused(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = ",".join(names(200))
    assert build_parser().parse_args([command, "h.csv", "--symbols", listed]).symbols == listed
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args([command, "h.csv", "--symbols", listed + ",C201"])
    assert caught.value.code == 2 and "201 symbols" in capsys.readouterr().err


def history_csv(tmp_path: Path, symbols: list[str]) -> Path:
    """Three hourly bars per symbol, symbols in the given order."""
    lines = ["time,price,symbol"]
    lines += [f"{T0 + i * H},{100 + i},{s}" for s in symbols for i in range(3)]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replay_of_a_history_over_the_limit_plays_its_first_200_with_a_warning(tmp_path: Path) -> None:
    # Z-names first: "first" is the file's order, not alphabetical.
    symbols = names(150, "Z") + names(90, "A")
    args = build_parser().parse_args(["replay", str(history_csv(tmp_path, symbols))])
    err, notes = io.StringIO(), list[str]()
    source = load_source(AppConfig(), args, err=err, notes=notes)
    assert source.symbols == symbols[:200]
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    assert "history.csv holds 240 symbols" in lines[0] and "replaying the first 200" in lines[0]
    assert "--symbols" in lines[0]
    assert len(notes) == 1 and "history.csv holds 240 symbols" in notes[0]  # shown in the app too


def test_replay_of_a_history_of_200_symbols_plays_them_all_and_of_201_the_first_200(tmp_path: Path) -> None:
    for count, shown, said in ((200, 200, ""), (201, 200, "holds 201 symbols")):
        args = build_parser().parse_args(["replay", str(history_csv(tmp_path, names(count)))])
        err, notes = io.StringIO(), list[str]()
        source = load_source(AppConfig(), args, err=err, notes=notes)
        assert source.symbols == names(shown)
        assert (said in err.getvalue()) if said else (err.getvalue() == "" and notes == [])
