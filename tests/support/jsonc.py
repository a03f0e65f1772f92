"""Reads the ``.jsonc`` payloads written from the venues' docs: JSON with whole-line ``//`` comments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

VENUE_DOCS = ROOT / "tests" / "fixtures" / "venue_docs"
"""``tests/fixtures/venue_docs/<venue>/``: payloads written from a doc page's field list (named in each header)."""


def load_jsonc(path: Path) -> Any:
    """The JSON in ``path`` once its comment lines (first non-blank characters ``//``) are dropped."""
    lines = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("//")]
    return json.loads("\n".join(lines))
