"""Bar history on disk and back: the SQLite store and its writer thread, the history CSV, the Binance dump
import, replay."""
