"""Imported first by the backtest's fork server, and only there: Ctrl-C ignored from then on.

The terminal sends Ctrl-C to the whole process group, fork server and workers included, and only
perptop itself may answer it (one line). The fork server ignores it once its set-up is done, but a
worker it forks gets back the handler the server started with, Python's KeyboardInterrupt, until the
pool's initializer runs: a worker forked at the moment of Ctrl-C printed its own traceback. With this
module loaded first, the server starts out ignoring it and so does every worker from its first
instruction (and the server's own imports of the scoring modules are not interrupted either).
Importing it anywhere else would make that process deaf to Ctrl-C: ``backtest_parallel`` names it
only in the fork server's preload list.
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
