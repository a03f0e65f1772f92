"""Screens pushed over the main watchlist: help, prompts, drill-down."""
