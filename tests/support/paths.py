"""Where the tests find the repository and the shared reference material beside it (never copied in)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root (where pyproject.toml is)."""
SHARED = ROOT.parent / "shared"
"""``../shared``: the venues' recorded payloads and real market history."""
SAMPLES = SHARED / "samples"
DATA = SHARED / "data"
