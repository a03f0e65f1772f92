"""``perptop backtest --json``: indented for a person at a terminal, one compact line for a pipe or file
(the same document either way)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tests.unit.test_backtest_cmd import parse, squeeze_file
from tui.cli.backtest_report import run_backtest
from tui.config.loader import AppConfig


class Terminal(io.StringIO):
    """A text stream that says it is a terminal, as stdout is in an interactive shell."""

    def isatty(self) -> bool:
        return True


def test_json_is_one_compact_line_when_piped_and_indented_at_a_terminal(tmp_path: Path) -> None:
    args = parse(str(squeeze_file(tmp_path)), "--horizons", "1h", "--json")
    piped, shown = io.StringIO(), Terminal()
    assert run_backtest(AppConfig(), args, out=piped, err=io.StringIO()) == 0
    assert run_backtest(AppConfig(), args, out=shown, err=io.StringIO()) == 0
    line = piped.getvalue()
    assert line.endswith("}\n") and line.count("\n") == 1  # one line: what a pipe or a file gets
    assert line == json.dumps(json.loads(line), separators=(",", ":")) + "\n"  # no space after , or :
    assert shown.getvalue().startswith('{\n "')  # one space of indent per level at a terminal
    assert json.loads(line) == json.loads(shown.getvalue())
