"""The ``perptop`` command line: exit codes, one-line errors, --print-config, dispatch to the app and
snapshot."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import ROOT
from tui import cli
from tui.config.loader import AppConfig, load_config


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default config folder at a temporary one and clear NO_COLOR."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path / "xdg" / "perptop"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"], capsys) == (0, "perptop 0.1.0\n", "")


def test_help_names_modes_keys_the_real_config_path_and_no_color(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    assert str(isolated_home / "config.toml") in out
    assert str(isolated_home / "config.state.json") in out
    for words in ("--demo", "snapshot", "NO_COLOR", "--watchlist ignores", "q quit", "a add a symbol"):
        assert words in out


def test_print_config_round_trips_through_the_loader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.toml"
    source.write_text(
        'watchlist = ["DOGEUSDT", "ETH"]\ntheme = "ansi16"\n[signals]\nwindow = "2h"\n'
        'liq_quantile = 0.9\n[venue.okx]\nbase_url = "https://www.okx.test"\n',
        encoding="utf-8",
    )
    code, printed, err = run(["--config", str(source), "--print-config"], capsys)
    assert (code, err) == (0, "")
    copy = tmp_path / "copy.toml"
    copy.write_text(printed, encoding="utf-8")
    code, printed_again, _ = run(["--config", str(copy), "--print-config"], capsys)
    assert code == 0
    # Only the comment naming the source file differs.
    assert printed_again.replace(str(copy), str(source)) == printed
    first, second = load_config(source), load_config(copy)
    assert (second.watchlist, second.theme, second.signals, second.venue_options) == (
        ("DOGE", "ETH"),
        "ansi16",
        first.signals,
        {"okx": {"base_url": "https://www.okx.test"}},
    )


@pytest.mark.parametrize(
    ("text", "expected_start"),
    [
        ("[signals]\nwindow = 12\n", "line 2: key 'signals.window': expected a duration"),
        ('theme = "neon"\n', "line 1: key 'theme': unknown theme"),
        ("poll_interval = -1\n", "line 1: key 'poll_interval': must be at least 2"),
        ("poll_interval = \n", "line 1: key 'poll_interval': invalid TOML"),
        (b"theme = '\xff'\n", "line 1: not UTF-8 text"),
    ],
)
def test_config_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, expected_start: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, out, err = run(["--config", str(path), "--demo"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"config error: {path} {expected_start}")
    assert err.count("\n") == 1


def test_directory_and_missing_config_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--config", str(tmp_path), "--demo"], capsys)[::2] == (
        2,
        f"config error: {tmp_path}: is a directory, not a config file\n",
    )
    missing = tmp_path / "nope.toml"
    assert run(["--config", str(missing)], capsys)[::2] == (2, f"config error: {missing}: no such file\n")


def test_subprocess_error_has_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[signals]\nlookback = 7\n", encoding="utf-8")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--config", str(path), "--demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"config error: {path} line 2: key 'signals.lookback': expected a duration like \"4h\", got 7\n"
    )


def test_unknown_key_warns_on_stderr_and_carries_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "light"\nflavour = "blue"\n', encoding="utf-8")
    code, out, err = run(["--config", str(path), "--print-config"], capsys)
    assert code == 0 and 'theme = "light"' in out
    assert err == f"config warning: {path} line 2: unknown key 'flavour' (ignored)\n"


def test_watchlist_option_overrides_config_and_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('watchlist = ["BTC"]\n', encoding="utf-8")
    (tmp_path / "config.state.json").write_text('{"added": ["DOGE"], "removed": []}', encoding="utf-8")
    _, with_state, _ = run(["--config", str(path), "--print-config"], capsys)
    assert 'watchlist = ["BTC", "DOGE"]' in with_state
    _, overridden, _ = run(
        ["--config", str(path), "--watchlist", "ethusdt,1000PEPEUSDT", "--print-config"], capsys
    )
    assert 'watchlist = ["ETH", "PEPE"]' in overridden


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--watchlist", "BTC,$$"], "argument --watchlist: '$$' is not a symbol"),
        (["--watchlist", ""], "no symbols given"),
        (["--theme", "neon"], "invalid choice: 'neon'"),
        (["--demo", "--speed", "0"], "greater than 0"),
        (["--demo", "--seed", "-3"], ">= 0"),
        (["--seed", "3"], "--seed and --speed only apply with --demo"),
        (["snapshot", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert err.startswith("perptop") and words in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        # 0 is refused, so "between 0 and 3600" (which reads as allowing it) was the wrong promise
        (
            ["snapshot", "--timeout", "0"],
            "argument --timeout: expected seconds above 0 and at most 3600, got '0'",
        ),
        (["snapshot", "--timeout", "3601"], "expected seconds above 0 and at most 3600, got '3601'"),
        (["record", "--status-every", "0"], "expected seconds above 0 and at most 86400, got '0'"),
        # a closed range still reads "from ... to ..."
        (
            ["replay", "x.csv", "--speed", "0.5"],
            "argument --speed: expected a speed from 1 to 1000, got '0.5'",
        ),
    ],
)
def test_range_errors_say_which_ends_are_allowed(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert words in err and err.count("\n") == 1


@pytest.fixture
def fake_app(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace tui.app with a recorder, so dispatch is tested without starting Textual."""
    calls: list[dict[str, Any]] = []

    class PerptopApp:
        return_code = 0

        def __init__(self, **kwargs: Any) -> None:
            calls.append(kwargs)

        def run(self) -> None:
            calls[-1]["NO_COLOR"] = os.environ.get("NO_COLOR")

        def close_history(self) -> bool:
            history = calls[-1].get("history")
            return history.close() if history is not None else True

    monkeypatch.setitem(sys.modules, "tui.app", types.SimpleNamespace(PerptopApp=PerptopApp))
    # pytest captures stdin and stderr: the fake app needs no terminal, so the check must not refuse it
    monkeypatch.setattr("tui.lifeline.terminal_problem", lambda *args: None)
    return calls


def test_demo_starts_the_app_with_config_seed_and_speed(
    fake_app: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["--demo", "--seed", "7", "--speed", "60", "--watchlist", "sol", "--theme", "light"], capsys
    )
    assert (code, err) == (0, "")
    (call,) = fake_app
    assert (call["mode"], call["seed"], call["speed"]) == ("demo", 7, 60.0)
    config = call["config"]
    assert isinstance(config, AppConfig) and config.watchlist == ("SOL",) and config.theme == "light"


def test_plain_perptop_starts_live_on_the_chosen_venues_and_urls(
    fake_app: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        [
            "--watchlist",
            "btc,1000pepeusdt",
            "--venues",
            "okx,binance",
            "--base-url",
            "okx=http://127.0.0.1:9",
            "--base-url",
            "okx=ws://127.0.0.1:10",
        ],
        capsys,
    )
    assert (code, err) == (0, "")
    (call,) = fake_app
    source = call["source"]
    assert call["mode"] == "live" and source.mode == "live" and source.live
    assert source.venues == ["okx", "binance"] and source.symbols == ["BTC", "PEPE"]
    assert source.urls["okx"] == ({"rest": "http://127.0.0.1:9"}, "ws://127.0.0.1:10")
    assert source.urls["binance"] == (
        {"rest": "https://fapi.binance.com", "spot": "https://api.binance.com"},
        "wss://fstream.binance.com",
    )
    # live bars go to the history store in the user data folder, kept the default 30 days
    history = call["history"]
    assert history.path == Path(os.environ["XDG_DATA_HOME"]) / "perptop" / "history.sqlite3"
    assert history.retention_days == 30 and history.path.exists()


def test_the_demo_and_store_record_false_write_no_history(
    fake_app: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(["--demo", "--watchlist", "btc"], capsys)[0] == 0
    config = tmp_path / "config.toml"
    config.write_text("[store]\nrecord = false\n")
    assert run(["--watchlist", "btc", "--config", str(config)], capsys)[0] == 0
    assert [call["history"] for call in fake_app] == [None, None]


def test_an_unusable_store_is_one_line_and_the_monitor_runs_without_it(
    fake_app: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "not-a-store.sqlite3"
    bad.write_text("these are not the bytes of a database\n" * 100)
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\npath = "{bad}"\n')
    code, _, err = run(["--watchlist", "btc", "--config", str(config)], capsys)
    assert code == 0 and fake_app[0]["history"] is None
    assert err.count("\n") == 1 and f"history store {bad}" in err and "running without it" in err


def test_no_color_picks_monochrome_and_empty_no_color_is_ignored(
    fake_app: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert run(["--demo"], capsys)[0] == 0
    assert fake_app[-1]["config"].theme == "monochrome" and "seed" not in fake_app[-1]
    monkeypatch.setenv("NO_COLOR", "")
    assert run(["--demo"], capsys)[0] == 0
    assert fake_app[-1]["config"].theme == "dark"
    assert fake_app[-1]["NO_COLOR"] is None  # removed so Textual does not grey the screen


def test_snapshot_dispatches_to_the_snapshot_module(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[AppConfig, Any]] = []

    def fake_run(config: AppConfig, args: Any) -> int:
        seen.append((config, args))
        return 0

    monkeypatch.setattr("tui.cli.snapshot.print_snapshot", fake_run)
    code, _, _ = run(["--watchlist", "btc", "snapshot", "--demo", "--json", "--seed", "5"], capsys)
    assert code == 0
    ((config, args),) = seen
    assert config.watchlist == ("BTC",)  # given before the subcommand, still applies
    assert (args.demo, args.json, args.seed, args.mode) == (True, True, 5, "demo")


def test_import_stays_light() -> None:
    code = (
        "import sys, tui.cli; heavy = [m for m in ('textual', 'numpy', 'pandas', 'rich', 'httpx') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )
    assert done.stdout.strip() == "[]", done.stderr
