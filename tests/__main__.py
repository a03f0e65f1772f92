"""``python -m tests``: every check the project keeps and the whole test suite, as CI runs them.

In order: ruff (lint and format), import-linter (the layering contracts in pyproject.toml), then
pytest: the parallel part on two workers, then the tests marked ``serial`` (a tmux server, a
subprocess timed on the wall clock) one at a time, with mypy (strict, all four packages) beside them.
Every step runs even when an earlier one failed, so one run shows everything; the exit status is 1 if
any step failed.

``--fast``: every test collected (so every module imported), no checks and no test run: what CI runs on
each extra Python version.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
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
SERIAL = "pytest (serial)"


def _serial_files() -> list[str]:
    """The test files that mark a test ``serial``: collecting only those (2 s) instead of the whole suite
    again (9 s) is most of what the serial step spends outside its tests."""
    files = (p for p in sorted((ROOT / "tests").rglob("test_*.py")) if "mark.serial" in p.read_text("utf-8"))
    return [str(p.relative_to(ROOT)) for p in files] or ["tests"]


TESTS: list[tuple[str, list[str]]] = [
    ("pytest (parallel)", [PY, "-m", "pytest", "-q", "-n", WORKERS, "-m", "not serial"]),
    (SERIAL, [PY, "-m", "pytest", "-q", "-p", "no:xdist", "-m", "serial", *_serial_files()]),
]
FAST: list[tuple[str, list[str]]] = [
    # Every test module collected, so every perptop module imported, on this interpreter: what differs
    # between Python versions is syntax and import-time behaviour (tomllib/tomli, typing at runtime). The
    # whole unit suite on two more Pythons took 130 s of CI's 300 s budget; it runs on the main one.
    # No cache: CI runs it beside the main suite, which writes the same folder's pytest cache.
    ("pytest (imports)", [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", "tests"]),
]


BESIDE_SERIAL = frozenset({"mypy"})
"""Checks run beside the serial tests rather than before every test: mypy keeps one core busy for about
20 s, and the serial tests, run one at a time, leave the other one free (CI's time is close to its
budget). Their output is shown after the serial tests'."""


def _shown(cmd: list[str]) -> str:
    return " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))


def _run_beside(
    beside: list[tuple[str, list[str]]], name: str, cmd: list[str]
) -> list[tuple[str, int, float]]:
    """Run ``cmd`` (shown as it runs) with the ``beside`` steps in the background (shown after it)."""
    started = time.monotonic()
    done: dict[str, tuple[int, str, float]] = {}

    def run(n: str, c: list[str]) -> None:  # its own time, not the serial step's
        proc = subprocess.run(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        done[n] = (proc.returncode, proc.stdout, time.monotonic() - started)

    threads = [threading.Thread(target=run, args=step) for step in beside]
    for thread in threads:
        thread.start()
    print(f"== {name}: {_shown(cmd)}  (with {', '.join(n for n, _ in beside)} beside it)", flush=True)
    code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    results = [(name, code, time.monotonic() - started)]
    for thread, (n, c) in zip(threads, beside, strict=True):
        thread.join()
        n_code, out, took = done[n]
        print(f"== {n}: {_shown(c)}\n{out}", end="" if out.endswith("\n") else "\n", flush=True)
        results.append((n, n_code, took))
    return results


def main(argv: list[str] | None = None) -> int:
    """Run the steps; returns 0 when every one passed."""
    parser = argparse.ArgumentParser(prog="python -m tests", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fast", action="store_true", help="collect every test (import every module), run none"
    )
    args = parser.parse_args(argv)
    steps = FAST if args.fast else [*CHECKS, *TESTS]
    results: list[tuple[str, int, float]] = []
    beside = [(n, c) for n, c in steps if n in BESIDE_SERIAL and any(s == SERIAL for s, _ in steps)]
    for name, cmd in steps:
        if (name, cmd) in beside:
            continue
        if name == SERIAL and beside:  # the single-threaded checks on the core the serial tests leave
            results += _run_beside(beside, name, cmd)
            continue
        print(f"== {name}: {_shown(cmd)}", flush=True)
        started = time.monotonic()
        code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
        results.append((name, code, time.monotonic() - started))
    print("\n== summary (Python " + sys.version.split()[0] + ")")
    for name, code, took in results:
        print(f"  {'ok  ' if code == 0 else 'FAIL'}  {name:<18} {took:6.1f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
