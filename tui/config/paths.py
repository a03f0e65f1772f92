"""Where perptop keeps its files: the config file and the watchlist state file beside it.

The config lives in the platform's user config folder (``platformdirs``: ``$XDG_CONFIG_HOME/perptop``
or ``~/.config/perptop`` on Linux, ``~/Library/Application Support/perptop`` on macOS,
``%APPDATA%\\perptop`` on Windows). The app never writes the config file: symbols added or removed in
the app go to a separate state file next to it, so a hand-edited config is never rewritten. The
history store lives in the user data folder (``$XDG_DATA_HOME/perptop`` or ``~/.local/share/perptop``
on Linux).

``expand_path`` is how every path the user writes (``[store] path``, an alert ``log`` sink, ``--store``,
``--config``, ...) is read: ``~`` and ``$VAR`` / ``${VAR}`` are expanded, and a variable that is not
set is an error rather than a folder literally named ``$NOPE``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "perptop"
CONFIG_NAME = "config.toml"
STORE_NAME = "history.sqlite3"
DEMO_STORE_NAME = "demo-history.sqlite3"

# The variables os.path.expandvars replaces on POSIX: $NAME (letters, digits, _) and ${ANYTHING}.
_VARIABLE = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)


class BadPath(ValueError):
    """A path that cannot be expanded; the message says why in a few words (``$NOPE is not set``)."""


def expand_path(text: str, env: Mapping[str, str] | None = None) -> Path:
    """``text`` as a path with ``$VAR``/``${VAR}`` and then ``~`` expanded (``os.path.expandvars`` rules).

    Args:
        text: the path as the user wrote it.
        env: the environment (default ``os.environ``).

    Raises:
        BadPath: a variable it names is not set (``expandvars`` would keep ``$NOPE`` as written and the
            store would land in a folder named ``$NOPE``, which nobody means; a set but empty variable
            expands to nothing, as in the shell), or ``~user`` names no user (pathlib's RuntimeError).
    """
    environ = os.environ if env is None else env

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        name = name[1:-1] if name.startswith("{") else name
        if name not in environ:
            raise BadPath(f"{match.group(0)} is not set")
        return environ[name]

    path = Path(_VARIABLE.sub(value, text))
    try:
        return path.expanduser()
    except RuntimeError:
        raise BadPath(f"cannot find the home folder of {path.parts[0]}") from None


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
