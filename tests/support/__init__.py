"""What the tests share: paths to ../shared, the demo app, the live and signal helpers, a 3.10-safe timeout."""
