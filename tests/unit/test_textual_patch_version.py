"""The Textual version check of ``tui.textual_patch``, read without ``importlib.metadata``."""

from __future__ import annotations

from pathlib import Path

import textual

from tui.textual_patch import _textual_version


def test_the_version_read_from_the_install_is_textuals_own() -> None:
    assert _textual_version(textual.__file__) == textual.__version__


def test_without_a_distribution_folder_it_asks_textual(tmp_path: Path) -> None:
    package = tmp_path / "textual"
    package.mkdir()
    (package / "__init__.py").write_text("")
    assert _textual_version(str(package / "__init__.py")) == textual.__version__
