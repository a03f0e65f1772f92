"""Venue I/O: the simulated market, venue clients and parsers; produces normalised messages.

This package never imports textual or tui (checked by tests/test_layering.py).
"""
