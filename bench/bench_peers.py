"""perptop beside btop and htop, in the same run: issue 15's table, measured as it asks.

Each round runs every variant once, one after another, in a detached tmux pane of the same size (the
harness of ``bench_tmux.py``): after its first full frame and a warm-up, CPU % of one core, terminal output
in bytes/s and RSS (with its peak) over the window. The rounds interleave the variants, so a machine that
gets busier halfway slows all of them alike; each perptop figure is also divided by btop's of the same
round, and that ratio is what the issue's targets are on (CPU at most btop's at 50 symbols, at most 1.3 x
at 200). It is a script, not a test: it prints figures for a person.

Usage:
    python bench/bench_peers.py [--rounds 4] [--seconds 60] [--warmup 10] [--size 200x50]
        [--symbols 50,200] [--no-htop] [--floor]

btop and htop come from the system's packages (Debian: ``apt-get install btop htop``); a peer that is not
installed is left out with a note. btop runs with its defaults (its config lives in a folder of this run,
so a user's own settings do not leak in), htop as ``htop -d 10`` (a one-second refresh, as btop's default
two seconds is closer to than htop's own 1.5 s).

``--floor`` adds ``bench/floor_app.py`` three times, a Textual app that only writes numbers into the
screen at perptop's paint interval (one clock line; a screenful of lines; the same in colour): what any
app on this stack pays, against which perptop's figures and btop's can be read.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench_tmux import (
    PaneRun,
    compile_checkout,
    measure_pane,
    perptop_command,
    perptop_figures,
    perptop_ready,
    watchlist,
)


@dataclass
class Variant:
    """One program to measure: its label, the shell command and when its first frame is there."""

    label: str
    shell_cmd: str
    ready: Callable[[str], bool]
    figures: Callable[[str], bool] | None = None  # perptop: its figures come after a loading frame
    runs: list[PaneRun] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # CPU over btop's of the same round


def _filled(rows: int) -> Callable[[str], bool]:
    """A peer's first frame: most of the pane's lines drawn."""
    return lambda screen: sum(1 for line in screen.splitlines() if line.strip()) >= rows * 0.8


def _floor_ready(rows: int) -> Callable[[str], bool]:
    """The floor app's first frame: its clock, or most of its lines of numbers."""
    if rows == 0:
        return lambda screen: ":" in screen
    return lambda screen: sum(1 for line in screen.splitlines() if "." in line) >= rows * 0.8


def _variants(args: argparse.Namespace, work: Path) -> list[Variant]:
    rows = int(args.size.split("x")[1])
    out: list[Variant] = []
    for n in (int(x) for x in args.symbols.split(",")):
        folder = work / f"perptop-{n}"
        folder.mkdir()
        symbols = watchlist(n)
        _, shell_cmd = perptop_command(symbols, ["--demo"], "", folder)
        ready = perptop_ready(symbols, live=False)
        out.append(Variant(f"perptop --demo, {n} symbols", shell_cmd, ready, perptop_figures))
    if args.floor:
        # The stack's floor (bench/floor_app.py): the same Python, Textual and pane, none of perptop.
        app = shlex.quote(str(Path(__file__).with_name("floor_app.py")))
        py = shlex.quote(sys.executable)
        n = rows - 2  # the watchlist's rows under the banner and the status line
        floors = (
            ("Textual floor, one clock line", 0, ""),
            (f"Textual floor, {n} lines", n, ""),
            (f"Textual floor, {n} coloured lines", n, " --colours"),
        )
        for label, lines, more in floors:
            cmd = (
                f"TERM=xterm-256color COLORTERM=truecolor exec {py} {app} --rows {lines} "
                f"--interval {args.floor_interval:g}{more}"
            )
            out.append(Variant(label, cmd, _floor_ready(lines)))
    if shutil.which("btop"):
        home = work / "btop-home"
        home.mkdir()
        env = f"HOME={shlex.quote(str(home))} XDG_CONFIG_HOME={shlex.quote(str(home / '.config'))} "
        out.append(Variant("btop (defaults)", env + "TERM=xterm-256color exec btop", _filled(rows)))
    else:
        print("note: btop is not installed; no ratio can be given", file=sys.stderr)
    if shutil.which("htop") and not args.no_htop:
        home = work / "htop-home"
        home.mkdir()
        env = f"HOME={shlex.quote(str(home))} XDG_CONFIG_HOME={shlex.quote(str(home / '.config'))} "
        out.append(Variant("htop -d 10", env + "TERM=xterm-256color exec htop -d 10", _filled(rows)))
    return out


def _mmm(values: list[float], fmt: str) -> str:
    if not values:
        return "—"
    return " / ".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=60.0, help="measuring window of each run")
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds after the first frame before it")
    ap.add_argument("--size", default="200x50", help="terminal columns x rows")
    ap.add_argument("--symbols", default="50,200", help="perptop watchlist sizes, comma-separated")
    ap.add_argument("--no-htop", action="store_true", help="leave htop out (a shorter round)")
    ap.add_argument(
        "--floor", action="store_true", help="also the stack's floor: bench/floor_app.py, a bare Textual app"
    )
    ap.add_argument("--floor-interval", type=float, default=2.0, help="its update interval (perptop's paint)")
    args = ap.parse_args()
    if not shutil.which("tmux"):
        print("tmux is not installed", file=sys.stderr)
        return 2
    compile_checkout()
    work = Path(tempfile.mkdtemp(prefix="perptop-peers-"))
    variants = _variants(args, work)
    btop = next((v for v in variants if v.label.startswith("btop")), None)
    for r in range(args.rounds):
        for v in variants:
            run = measure_pane(v.shell_cmd, v.ready, args.size, args.warmup, args.seconds, v.figures)
            if run is None:
                print(f"{v.label}: no first frame in round {r + 1}", file=sys.stderr)
                return 1
            v.runs.append(run)
            print(
                f"round {r + 1} {v.label}: cpu {run.cpu_pct:.2f} %, {run.bytes_per_s:.0f} B/s, "
                f"rss {run.rss_mb:.1f} MB (peak {run.peak_mb:.1f}), first frame {run.first_frame:.2f} s, "
                f"figures in {run.figures_in:.2f} s",
                flush=True,
            )
        if btop is not None and btop.runs[-1].cpu_pct > 0:
            for v in variants:
                v.ratios.append(v.runs[-1].cpu_pct / btop.runs[-1].cpu_pct)
    print(
        f"\n{args.size}, {args.seconds:g} s after {args.warmup:g} s warm-up, {args.rounds} rounds, "
        "min / median / max:\n"
    )
    print(
        "| | CPU % of a core | CPU / btop's (same round) | bytes/s | RSS MB | peak MB | first frame s "
        "| figures in s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for v in variants:
        print(
            f"| {v.label} | {_mmm([x.cpu_pct for x in v.runs], '.2f')} | {_mmm(v.ratios, '.2f')} | "
            f"{_mmm([x.bytes_per_s for x in v.runs], '.0f')} | {_mmm([x.rss_mb for x in v.runs], '.1f')} | "
            f"{_mmm([x.peak_mb for x in v.runs], '.1f')} | {_mmm([x.first_frame for x in v.runs], '.2f')} | "
            f"{_mmm([x.figures_in for x in v.runs], '.2f')} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
