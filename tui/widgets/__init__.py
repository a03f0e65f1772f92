"""Widgets of the main screen: watchlist, funding heatmap, status bar, banner, sparkline helper."""
