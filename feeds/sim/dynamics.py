"""The simulation's state and its bar step, vectorised across symbols x venues.

One call of ``step_bar`` advances every symbol by one bar and returns the closes of that bar for every
venue, in two parts: ``advance`` runs the state's recurrences (a bar at a time: each needs the last),
``closes`` makes the bar's closes from that state and the draws (one bar, or a stack of them, as the
history does). The underlying price is one geometric Brownian motion per symbol (regime drift and
volatility), shared by all venues, which differ only by a small basis, their OI share, a funding and
long/short lean and noise. Funding and the long/short ratio revert towards the regime's targets,
liquidations arrive in zero-inflated bursts that grow with the size of the move against a side, volumes
follow activity.

The added columns (SIGNALS.md): the premium (mark over index) is the venue's basis plus a share of its
funding's excess over the usual 0.01 %/8h (funding is the premium averaged, so they move together);
the spot price is the perp price less that premium; taker flows split the futures and spot volumes by
a net buy share that leans with the regime and the bar's move; the top traders' position ratio follows
its own regime target (against the crowd in crowded regimes), on the two venues that publish one; and
the venues' funding spreads apart in proportion to how far funding runs (a hot market's venues
disagree most), with no change to the OI-weighted mean. These draw from a stream of their own
(``N_EXTRA`` normals a bar), so the other columns are the same numbers as before they were added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from feeds.sim import regimes
from feeds.sim.symbols import FUNDING_INTERVAL_H, VENUES, SymbolProfile, VenueTraits
from signals.columns import Col

NV = len(VENUES)
INTERVALS = np.array([FUNDING_INTERVAL_H[v] for v in VENUES])
HOURS_PER_YEAR = 8760.0

# Layout of the per-bar random draws of one symbol: normals, then uniforms.
Z_PRICE, Z_OI, Z_FUND, Z_LS = range(4)
Z_BASIS = slice(4, 4 + NV)
Z_OIV = slice(4 + NV, 4 + 2 * NV)
Z_FV = slice(4 + 2 * NV, 4 + 3 * NV)
Z_LSV = slice(4 + 3 * NV, 4 + 4 * NV)
Z_LIQL = slice(4 + 4 * NV, 4 + 5 * NV)
Z_LIQS = slice(4 + 5 * NV, 4 + 6 * NV)
Z_FUT = slice(4 + 6 * NV, 4 + 7 * NV)
Z_SPOT = slice(4 + 7 * NV, 4 + 8 * NV)
N_NORMALS = 4 + 8 * NV
U_LIQL = slice(0, NV)
U_LIQS = slice(NV, 2 * NV)
U_BURST = slice(2 * NV, 4 * NV)  # when in the bar the long / short liquidation burst starts
N_UNIFORMS = 4 * NV
# The added columns' normals (a stream of their own): premium, perp and spot flow noise per venue, top traders.
X_PREM = slice(0, NV)
X_PERP = slice(NV, 2 * NV)
X_SPOT = slice(2 * NV, 3 * NV)
X_TOP = 3 * NV
N_EXTRA = 3 * NV + 1

OI_REVERSION_H = 72.0  # OI drifts back to its usual level over days, so a week-long run stays plausible
LIQ_BASE_PER_DAY = 0.002  # each side: share of OI liquidated on a quiet day
LIQ_BURST_S = 0.9  # log-sd of a liquidation burst's size
PREMIUM_PER_FUNDING = 1.5  # premium per unit of funding8h above the usual rate
USUAL_FUNDING8H = 0.0001
FLOW_PER_MOVE = 0.03  # net taker flow per bar-volatility of the move: takers push the price
FLOW_NOISE = 0.08  # per-bar sd of the net taker flow (a 4 h window averages it to ~0.012)
# How each venue's funding departs from the market's, per unit of |funding8h| (before centring on the OI
# shares): simB's more leveraged users pay 0.8 x |funding| more than the rest. One 8 h venue, so every
# venue's funding stays in proportion to its interval (1 h: an eighth of simA's, 4 h: a half).
_DISPERSION = np.array([0.0, 0.8, 0.0, 0.0])
TOP_VENUES = np.array([1.0, 1.04, np.nan, np.nan])  # only simA and simB publish a top traders' ratio


@dataclass
class SimState:
    """Everything needed to continue the simulation: arrays over symbols (S,) or symbols x venues (S, V).

    Regime parameters are gathered into ``rp`` whenever a regime changes, not on every bar.
    """

    logp: np.ndarray  # log index price
    logoi: np.ndarray  # log OI relative to the usual level
    f8: np.ndarray  # market funding8h
    ls: np.ndarray  # market long/short accounts ratio
    sigma_h: np.ndarray  # volatility per sqrt(hour)
    oi_coin: np.ndarray  # usual OI in base coin
    oi_usd: np.ndarray  # usual OI in USD
    turnover: np.ndarray
    sfr0: np.ndarray
    ls0: np.ndarray
    liq_size: np.ndarray  # typical liquidation order (USD): how often a bar sees none
    regime: np.ndarray  # int index into regimes.REGIMES
    bars_left: np.ndarray  # int
    severity: np.ndarray
    basis: np.ndarray  # (S, V) steady premium
    basis_dev: np.ndarray  # (S, V)
    oi_share: np.ndarray  # (S, V)
    oi_dev: np.ndarray  # (S, V)
    f_lean: np.ndarray  # (S, V)
    f_dev: np.ndarray  # (S, V)
    ls_lean: np.ndarray  # (S, V)
    ls_dev: np.ndarray  # (S, V)
    prem_dev: np.ndarray  # (S, V) short-lived premium noise
    disp: np.ndarray  # (S, V) funding dispersion weights, zero mean under the OI shares
    ls_top: np.ndarray  # top traders' long/short position ratio

    @classmethod
    def initial(
        cls, profiles: list[SymbolProfile], traits: list[VenueTraits], g: list[np.random.Generator]
    ) -> SimState:
        """A state at the start of history (the regime is set by the caller before the first bar)."""
        n = len(profiles)

        def col(attr: str) -> np.ndarray:
            return np.array([getattr(p, attr) for p in profiles], dtype=float)

        def tr(attr: str) -> np.ndarray:
            return np.array([getattr(t, attr) for t in traits], dtype=float).reshape(n, NV)

        oi_usd = col("oi_usd")
        share = tr("oi_share")
        disp = _DISPERSION[None, :] - (share * _DISPERSION).sum(axis=1, keepdims=True)
        return cls(
            logp=np.zeros(n),
            logoi=np.array([gi.normal(0.0, 0.05) for gi in g]),
            f8=np.full(n, 0.0001),
            ls=col("ls"),
            sigma_h=col("vol") / math.sqrt(HOURS_PER_YEAR),
            oi_coin=oi_usd / col("price"),
            oi_usd=oi_usd,
            turnover=col("turnover"),
            sfr0=col("sfr"),
            ls0=col("ls"),
            liq_size=20_000.0 * (oi_usd / 1e9) ** 0.3,
            regime=np.zeros(n, dtype=np.int64),
            bars_left=np.zeros(n, dtype=np.int64),
            severity=np.ones(n),
            basis=tr("basis"),
            basis_dev=np.zeros((n, NV)),
            oi_share=tr("oi_share"),
            oi_dev=np.zeros((n, NV)),
            f_lean=tr("funding_lean"),
            f_dev=np.zeros((n, NV)),
            ls_lean=tr("ls_lean"),
            ls_dev=np.zeros((n, NV)),
            prem_dev=np.zeros((n, NV)),
            disp=disp,
            ls_top=1.0 + 0.5 * (col("ls") - 1.0),
        )

    def take(self, keep: np.ndarray) -> SimState:
        """The state of the symbols at positions ``keep``."""
        return SimState(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})

    def concat(self, other: SimState) -> SimState:
        """This state followed by ``other``'s symbols."""
        return SimState(
            **{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)}
        )


def regime_params(
    st: SimState, step_h: float, regime: np.ndarray | None = None, severity: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The regime parameters of every symbol, scaled by severity, and the per-bar figures they imply.

    Gathered once per regime change, so the bar step only does the work that changes every bar.
    ``regime`` and ``severity`` (default: ``st``'s) may have a leading axis of bars, as ``closes`` takes.
    """
    rp = {k: v[st.regime if regime is None else regime] for k, v in regimes.PARAMS.items()}
    sev = st.severity if severity is None else severity
    rp["drift"] = rp["drift"] * sev
    rp["drift_floor"] = rp["drift_floor"] * sev
    rp["oi_drift"] = rp["oi_drift"] * sev
    for side in ("liq_long", "liq_short"):
        m = rp[side]
        rp[side] = np.where(m > 1.0, 1.0 + (m - 1.0) * sev, m)
    rp["log_ls_target"] = np.log(np.where(rp["ls"] > 0, rp["ls"], st.ls0 * rp["ls_mult"]))
    rp["perp_flow_v"] = rp["perp_flow"][..., None]
    rp["spot_flow_v"] = rp["spot_flow"][..., None]
    sig_bar = st.sigma_h * math.sqrt(step_h)
    vol = sig_bar * rp["vol"]
    trend = np.sign(rp["drift"]) * np.maximum(np.abs(rp["drift"]) * st.sigma_h, rp["drift_floor"])
    rp["vol_bar"] = vol
    rp["drift_bar"] = trend * step_h - 0.5 * vol * vol
    rp["inv_sig_bar"] = 1.0 / sig_bar
    rp["kf"] = 1.0 - np.exp(-rp["funding_speed"] * step_h)
    rp["oi_drift_bar"] = rp["oi_drift"] * step_h
    liq_base = LIQ_BASE_PER_DAY * st.oi_usd * step_h / 24.0
    rp["liq_long_bar"] = liq_base * rp["liq_long"]
    rp["liq_short_bar"] = liq_base * rp["liq_short"]
    rp["fut_bar"] = st.oi_usd * st.turnover * step_h / 24.0 * rp["activity"] / 1.48
    rp["sfr_v"] = (st.sfr0 * rp["sfr"])[..., None]
    return rp


def _ou(x: np.ndarray, z: np.ndarray, tau_h: float, sd: float, step_h: float) -> None:
    """Advance an Ornstein-Uhlenbeck deviation in place (stationary sd ``sd``, memory ``tau_h``)."""
    phi = math.exp(-step_h / tau_h)
    x *= phi
    x += sd * math.sqrt(1.0 - phi * phi) * z


@dataclass
class BarState:
    """What a bar's closes are made of besides the draws: the state after its step, and its move.

    Each field is the (S,) or (S, V) array of one bar, or the same with a leading axis of bars
    (``closes`` makes the closes of a stack of bars in one pass; the history passes 64 at a time).
    """

    r: np.ndarray  # the bar's log return
    logp: np.ndarray
    logoi: np.ndarray
    f8: np.ndarray
    ls: np.ndarray
    basis_dev: np.ndarray
    oi_dev: np.ndarray
    f_dev: np.ndarray
    ls_dev: np.ndarray
    prem_dev: np.ndarray
    ls_top: np.ndarray

    @classmethod
    def of(cls, st: SimState, r: np.ndarray) -> BarState:
        """The bar state of ``st`` (arrays shared, not copied) after a step of return ``r``."""
        return cls(
            r,
            st.logp,
            st.logoi,
            st.f8,
            st.ls,
            st.basis_dev,
            st.oi_dev,
            st.f_dev,
            st.ls_dev,
            st.prem_dev,
            st.ls_top,
        )


ADVANCE_KEYS = ("drift_bar", "vol_bar", "oi_drift_bar", "kf", "funding", "log_ls_target", "top_ls")
"""The regime figures ``advance`` reads (all of them depend on the regime, so have one value per bar)."""


def advance(
    st: SimState, rp: dict[str, np.ndarray], z: np.ndarray, x: np.ndarray, step_h: float
) -> np.ndarray:
    """Advance ``st`` in place by one bar (the recurrences only); returns the bar's log return (S,).

    Args:
        st: the state.
        rp: ``regime_params(st, step_h)`` (``ADVANCE_KEYS`` at least).
        z: (S, N_NORMALS) standard normals of this bar.
        x: (S, N_EXTRA) standard normals of the added columns.
        step_h: bar length in hours.
    """
    r: np.ndarray = rp["drift_bar"] + rp["vol_bar"] * z[:, Z_PRICE]
    st.logp += r
    noise_scale = math.sqrt(step_h * 12.0)  # the noise figures below are per 5-minute bar

    st.logoi += rp["oi_drift_bar"] - st.logoi * (step_h / OI_REVERSION_H) + 0.0006 * noise_scale * z[:, Z_OI]
    # A move up lifts the premium, hence the predicted funding, before the regime's pull catches up.
    st.f8 += rp["kf"] * (rp["funding"] - st.f8) + 0.004 * r + 0.000004 * noise_scale * z[:, Z_FUND]
    kl = 1.0 - math.exp(-step_h)
    # Retail accounts buy dips: the accounts ratio rises when price falls.
    log_ls = np.log(st.ls)
    log_ls += kl * (rp["log_ls_target"] - log_ls) - 2.0 * r + 0.003 * noise_scale * z[:, Z_LS]
    st.ls = np.exp(log_ls)

    _ou(st.basis_dev, z[:, Z_BASIS], 0.5, 0.0002, step_h)
    _ou(st.oi_dev, z[:, Z_OIV], 2.0, 0.004, step_h)
    _ou(st.f_dev, z[:, Z_FV], 1.0, 0.000006, step_h)
    _ou(st.ls_dev, z[:, Z_LSV], 3.0, 0.02, step_h)
    _ou(st.prem_dev, x[:, X_PREM], 1.0, 0.00015, step_h)
    target = np.where(rp["top_ls"] > 0, rp["top_ls"], 1.0 + 0.5 * (st.ls - 1.0))
    log_top = np.log(st.ls_top)
    log_top += (1.0 - math.exp(-step_h)) * (np.log(target) - log_top) + 0.01 * noise_scale * x[:, X_TOP]
    st.ls_top = np.exp(log_top)
    return r


def step_bar(
    st: SimState,
    rp: dict[str, np.ndarray],
    z: np.ndarray,
    u: np.ndarray,
    t_ms: int,
    step_h: float,
    out: np.ndarray,
    x: np.ndarray | None = None,
) -> None:
    """Advance ``st`` by one bar opening at ``t_ms`` and write its closes into ``out``.

    Args:
        st: the state, updated in place.
        rp: ``regime_params(st, step_h)``.
        z: (S, N_NORMALS) standard normals for this bar.
        u: (S, N_UNIFORMS) uniforms on [0, 1) for this bar.
        t_ms: open time of the bar.
        step_h: bar length in hours.
        out: (S, V, len(COLUMNS)) array the closes are written to.
        x: (S, N_EXTRA) standard normals of the added columns (None: zeros, no noise).
    """
    x = np.zeros((len(st.f8), N_EXTRA)) if x is None else x
    r = advance(st, rp, z, x, step_h)
    closes(st, BarState.of(st, r), rp, z, u, x, np.float64(t_ms), step_h, out)


def closes(
    st: SimState,
    b: BarState,
    rp: dict[str, np.ndarray],
    z: np.ndarray,
    u: np.ndarray,
    x: np.ndarray,
    t_ms: np.ndarray,
    step_h: float,
    out: np.ndarray,
) -> None:
    """Write the closes of one bar, or of many at once, into ``out``; nothing in ``st`` changes.

    Every array may have a leading axis of bars (``b``'s fields, ``rp``'s values, ``z``, ``u``, ``x``,
    ``t_ms`` as (T, 1)), then ``out`` is (T, S, V, C): the closes are functions of the bar's state and
    draws alone, so a week of them is one pass of array operations rather than one per bar.
    """
    zr = b.r * rp["inv_sig_bar"]  # the move in units of the symbol's usual bar volatility
    oi_now = np.exp(b.logoi)
    mu_long = rp["liq_long_bar"] * oi_now * (1.0 + np.maximum(0.0, -zr)) ** 2
    mu_short = rp["liq_short_bar"] * oi_now * (1.0 + np.maximum(0.0, zr)) ** 2
    out[..., Col.LIQ_LONG] = _bursts(mu_long, st, z[..., Z_LIQL], u[..., U_LIQL])
    out[..., Col.LIQ_SHORT] = _bursts(mu_short, st, z[..., Z_LIQS], u[..., U_LIQS])

    hour = (t_ms / 3_600_000.0) % 24.0
    season = 1.0 + 0.25 * np.sin(2.0 * math.pi * (hour - 9.0) / 24.0)  # busiest around 15:00 UTC
    fut = rp["fut_bar"] * oi_now * (season + (0.6 * season) * np.abs(zr))
    fut_v = (fut[..., None] * st.oi_share) * np.exp(0.15 * z[..., Z_FUT] - 0.01125)
    out[..., Col.FUT_VOL] = fut_v
    out[..., Col.SPOT_VOL] = fut_v * rp["sfr_v"] * np.exp(0.2 * z[..., Z_SPOT] - 0.02)

    out[..., Col.TIME] = t_ms[..., None]
    out[..., Col.PRICE] = np.exp(b.logp)[..., None] * (1.0 + st.basis + b.basis_dev)
    out[..., Col.OI] = (st.oi_coin * np.exp(b.logoi))[..., None] * st.oi_share * np.exp(b.oi_dev)
    f8v = b.f8[..., None] + st.f_lean + b.f_dev + st.disp * np.abs(b.f8)[..., None]
    out[..., Col.FUNDING] = f8v * (INTERVALS / 8.0)
    out[..., Col.FUNDING_INTERVAL_H] = INTERVALS
    out[..., Col.LS_RATIO] = b.ls[..., None] * st.ls_lean * np.exp(b.ls_dev)
    _added(st, b, rp, x, zr, f8v, out)


def _added(
    st: SimState,
    b: BarState,
    rp: dict[str, np.ndarray],
    x: np.ndarray,
    zr: np.ndarray,
    f8v: np.ndarray,
    out: np.ndarray,
) -> None:
    """The added columns of the bar (see the module's docstring), after the others are in ``out``."""
    premium = st.basis + b.basis_dev + PREMIUM_PER_FUNDING * (f8v - USUAL_FUNDING8H) + b.prem_dev
    out[..., Col.PREMIUM] = premium
    out[..., Col.SPOT_PRICE] = out[..., Col.PRICE] * (1.0 - premium)
    move = (FLOW_PER_MOVE * zr)[..., None]
    for imb_target, noise, vol, buy, sell in (
        (rp["perp_flow_v"], x[..., X_PERP], out[..., Col.FUT_VOL], Col.TAKER_BUY, Col.TAKER_SELL),
        (rp["spot_flow_v"], x[..., X_SPOT], out[..., Col.SPOT_VOL], Col.SPOT_TAKER_BUY, Col.SPOT_TAKER_SELL),
    ):
        imb = np.clip(imb_target + move + FLOW_NOISE * noise, -0.9, 0.9)
        out[..., buy] = vol * (0.5 + 0.5 * imb)  # every trade has one taker: buy + sell = the volume
        out[..., sell] = vol * (0.5 - 0.5 * imb)
    out[..., Col.LS_TOP] = b.ls_top[..., None] * TOP_VENUES
    out[..., Col.FUNDING_SPREAD] = np.nan  # the cross-venue series' figure (tui.model.aggregate)


def _bursts(mu: np.ndarray, st: SimState, z: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Liquidated USD per venue: zero unless a burst happens (Poisson chance), then a lognormal amount.

    The expected amount is ``mu`` split by OI share, so totals follow the pressure while single bars stay
    bursty: a small coin sees most bars without any liquidation.
    """
    mu_v = mu[..., None] * st.oi_share
    p = -np.expm1(-mu_v / st.liq_size[:, None])
    size = np.exp(LIQ_BURST_S * z - 0.5 * LIQ_BURST_S * LIQ_BURST_S)
    usd: np.ndarray = np.where(u < p, mu_v / np.maximum(p, 1e-12) * size, 0.0)
    return usd
