"""Where perptop keeps its files: the config file and the watchlist state file beside it.

The config lives in the platform's user config folder (``platformdirs``: ``$XDG_CONFIG_HOME/perptop``
or ``~/.config/perptop`` on Linux, ``~/Library/Application Support/perptop`` on macOS,
``%APPDATA%\\perptop`` on Windows). The app never writes the config file: symbols added or removed in
the app go to a separate state file next to it, so a hand-edited config is never rewritten.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "perptop"
CONFIG_NAME = "config.toml"


def default_config_path() -> Path:
    """The config file used when ``--config`` is not given (it may not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_NAME


def state_path_for(config_path: Path) -> Path:
    """The state file that belongs to ``config_path``: ``<stem>.state.json`` in the same folder.

    Named after the config's stem so two configs in one folder do not share one watchlist state.
    """
    return config_path.with_name(f"{config_path.stem}.state.json")
