"""Test-wide settings: loopback traffic never goes through a proxy the machine may have configured."""

from __future__ import annotations

import os

# The live tests talk to a fake exchange on 127.0.0.1; an HTTP(S)_PROXY set for package downloads would
# otherwise route them through that proxy (httpx and websockets both honour the variables).
_LOOPBACK = "127.0.0.1,localhost"
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name, ""), _LOOPBACK]))


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes a history store into the user's real data folder (platformdirs reads XDG_DATA_HOME)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))
