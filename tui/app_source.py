"""How the app starts its source: at once, or after a first frame while a worker builds what it starts with.

``SourceStart`` is the part of ``PerptopApp`` that attaches the source to the bar store. A source that
starts with history it must build (the simulated market's week: 0.5 s at 50 symbols, 2 s at 200) says so
(``Source.prepared`` False); the app then draws its first frame with every row marked loading and builds
the week on a worker thread, so the screen is there in half a second whatever the watchlist's length.
Then the stored bars are resumed, or the feed starts.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from feeds.history.writer import HistoryWriter
from feeds.source import Source
from tui.app_alerts import AppAlerts
from tui.app_history import AppHistory
from tui.memory import give_back
from tui.model.bars import BarStore
from tui.model.view import WatchView

TRIM_AFTER_S = 3.0
"""When the memory a start freed is handed back (``tui.memory``): after the paints that follow it,
whose first evaluation of every window frees its own temporaries (a trim at once left 12 MB of them at
50 symbols, 30 MB at 200)."""
FIRST_FRAME_S = 0.1
"""How long the first frame is given to reach the terminal before the week's generation starts."""


class SourceStart(App[None]):
    """Starting the source (a base of ``PerptopApp``, which provides the attributes below)."""

    source: Source
    store: BarStore
    view: WatchView
    alerts: AppAlerts
    stored: AppHistory
    history: HistoryWriter | None
    paint: Callable[..., None]

    def start_source(self) -> None:
        """Attach the source now if that is quick; else mark the rows loading and attach it in steps, its
        slow part on a worker thread."""
        if self.source.prepared:
            self.source.attach(self.store)
            self._attached()
            return
        self.view.loading = True
        # After the first frame is on the terminal: the worker's generation holds the GIL for long
        # stretches, and while it runs each of the event loop's and the writer thread's waits costs a
        # switch interval; started at once it delayed that frame by up to 2.5 s (0.4-2.9 s measured).
        self.call_after_refresh(lambda: self.set_timer(FIRST_FRAME_S, self._start_attach_worker))

    def _start_attach_worker(self) -> None:
        self.run_worker(self._attach_in_steps, thread=True, exit_on_error=False, name="attach")

    def _attached(self) -> None:
        """The source is attached: resume the stored bars, or take the flag records and start the feed."""
        if self.history is not None:
            self.stored.start()  # the feed starts once the stored bars are in
        else:
            self.alerts.service.warm(self.store)  # the flag records of the history the source brought
            if self.source.live:
                self.start_feed()

    def _attach_in_steps(self) -> None:
        """Worker thread: the source's slow steps here, each step's store work on the event loop."""
        try:
            steps = self.source.attach_steps(self.store)
            # not a for loop: its variable would hold the last step (and its group of the week) while
            # the next group is generated
            while (step := next(steps, None)) is not None:
                self.call_from_thread(step)
                step = None
        except Exception as exc:  # said on screen: the rows would otherwise say loading for ever
            self.call_from_thread(self._source_failed, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._source_attached)

    def _source_attached(self) -> None:
        self.view.loading = False
        self._attached()
        self.view.invalidate()
        self.paint(force=True)
        # the week's temporaries, and those of the first evaluation of every window, once they are done
        self.set_timer(TRIM_AFTER_S, give_back)

    def _source_failed(self, why: str) -> None:
        self.notify(f"the source could not start: {why}", title="no data", severity="error", timeout=60)

    def start_feed(self) -> None:
        """Run the source's feed loop in a worker of its own group."""
        if self.source.live:
            self.run_worker(self.source.run(), group=self.source.group, exit_on_error=False, name="feed")

    def _resumed(self, loaded: int, at_start: bool) -> None:
        """Stored bars are in (``loaded`` of them): at start the feed starts now, fetching what they lack."""
        if at_start:
            if loaded:
                self.source.resumed()
            self.start_feed()
        if loaded:
            self.view.invalidate()
            self.alerts.service.warm(self.store)
            self.set_timer(TRIM_AFTER_S, give_back)  # the stored bars' temporaries
        self.paint(force=True)
