"""The Textual front end and composition root: CLI, config, store, app, screens and widgets."""

__version__ = "0.1.0"
