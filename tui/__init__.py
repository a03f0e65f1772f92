"""The Textual front end and composition root: the app, screens and widgets here; the screen's model, the
config and the command line in ``tui.model``, ``tui.config`` and ``tui.cli``, none of which import Textual."""

__version__ = "0.1.0"
