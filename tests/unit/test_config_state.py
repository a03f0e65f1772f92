"""The a/d state file: kept beside the config, written atomically, never fatal when corrupt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tui.config.paths import state_path_for
from tui.config.state import (
    UiState,
    WatchState,
    add_symbol,
    effective_watchlist,
    load_state,
    remove_symbol,
    save_state,
)

CONFIG = ("BTC", "ETH", "SOL")


def test_state_file_sits_beside_its_config() -> None:
    assert state_path_for(Path("/home/u/.config/perptop/config.toml")) == Path(
        "/home/u/.config/perptop/config.state.json"
    )
    assert state_path_for(Path("/tmp/work.toml")) == Path("/tmp/work.state.json")


def test_add_and_remove_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.state.json"  # the folder may not exist yet (no config file)
    state = add_symbol(WatchState(), CONFIG, "DOGE")
    state = remove_symbol(state, CONFIG, "ETH")
    save_state(path, state)
    loaded = load_state(path)
    assert loaded == WatchState(added=("DOGE",), removed=("ETH",)) and loaded.warning is None
    assert effective_watchlist(CONFIG, loaded) == ("BTC", "SOL", "DOGE")
    assert [p.name for p in path.parent.iterdir()] == ["config.state.json"]  # no temp file left behind


def test_re_adding_a_removed_config_symbol_restores_it_in_place() -> None:
    state = remove_symbol(WatchState(), CONFIG, "ETH")
    state = add_symbol(state, CONFIG, "ETH")
    assert state == WatchState()
    assert effective_watchlist(CONFIG, state) == CONFIG


def test_removing_an_added_symbol_forgets_it() -> None:
    state = remove_symbol(add_symbol(WatchState(), CONFIG, "XRP"), CONFIG, "XRP")
    assert state == WatchState()


def test_save_replaces_the_file_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.state.json"
    save_state(path, WatchState(added=("DOGE",)))

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        save_state(path, WatchState(added=("XRP",)))
    assert load_state(path) == WatchState(added=("DOGE",))  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["config.state.json"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "line 1: not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"added": "BTC"}', "'added' is not a list"),
        (b"\xff\xfe", "cannot read"),
    ],
)
def test_corrupt_state_is_ignored_with_a_warning(tmp_path: Path, content: str | bytes, words: str) -> None:
    path = tmp_path / "config.state.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    state = load_state(path)
    assert state == WatchState()
    assert state.warning is not None and words in state.warning and str(path) in state.warning


def test_bad_symbols_in_state_are_dropped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "config.state.json"
    path.write_text(json.dumps({"added": ["dogeusdt", "B$D", 7], "removed": ["eth"]}), encoding="utf-8")
    state = load_state(path)
    assert state == WatchState(added=("DOGE",), removed=("ETH",))
    assert state.warning is not None and '"B$D"' in state.warning and "7" in state.warning


def test_absent_state_is_empty_without_warning(tmp_path: Path) -> None:
    state = load_state(tmp_path / "none.state.json")
    assert state == WatchState() and state.warning is None


def test_the_screen_state_survives_a_restart_and_an_add(tmp_path: Path) -> None:
    path = tmp_path / "config.state.json"
    ui = UiState(
        theme="light",
        sort="24h",
        reverse=True,
        heatmap="hidden",
        columns=("symbol", "flags"),
        expanded=("BTC",),
        filter="e",
        flagged=True,
    )
    save_state(path, add_symbol(WatchState(ui=ui), CONFIG, "DOGE"))
    loaded = load_state(path)
    assert loaded.ui == ui and loaded.added == ("DOGE",)
    assert json.loads(path.read_text())["ui"]["heatmap"] == "hidden"


def test_a_bad_ui_value_is_dropped_on_its_own(tmp_path: Path) -> None:
    path = tmp_path / "config.state.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "added": ["DOGE"],
                "ui": {
                    "theme": 7,
                    "heatmap": "sideways",
                    "columns": "flags",
                    "filter": "x" * 500,
                    "sort": "OI",
                    "flagged": "yes",
                },
            }
        )
    )
    loaded = load_state(path)
    assert loaded.added == ("DOGE",) and loaded.warning is None
    assert loaded.ui == UiState(sort="OI")
