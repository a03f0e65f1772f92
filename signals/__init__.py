"""Pure signal computation: bar series in, positioning flags with reasons and scores out.

This package imports neither textual, httpx, tui nor feeds (checked by tests/test_layering.py).
"""
