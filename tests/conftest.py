"""Test-wide settings: loopback traffic never goes through a proxy the machine may have configured."""

from __future__ import annotations

import os

# The live tests talk to a fake exchange on 127.0.0.1; an HTTP(S)_PROXY set for package downloads would
# otherwise route them through that proxy (httpx and websockets both honour the variables).
_LOOPBACK = "127.0.0.1,localhost"
for _name in ("NO_PROXY", "no_proxy"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name, ""), _LOOPBACK]))
