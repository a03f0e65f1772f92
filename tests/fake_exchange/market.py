"""The fake exchange's deterministic market: every number any venue endpoint serves, as a function of time.

A value depends only on (seed, base coin, venue, time), never on what was asked before, so the tickers, the
klines, the history endpoints and the liquidation stream of every venue agree with each other at the same
moment. Series are drawn on a 5-minute grid (a slow sine plus hash noise) and interpolated linearly
between grid points, so a price asked at 12:03:10 lies between the 12:00 and 12:05 closes. Venues differ
by a few basis points (their basis), never by more than 0.1 %.

Units here are the user's: prices per ONE base coin, sizes in base coin, funding as a fraction per the
venue's interval, USD volumes. The route builders convert to each venue's own units (``1000PEPEUSDT``
prices, OKX contracts).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

BAR_MS = 300_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# Bases whose perpetual is quoted per 1000 coins on Binance/Bybit (1000PEPEUSDT) and Hyperliquid (kPEPE).
MULTIPLIED = frozenset({"PEPE", "BONK", "SHIB", "FLOKI"})
VENUES = ("binance", "bybit", "okx", "hyperliquid")
# Spot pairs on Hyperliquid are wrapped tokens for these (UBTC/USDC); a few others get an "@index" pair.
HL_WRAPPED = {"BTC": "UBTC", "ETH": "UETH", "SOL": "USOL"}

# Plausible reference prices (USD) and 24 h perp volumes, so formatting code sees realistic magnitudes.
_PRICES = {
    "BTC": 60_000.0,
    "ETH": 3_000.0,
    "SOL": 150.0,
    "XRP": 0.6,
    "BNB": 580.0,
    "DOGE": 0.15,
    "ADA": 0.45,
    "AVAX": 30.0,
    "LINK": 15.0,
    "SUI": 1.5,
    "HYPE": 25.0,
    "PEPE": 0.00001,
    "BONK": 0.00002,
    "SHIB": 0.00002,
    "FLOKI": 0.00015,
    "TRX": 0.12,
    "DOT": 6.5,
    "LTC": 80.0,
    "BCH": 400.0,
    "NEAR": 5.0,
}
_BIG_OI_USD = {"BTC": 8e9, "ETH": 4e9, "SOL": 1.5e9}
_DEFAULT_SYMBOLS = (
    "BTC",
    "ETH",
    "SOL",
    "PEPE",
    "XRP",
    "BNB",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "SUI",
    "HYPE",
    "TRX",
    "DOT",
    "LTC",
    "BCH",
    "NEAR",
    "APT",
    "ARB",
    "OP",
    "TON",
    "UNI",
    "ATOM",
    "FIL",
    "ETC",
    "INJ",
    "TIA",
    "SEI",
    "WIF",
    "BONK",
    "SHIB",
    "FLOKI",
    "AAVE",
    "LDO",
    "IMX",
    "STX",
    "FET",
    "JUP",
    "PYTH",
    "ENA",
    "ONDO",
    "WLD",
    "TAO",
    "ALGO",
    "XLM",
    "HBAR",
    "ICP",
    "VET",
    "GRT",
    "SAND",
    "MANA",
    "AXS",
    "CRV",
    "DYDX",
    "GALA",
    "RUNE",
)
_BASIS = {"binance": 0.0, "bybit": 0.0003, "okx": -0.0002, "hyperliquid": 0.0004}
_OI_SHARE = {"binance": 1.0, "bybit": 0.7, "okx": 0.5, "hyperliquid": 0.4}
_SPOT_BASIS = {"binance": 0.0001, "bybit": 0.00015, "okx": -0.0001, "hyperliquid": 0.0002}
_MASK = (1 << 64) - 1


def default_symbols(n: int) -> tuple[str, ...]:
    """``n`` plausible base coins: BTC, ETH, SOL, PEPE, XRP, ... (BONK, SHIB, FLOKI from the 30th).

    Beyond the 56 real names, synthetic ones (``ZZAA``, ``ZZAB``, ...) keep the list unique.

    Args:
        n: how many bases.
    """
    names = list(_DEFAULT_SYMBOLS[:n])
    for i in range(n - len(names)):
        names.append("ZZ" + chr(65 + i // 26 % 26) + chr(65 + i % 26))
    return tuple(names)


def _mix(x: int) -> int:
    # splitmix64: cheap, well-spread and the same in every process (unlike hash()).
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


@dataclass(frozen=True)
class Coin:
    """Per-base constants drawn once from the seed."""

    key: int
    price: float
    oi_usd: float
    volume_usd: float
    spot_ratio: float
    phase: float
    period_ms: float


class Market:
    """Deterministic prices, open interest, funding, long/short and volumes for a set of base coins.

    Args:
        symbols: base coins (BTC, PEPE, ...), in display order.
        seed: changes every series but not the reference magnitudes.
        unlisted: venue -> bases that venue does not list (absent from its lists, unknown to its
            per-symbol endpoints).
    """

    def __init__(
        self, symbols: Iterable[str], seed: int = 1, unlisted: Mapping[str, Iterable[str]] | None = None
    ):
        self.symbols = tuple(s.upper() for s in symbols)
        self.seed = seed
        self.unlisted = {
            venue: frozenset(b.upper() for b in bases) for venue, bases in (unlisted or {}).items()
        }
        self.coins = {base: self._coin(base) for base in self.symbols}
        # One symbol settles funding every 4 h on the CEXes, so interval handling is exercised.
        self.four_hour = self.symbols[2] if len(self.symbols) > 2 else self.symbols[-1]
        self._grid: dict[tuple[int, int, int], float] = {}

    def _coin(self, base: str) -> Coin:
        key = _mix(zlib.crc32(base.encode()) ^ (self.seed * 0x100000001B3))
        unit = [(_mix(key + i) >> 11) / float(1 << 53) for i in range(6)]
        price = _PRICES.get(base, 10 ** (unit[0] * 3.5 - 1.0))
        oi_usd = _BIG_OI_USD.get(base, 2e7 + unit[1] * 5e8)
        return Coin(
            key,
            price,
            oi_usd,
            oi_usd * (1.0 + unit[2]),
            0.1 + 0.6 * unit[3],
            unit[4] * 2 * math.pi,
            (6 + 42 * unit[5]) * HOUR_MS,
        )

    def listed(self, venue: str) -> tuple[str, ...]:
        """The bases ``venue`` lists, in display order."""
        gone = self.unlisted.get(venue, frozenset())
        return tuple(b for b in self.symbols if b not in gone)

    def delist(self, venue: str, base: str) -> None:
        """``venue`` stops listing ``base`` from now on (it drops out of every list and per-symbol endpoint)."""
        self.unlisted[venue] = self.unlisted.get(venue, frozenset()) | {base.upper()}

    def relist(self, venue: str, base: str) -> None:
        """``venue`` lists ``base`` again."""
        self.unlisted[venue] = self.unlisted.get(venue, frozenset()) - {base.upper()}

    def lists(self, venue: str, base: str) -> bool:
        """Whether ``venue`` lists ``base``."""
        return base in self.coins and base not in self.unlisted.get(venue, frozenset())

    def noise(self, base: str, k: int, tag: int) -> float:
        """A deterministic number in [-1, 1) for grid step ``k`` of series ``tag``."""
        return (_mix(self.coins[base].key ^ _mix(k * 8 + tag)) >> 11) / float(1 << 52) - 1.0

    def _at(self, base: str, tag: int, t_ms: float) -> float:
        """Series ``tag`` (a unitless factor around 1) at ``t_ms``, linear between 5-minute grid points."""
        k = math.floor(t_ms / BAR_MS)
        frac = (t_ms - k * BAR_MS) / BAR_MS
        a, b = self._point(base, tag, k), self._point(base, tag, k + 1)
        return a + (b - a) * frac

    def _point(self, base: str, tag: int, k: int) -> float:
        cache_key = (self.coins[base].key, tag, k)
        value = self._grid.get(cache_key)
        if value is None:
            coin = self.coins[base]
            amp, jitter, slow = ((0.03, 0.002, 1.0), (0.08, 0.004, 3.0), (0.5, 0.02, 0.7), (0.3, 0.02, 2.0))[
                tag
            ]
            angle = 2 * math.pi * k * BAR_MS / (coin.period_ms * slow) + coin.phase + tag
            value = 1.0 + amp * math.sin(angle) + jitter * self.noise(base, k, tag)
            if len(self._grid) > 200_000:  # bounded: a long benchmark must not grow without end
                self._grid.clear()
            self._grid[cache_key] = value
        return value

    def price(self, base: str, t_ms: float, venue: str = "binance") -> float:
        """Last price per one base coin on ``venue`` at ``t_ms``."""
        return self.coins[base].price * self._at(base, 0, t_ms) * (1.0 + _BASIS.get(venue, 0.0))

    def mark(self, base: str, t_ms: float, venue: str = "binance") -> float:
        """Mark price: the last price nudged by a basis point, as marks trail trades."""
        return self.price(base, t_ms, venue) * (1.0 + 0.0001 * self.noise(base, int(t_ms // 1000), 7))

    def index(self, base: str, t_ms: float) -> float:
        """Index (spot) price per one base coin."""
        return self.coins[base].price * self._at(base, 0, t_ms)

    def candle(
        self, base: str, open_ms: int, close_ms: int, now_ms: int, venue: str = "binance"
    ) -> tuple[float, float, float, float, float]:
        """(open, high, low, close, base volume) of bar [open_ms, close_ms); the one holding now forms."""
        end = min(close_ms, now_ms)
        o, c = self.price(base, open_ms, venue), self.price(base, end, venue)
        k = open_ms // BAR_MS
        h = max(o, c) * (1.0 + 0.001 * abs(self.noise(base, k, 4)))
        low = min(o, c) * (1.0 - 0.001 * abs(self.noise(base, k, 5)))
        share = (end - open_ms) / DAY_MS
        usd = self.volume_usd(base, open_ms, venue) * share * (1.0 + 0.5 * self.noise(base, k, 6))
        return o, h, low, c, max(usd, 0.0) / ((o + c) / 2)

    def open_interest(self, base: str, t_ms: float, venue: str = "binance") -> float:
        """Open interest in base coin on ``venue`` at ``t_ms``."""
        coin = self.coins[base]
        return coin.oi_usd / coin.price * self._at(base, 1, t_ms) * _OI_SHARE.get(venue, 1.0)

    def funding_interval_h(self, base: str, venue: str) -> int:
        """Hours between funding settlements: 1 on Hyperliquid, 4 for ``four_hour`` on the CEXes, else 8."""
        if venue == "hyperliquid":
            return 1
        return 4 if base == self.four_hour else 8

    def funding(self, base: str, t_ms: float, venue: str) -> float:
        """Funding rate (fraction per the venue's interval) in force at ``t_ms``."""
        per_8h = 0.0001 + 0.0003 * (self._at(base, 2, t_ms) - 1.0)
        return per_8h * self.funding_interval_h(base, venue) / 8.0

    def long_short(self, base: str, t_ms: float, venue: str = "binance") -> float:
        """Long accounts / short accounts at ``t_ms``."""
        return max(0.2, self._at(base, 3, t_ms) + _BASIS.get(venue, 0.0) * 100)

    def volume_usd(self, base: str, t_ms: float, venue: str = "binance", spot: bool = False) -> float:
        """24 h quote volume (perp, or spot with ``spot``) ending at ``t_ms``."""
        coin = self.coins[base]
        day = 1.0 + 0.2 * math.sin(t_ms / DAY_MS + coin.phase)
        volume = coin.volume_usd * day * _OI_SHARE.get(venue, 1.0)
        return volume * coin.spot_ratio if spot else volume

    def ct_val(self, base: str) -> float:
        """OKX USDT-swap contract value in base coin: BTC 0.01, ETH 0.1, PEPE-like 100000, else 1 or 10."""
        if base == "BTC":
            return 0.01
        if base == "ETH":
            return 0.1
        if base in MULTIPLIED:
            return 100_000.0
        return 10.0 if self.coins[base].price < 1.0 else 1.0

    def spot_price(self, base: str, t_ms: float, venue: str = "binance") -> float:
        """Last spot price per one base coin on ``venue``: the index a venue-specific hair away (its pair's
        own spread), so a bar that took the index or the perp for the spot price would show it."""
        return self.index(base, t_ms) * (1.0 + _SPOT_BASIS.get(venue, 0.0))

    def top_long_short(self, base: str, t_ms: float, venue: str = "binance") -> float:
        """Top traders' long/short POSITION ratio: its own slow wave around 1, so over a day it sits on
        either side of the accounts ratio (``long_short``), sometimes on the other side of 1."""
        coin = self.coins[base]
        angle = 2 * math.pi * t_ms / (coin.period_ms * 1.3) + coin.phase + 2.0
        return max(0.2, 1.0 + 0.35 * math.sin(angle) + _BASIS.get(venue, 0.0) * 100)

    def taker_flow(
        self, base: str, open_ms: int, close_ms: int, now_ms: int, venue: str = "binance", spot: bool = False
    ) -> tuple[float, float]:
        """(taker buy USD, taker sell USD) of bar [open_ms, close_ms) so far: the bar's quote volume (the
        same total as ``candle``'s for the perp) split by a buy share that varies by bar, 0.3 to 0.7."""
        end = min(close_ms, now_ms)
        k = open_ms // BAR_MS
        share = max(end - open_ms, 0) / DAY_MS
        usd = max(
            self.volume_usd(base, open_ms, venue, spot) * share * (1.0 + 0.5 * self.noise(base, k, 6)), 0.0
        )
        buy = 0.5 + 0.2 * self.noise(base, k, 10 if spot else 9)
        return usd * buy, usd * (1.0 - buy)


def fmt(value: float, digits: int = 7) -> str:
    """``value`` as a plain decimal string with about ``digits`` significant digits (never an exponent)."""
    if value == 0 or not math.isfinite(value):
        return "0"
    decimals = max(0, min(14, digits - 1 - math.floor(math.log10(abs(value)))))
    return f"{value:.{decimals}f}"


def grid(
    step_ms: int,
    start_ms: int | None,
    end_ms: int | None,
    now_ms: int,
    limit: int,
    newest: bool,
    floor_ms: int | None = None,
) -> list[int]:
    """Open times on a ``step_ms`` grid within [start, end] (end defaults to now), capped at ``limit``.

    Args:
        step_ms: grid step.
        start_ms: earliest open time wanted (inclusive), or None.
        end_ms: latest open time wanted (inclusive), or None for the bar holding now.
        now_ms: the fake's now; no bar opens after it.
        limit: most rows returned.
        newest: keep the ``limit`` newest rows of the range (else the oldest when ``start_ms`` is given).
        floor_ms: history depth: nothing older is served.

    Returns:
        Ascending open times.
    """
    last = (min(now_ms, end_ms) if end_ms is not None else now_ms) // step_ms * step_ms
    first = -(-start_ms // step_ms) * step_ms if start_ms is not None else None
    if floor_ms is not None:
        floor_grid = -(-floor_ms // step_ms) * step_ms
        first = floor_grid if first is None else max(first, floor_grid)
    if limit <= 0 or (first is not None and first > last):
        return []
    if first is not None and not newest:
        return list(range(first, min(last, first + (limit - 1) * step_ms) + 1, step_ms))
    lo = last - (limit - 1) * step_ms
    if first is not None:
        lo = max(lo, first)
    return list(range(lo, last + 1, step_ms))
