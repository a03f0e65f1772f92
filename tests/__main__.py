"""``python -m tests``: every check the project keeps, then the whole test suite, as CI runs them.

In order: ruff (lint and format), mypy (strict, all four packages), import-linter (the layering
contracts in pyproject.toml), then pytest: the parallel part on two workers, then the tests marked
``serial`` (a tmux server, a subprocess timed on the wall clock) on their own. Every step runs even
when an earlier one failed, so one run shows everything; the exit status is 1 if any step failed.

``--fast``: every test collected (so every module imported), no checks and no test run: what CI runs on
each extra Python version.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BIN = Path(PY).parent


def _tool(name: str) -> str:
    """A console script of this interpreter's environment (ruff, mypy, lint-imports)."""
    path = BIN / name
    return str(path) if path.exists() else name


CHECKS: list[tuple[str, list[str]]] = [
    ("ruff check", [_tool("ruff"), "check", "."]),
    ("ruff format", [_tool("ruff"), "format", "--check", "."]),
    ("mypy", [_tool("mypy")]),
    ("lint-imports", [_tool("lint-imports")]),
]
WORKERS = os.environ.get("PERPTOP_TEST_WORKERS", "2")
TESTS: list[tuple[str, list[str]]] = [
    ("pytest (parallel)", [PY, "-m", "pytest", "-q", "-n", WORKERS, "-m", "not serial"]),
    ("pytest (serial)", [PY, "-m", "pytest", "-q", "-p", "no:xdist", "-m", "serial"]),
]
FAST: list[tuple[str, list[str]]] = [
    # Every test module collected, so every perptop module imported, on this interpreter: what differs
    # between Python versions is syntax and import-time behaviour (tomllib/tomli, typing at runtime). The
    # whole unit suite on two more Pythons took 130 s of CI's 300 s budget; it runs on the main one.
    # No cache: CI runs it beside the main suite, which writes the same folder's pytest cache.
    ("pytest (imports)", [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "tests"]),
]


def main(argv: list[str] | None = None) -> int:
    """Run the steps; returns 0 when every one passed."""
    parser = argparse.ArgumentParser(prog="python -m tests", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fast", action="store_true", help="collect every test (import every module), run none"
    )
    args = parser.parse_args(argv)
    steps = FAST if args.fast else [*CHECKS, *TESTS]
    results: list[tuple[str, int, float]] = []
    for name, cmd in steps:
        print(f"== {name}: {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}", flush=True)
        started = time.monotonic()
        code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
        results.append((name, code, time.monotonic() - started))
    print("\n== summary (Python " + sys.version.split()[0] + ")")
    for name, code, took in results:
        print(f"  {'ok  ' if code == 0 else 'FAIL'}  {name:<18} {took:6.1f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
