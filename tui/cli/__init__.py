"""The ``perptop`` command line: parse the arguments, build the config, run the chosen handler.

The parser (``tui.cli.parser``) gives every subcommand a ``handler``; the monitor (``tui.cli.monitor``)
is the default. Every user error (bad arguments, bad config file) is one line on stderr and exit
status 2; ``--help``, ``--version`` and ``--print-config`` import neither Textual, pandas nor numpy.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tui.cli.parser import EXIT_USAGE, build_config, build_parser
from tui.config.loader import ConfigError

EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C: 128 + SIGINT, as a shell reports it."""

__all__ = ["build_config", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``perptop`` with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 0
    # replay and watch have a --speed of their own (replayed time); watch checks its own
    speed = None if args.command in ("replay", "watch") else getattr(args, "speed", None)
    if not args.demo and (args.seed is not None or speed is not None):
        print(
            "perptop: error: --seed and --speed only apply with --demo (see perptop --help)", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        config = build_config(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    for warning in config.warnings:
        print(warning, file=sys.stderr)
    if args.print_config:
        from tui.config.dump import dump_config

        sys.stdout.write(dump_config(config))
        return 0
    try:
        return int(args.handler(config, args))
    except BrokenPipeError:
        # `perptop backtest FILE | head`: the reader had enough, which is not an error; the streams it
        # left go to /dev/null, so the interpreter's last flush of them raises nothing either. A pipe
        # of the command's own (a hook's standard input) is another matter: raised as before.
        from tui.cli.stopping import reader_left, silence

        gone = [s for s in (sys.stdout, sys.stderr) if reader_left(s)]
        if not gone:
            raise
        for stream in gone:
            silence(stream)
        return 0
    except KeyboardInterrupt:
        # Ctrl-C in a command that has no use for it (a long backtest, an import): the shell's own
        # status for it and one line, not the stack of wherever the command was
        print(f"perptop {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if not _query_interrupted(exc):
            raise
        print(f"perptop {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _query_interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is Ctrl-C arriving during a DuckDB query, which DuckDB turns into its own error
    (``RuntimeError: Query interrupted``, or its ``InterruptException``) instead of KeyboardInterrupt.
    Told apart without importing DuckDB, which most commands never load."""
    if type(exc).__name__ == "InterruptException":
        return True
    return isinstance(exc, RuntimeError) and str(exc).strip().lower() == "query interrupted"


if __name__ == "__main__":
    sys.exit(main())
