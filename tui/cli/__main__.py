"""``python -m tui.cli``: the ``perptop`` command, as the console script runs it."""

import sys

from tui.cli import main

if __name__ == "__main__":
    sys.exit(main())
