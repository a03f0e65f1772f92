"""Talking to a venue's REST API within its limits: the client wrapper, rate-limit budgets, request plans,
fault types."""
