"""What the screen shows, without Textual: the in-memory bar store, the watchlist rows, recording and hit
rates."""
