"""``python -m tui.cli``: the ``perptop`` command, as the console script runs it."""

import sys

from tui.cli import main

sys.exit(main())
