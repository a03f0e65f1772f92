"""The layering rules of DESIGN.md, checked by importing each layer in a clean interpreter."""

import importlib.metadata
import subprocess
import sys

import pytest

FORBIDDEN = {
    "signals": ("textual", "httpx", "tui", "feeds"),
    "feeds": ("textual", "tui"),
    # The screen's model, the config and the command line run without Textual until the app starts.
    "tui.model": ("textual",),
    "tui.config": ("textual",),
    "tui.cli": ("textual",),
    "tui.alerts": ("textual",),
    "themes": ("tui", "feeds", "signals"),
}


def _loaded_after_import(package: str) -> set[str]:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted({n.split('.')[0] for n in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upper_ones(package: str) -> None:
    loaded = _loaded_after_import(package)
    leaked = sorted(set(FORBIDDEN[package]) & loaded)
    assert not leaked, f"importing every module of {package} also imported {leaked}"


def test_no_dependency_installs_a_module_named_like_ours() -> None:
    ours = {"tui", "feeds", "signals", "themes"}
    for dist in importlib.metadata.distributions():
        if (dist.metadata["Name"] or "").lower() == "perptop":
            continue
        top = (dist.read_text("top_level.txt") or "").split()
        files = {str(f).split("/")[0] for f in (dist.files or []) if "/" in str(f)}
        clash = ours & (set(top) | files)
        assert not clash, (
            f"{dist.metadata['Name']} installs {sorted(clash)}, which would shadow perptop's packages"
        )
