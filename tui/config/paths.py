"""Where perptop keeps its files: the config file and the watchlist state file beside it.

The config lives in the platform's user config folder (``platformdirs``: ``$XDG_CONFIG_HOME/perptop``
or ``~/.config/perptop`` on Linux, ``~/Library/Application Support/perptop`` on macOS,
``%APPDATA%\\perptop`` on Windows). The app never writes the config file: symbols added or removed in
the app go to a separate state file next to it, so a hand-edited config is never rewritten. The
history store lives in the user data folder (``$XDG_DATA_HOME/perptop`` or ``~/.local/share/perptop``
on Linux).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "perptop"
CONFIG_NAME = "config.toml"
STORE_NAME = "history.sqlite3"
DEMO_STORE_NAME = "demo-history.sqlite3"


def default_config_path() -> Path:
    """The config file used when ``--config`` is not given (it may not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_NAME


def state_path_for(config_path: Path) -> Path:
    """The state file that belongs to ``config_path``: ``<stem>.state.json`` in the same folder.

    Named after the config's stem so two configs in one folder do not share one watchlist state.
    """
    return config_path.with_name(f"{config_path.stem}.state.json")


def default_store_path(demo: bool = False) -> Path:
    """The history store used when ``--store`` is not given (it may not exist).

    The simulated market records into a file of its own: made-up bars must never mix with real ones
    that a restart resumes from or a backtest scores.
    """
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / (
        DEMO_STORE_NAME if demo else STORE_NAME
    )
