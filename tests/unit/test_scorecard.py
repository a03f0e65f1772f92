"""``perptop backtest FILE --report SCORECARD.html|.md``: the shareable scorecard.

What a user would notice: the page names every flag's verdict, the symbols (escaped), the "71.4 %" claim
sentence and draws its plots as inline SVG that fetch nothing; the Markdown has tables and text charts;
a wrong name (suffix, folder) is one line and exit 2 before any work, with no file left; the same input
gives the same file apart from the line saying when it was made.
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.paths import DATA
from tui.cli.backtest import add_parser
from tui.cli.backtest_scorecard import run_scorecard
from tui.config.loader import AppConfig

T0 = 1_735_689_600_000
H = 3_600_000


def squeeze_file(tmp_path: Path, symbols: tuple[str, ...] = ("BTCUSDT", "<b>")) -> Path:
    """200 hourly bars per symbol (as in test_backtest_cmd): price falls 1 % a bar, except the bar after each
    short_squeeze_risk event (ls < 1 with negative funding, every 10th bar from bar 5), where it rises 3 %.

    At 1h, per symbol: 20 events, all hits, against a baseline of 20 / 199: short_squeeze_risk beats it.
    """
    lines = ["time,price,funding,ls_ratio,symbol"]
    for sym in symbols:
        price = 100.0
        for i in range(200):
            ls = 0.5 if i % 10 == 5 else 1.5
            lines.append(f"{T0 + i * H},{price!r},-0.0001,{ls},{sym}")
            price *= 1.03 if i % 10 == 5 else 0.99
    path = tmp_path / "squeeze.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def scorecard(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["backtest", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = run_scorecard(AppConfig(), args, out=out, err=err, argv=["perptop", "backtest", *argv])
    return code, out.getvalue(), err.getvalue()


def without_made_line(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not re.search(r"made \d{4}-\d\d-\d\d ", line))


def test_html_has_verdicts_symbols_claim_and_inline_plots_and_fetches_nothing(tmp_path: Path) -> None:
    target = tmp_path / "card.html"
    code, out, err = scorecard(str(squeeze_file(tmp_path)), "--horizons", "1h", "--report", str(target))
    assert code == 0
    assert "short_squeeze_risk" in out and "beats its baseline" in out  # the plain backtest's table, as ever
    size_kb = max(1, round(target.stat().st_size / 1024))
    assert err.splitlines()[-1] == f"wrote {target} ({size_kb} KB)"
    page = target.read_text()
    # 40 of 40 hits (events 10 bars apart, all counted at 1h) against 40 / 398: beats; the others none
    row = next(r for r in page.split("<tr>") if r.startswith("<td>short_squeeze_risk"))
    assert '<span class="v v-beats">beats</span>' in row and "100.0 %" in row and "10.1 %" in row
    assert "no events" in page  # long_squeeze_risk: ls never above 2
    assert "weak_rally: needs oi, not in the file" in page
    # the symbols, with the one that looks like a tag escaped, never raw
    assert "2: BTCUSDT, &lt;b&gt;" in page and "<b>" not in page
    assert "claimed 71.4 %; measured " in page
    # one chart for the horizon, one by regime and one by quarter for the one flag with events, one
    # calibration: four, each an inline <svg>, none referring to anything outside the page
    assert page.count("<svg") == 4
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only the plots' own clip paths: url(#id)
    assert not list(tmp_path.glob(".card.html.*"))  # no temporary file left beside it


def test_markdown_has_tables_and_text_charts_in_code_blocks(tmp_path: Path) -> None:
    target = tmp_path / "card.md"
    code, _, err = scorecard(str(squeeze_file(tmp_path)), "--horizons", "1h,4h", "--report", str(target))
    assert code == 0 and err.splitlines()[-1].startswith(f"wrote {target} (")
    text = target.read_text()
    assert "| flag | events | hit rate (95 % interval) |" in text
    assert re.search(r"^\| short\\_squeeze\\_risk \| 40 \| 100\.0 % .*\| beats \|$", text, re.M)
    assert "| symbols | 2: BTCUSDT, \\<b\\> |" in text  # escaped: not taken for a tag
    # two horizon charts, the regime and quarter charts of short_squeeze_risk, two calibrations
    assert text.count("```") == 2 * 6
    assert "hit rate (o), 95% interval (|), baseline (x)" in text
    assert "\x1b[" not in text  # uncoloured
    assert "claimed 71.4 %; measured " in text


@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_the_same_input_gives_the_same_file_apart_from_when_it_was_made(tmp_path: Path, suffix: str) -> None:
    data = squeeze_file(tmp_path)
    target = tmp_path / f"card{suffix}"
    assert scorecard(str(data), "--horizons", "1h", "--report", str(target))[0] == 0
    first = target.read_text()
    assert scorecard(str(data), "--horizons", "1h", "--report", str(target))[0] == 0
    second = target.read_text()
    assert without_made_line(first) == without_made_line(second)
    assert len(without_made_line(first).splitlines()) == len(first.splitlines()) - 1  # only that one line


def test_a_report_name_other_than_html_or_md_is_refused_before_any_work(tmp_path: Path) -> None:
    target = tmp_path / "card.txt"
    code, out, err = scorecard(str(squeeze_file(tmp_path)), "--report", str(target))
    assert (code, out) == (2, "")  # no table printed: the name is checked first
    assert err == f"perptop backtest: error: --report {target}: name a .html or .md file (got '.txt')\n"
    assert not target.exists()


def test_a_missing_folder_is_one_line_and_no_file(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "card.md"
    code, out, err = scorecard(str(squeeze_file(tmp_path)), "--report", str(target))
    assert (code, out) == (2, "")
    assert err == f"perptop backtest: error: could not write {target}: there is no folder {target.parent}\n"
    assert not target.parent.exists()


def test_a_read_only_folder_is_one_line_exit_2_and_nothing_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = squeeze_file(tmp_path)
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "card.md"
    if os.geteuid() == 0:
        # root writes any folder: make the temporary file fail as the kernel fails it for anyone else
        def refused(*_: object, **__: object) -> tuple[int, str]:
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", refused)
    folder.chmod(0o555)
    try:
        code, _, err = scorecard(str(data), "--horizons", "1h", "--report", str(target))
    finally:
        folder.chmod(0o755)
    assert code == 2
    assert err.endswith(
        f"perptop backtest: error: could not write {target}: Permission denied; no file was left\n"
    )
    assert os.listdir(folder) == []


def test_html_without_matplotlib_names_the_extra_and_the_md_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    target = tmp_path / "card.html"
    code, out, err = scorecard(str(squeeze_file(tmp_path)), "--report", str(target))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1
    assert "pip install 'perptop[report]'" in err and "a .md report needs nothing more" in err
    assert not target.exists()
    # the Markdown report still works without it
    assert (
        scorecard(str(squeeze_file(tmp_path)), "--horizons", "1h", "--report", str(tmp_path / "c.md"))[0] == 0
    )


REAL = DATA / "binance-btc-1h-funding-ggcmk"


def test_real_binance_btc_scorecard(tmp_path: Path) -> None:
    klines, funding = REAL / "BTCUSDT-1h-futures.csv", REAL / "BTCUSDT-funding.csv"
    if not klines.exists():
        pytest.skip(f"real data not found at {REAL} (../shared is absent)")
    # funding as known at each bar's close, as test_backtest_cmd builds it
    settled = [tuple(r.split(",")) for r in funding.read_text().splitlines()[1:]]
    lines, k = ["time,price,funding,funding_interval_h,futures_volume_usd"], -1
    for row in klines.read_text().splitlines()[1:]:
        f = row.split(",")
        while k + 1 < len(settled) and int(settled[k + 1][0]) <= int(f[0]) + H:
            k += 1
        lines.append(f"{f[0]},{f[4]},{settled[k][2]},{settled[k][1]},{f[7]}")
    data = tmp_path / "btc.csv"
    data.write_text("\n".join(lines) + "\n")
    target = tmp_path / "btc.html"
    code, _, err = scorecard(str(data), "--report", str(target))
    assert code == 0 and err.splitlines()[-1].startswith(f"wrote {target} (")
    page = target.read_text()
    assert "<th>rows</th><td>13,848</td>" in page
    assert "one series (no symbol column)" in page
    # candles and funding only: the OI and long/short flags are named unscorable, with the column
    assert "weak_rally: needs oi, not in the file" in page
    assert "ls_ratio (leaves short_squeeze_risk, long_squeeze_risk, top_trader_divergence unscorable)" in page
    assert "claimed 71.4 %; measured " in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
