"""Normalised records that the venue parsers produce from REST and WebSocket payloads.

Every parser turns one payload into these types, so venue quirks stop at ``feeds/``:
prices are per ONE base coin (a ``1000PEPEUSDT`` or ``kPEPE`` price is divided by its multiplier),
sizes and open interest are in base coin, rates and changes are fractions, times are epoch ms, and a
value the payload does not carry is ``nan`` (never 0). A liquidation's ``side`` is the side of the
position that was liquidated, whatever the venue calls its field.

A parser never raises on one bad item: it returns ``Parsed(records, skipped)``, where ``skipped`` holds
one line per item it had to leave out, naming the venue, the endpoint and what was wrong. A payload that
is not the expected shape at all raises ``PayloadError`` with such a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

NAN = float("nan")

T = TypeVar("T")


class PayloadError(ValueError):
    """A payload that is not the shape its endpoint sends; ``str()`` is one line naming venue and endpoint."""


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """What a parser made of a payload: the records, and one line per item it skipped."""

    records: list[T]
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Ticker:
    """One venue's view of one perpetual at one moment, from a batch (all-symbols) endpoint.

    A single endpoint rarely carries every field (Binance splits price and funding over two); the feed
    merges records of the same ``venue`` and ``instrument``.
    """

    venue: str
    instrument: str  # the venue's own name: BTCUSDT, BTC-USDT-SWAP, BTC, kPEPE
    base: str  # the base coin as the user writes it: BTC, PEPE
    multiplier: float  # base coins per unit of the instrument's price quote (1000 for 1000PEPEUSDT, kPEPE)
    time: int
    price: float = NAN  # last trade, per one base coin
    mark: float = NAN  # mark price, per one base coin
    index: float = NAN  # index (oracle) price the mark is measured against, per one base coin
    change_24h: float = NAN  # fraction (0.0068 = +0.68 %)
    volume_24h_usd: float = NAN  # futures quote volume over 24 h
    oi: float = NAN  # open interest, base coin
    oi_usd: float = NAN
    funding: float = NAN  # current / predicted rate, fraction per funding_interval_h
    funding_next: float = (
        NAN  # the venue's prediction of the next settlement's rate where it differs from funding
    )
    funding_interval_h: float = NAN
    next_funding_ms: int = 0


@dataclass(frozen=True, slots=True)
class SpotVolume:
    """24 h spot quote volume of a base coin on a venue (for the spot/futures ratio), and its last price."""

    venue: str
    instrument: str
    base: str
    time: int
    volume_24h_usd: float
    price: float = NAN  # last spot trade, per one base coin


@dataclass(frozen=True, slots=True)
class OpenInterestPoint:
    """Open interest at a time (history endpoints, or one-symbol "now" endpoints)."""

    venue: str
    instrument: str
    base: str
    time: int
    oi: float  # base coin
    oi_usd: float = NAN


@dataclass(frozen=True, slots=True)
class FundingPoint:
    """A settled (history) or current funding rate."""

    venue: str
    instrument: str
    base: str
    time: int
    rate: float  # fraction per interval_h
    interval_h: float = NAN


@dataclass(frozen=True, slots=True)
class LongShortPoint:
    """A long/short ratio at a time: all accounts (long accounts / short accounts) by default, or the top
    traders' position ratio (long position / short position of the venue's largest traders)."""

    venue: str
    instrument: str
    base: str
    time: int
    ratio: float
    kind: Literal["accounts", "top_position"] = "accounts"


@dataclass(frozen=True, slots=True)
class TakerFlow:
    """Taker buy and sell notional of one bar of a perpetual (or, ``spot``, of the coin's spot pair).

    From klines that split taker-buy volume (Binance) or a venue's taker-volume endpoint (OKX); ``time``
    is the bar's open, and a later record of the same bar replaces the earlier one (totals so far).
    """

    venue: str
    instrument: str
    base: str
    time: int
    buy_usd: float
    sell_usd: float
    spot: bool = False


@dataclass(frozen=True, slots=True)
class Liquidation:
    """One liquidation order; ``side`` is the side of the position that was liquidated."""

    venue: str
    instrument: str
    base: str
    time: int
    side: Literal["long", "short"]
    price: float  # per one base coin
    qty: float  # base coin
    usd: float  # price x qty


@dataclass(frozen=True, slots=True)
class Candle:
    """One price candle (klines) of a perpetual or a spot pair; ``time`` is the candle's open.

    ``volume_usd`` is the quote (USD/USDT/USDC) notional traded during the candle; where a venue gives
    only base volume it is base volume x close.
    """

    venue: str
    instrument: str
    base: str
    time: int
    open: float  # per one base coin
    high: float
    low: float
    close: float
    volume_usd: float = NAN


@dataclass(frozen=True, slots=True)
class ContractSize:
    """What one contract of a venue's instrument is worth in base coin (OKX ``ctVal``), and its funding
    interval."""

    venue: str
    instrument: str
    base: str
    ct_val: float  # base coin per contract
    funding_interval_h: float = NAN
