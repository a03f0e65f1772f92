"""The live market: one feed per venue (polls, liquidation stream, backfill) assembling bars, and the live
source."""
