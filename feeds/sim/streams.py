"""Per-symbol random streams and the regime clock of the simulation.

Each symbol draws from its own generators, seeded by its name and the market seed, so a symbol's series
does not depend on which other symbols are watched. Draws are taken a block of bars at a time and handed
out as (symbols, draws) slices, so the bar step stays vectorised.
"""

from __future__ import annotations

import numpy as np

from feeds.sim import regimes
from feeds.sim.dynamics import N_NORMALS, N_UNIFORMS, SimState
from feeds.sim.symbols import stable_seed

BLOCK_BARS = 288
"""Bars drawn at a time while a history is made (a day: one generator call per symbol and day)."""
LIVE_BLOCK_BARS = 8
"""Bars drawn at a time once the market runs live (a bar every 5 minutes): a day's block of every symbol's
draws was 29 MB at 200 symbols, for bars hours away."""


class RandomBlocks:
    """Standard normals and uniforms per symbol and bar, refilled a block at a time."""

    def __init__(
        self,
        symbols: list[str],
        seed: int,
        stream: str = "bars",
        normals: int = N_NORMALS,
        uniforms: int = N_UNIFORMS,
        bars: int = BLOCK_BARS,
    ) -> None:
        """Args: ``stream`` names the generators (another name: draws independent of these);
        ``normals`` and ``uniforms``: how many of each a bar takes per symbol; ``bars``: bars a block."""
        self._gens = [np.random.default_rng(stable_seed(stream, s.upper(), seed)) for s in symbols]
        self._bars = bars
        self._pos = bars
        self._nz, self._nu = normals, uniforms
        self._z = np.empty((len(symbols), bars, normals))
        self._u = np.empty((len(symbols), bars, uniforms))

    def _fill(self, rows: range) -> None:
        for i in rows:
            g = self._gens[i]
            self._z[i] = g.standard_normal((self._bars, self._nz))
            if self._nu:
                self._u[i] = g.random((self._bars, self._nu))

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """The draws of the next bar: normals (S, normals) and uniforms (S, uniforms)."""
        if self._pos == self._bars:
            self._fill(range(len(self._gens)))
            self._pos = 0
        i = self._pos
        self._pos += 1
        return self._z[:, i], self._u[:, i]

    def take(self, keep: np.ndarray) -> None:
        """Keep only the symbols at positions ``keep``."""
        self._gens = [self._gens[i] for i in keep]
        self._z = self._z[keep]
        self._u = self._u[keep]

    def extend(self, other: RandomBlocks) -> None:
        """Append ``other``'s symbols; they get a fresh block from their own generators."""
        n = len(self._gens)
        self._gens.extend(other._gens)
        self._z = np.concatenate([self._z, np.empty((len(other._gens), self._bars, self._nz))])
        self._u = np.concatenate([self._u, np.empty((len(other._gens), self._bars, self._nu))])
        self._fill(range(n, len(self._gens)))


class RegimeClock:
    """Picks each symbol's regimes: scripted segments when due, otherwise random rotation."""

    def __init__(self, symbols: list[str], seed: int, step_h: float) -> None:
        self._gens = [np.random.default_rng(stable_seed("regimes", s.upper(), seed)) for s in symbols]
        self._step_h = step_h
        self._scripts: dict[int, list[tuple[int, int, int, float]]] = {}

    def start(self, st: SimState) -> None:
        """Give every symbol a random first regime, already part-way through."""
        weights = regimes.PARAMS["weight"] / regimes.PARAMS["weight"].sum()
        for s, g in enumerate(self._gens):
            st.regime[s] = int(g.choice(len(regimes.REGIMES), p=weights))
            st.bars_left[s] = max(
                1, round(regimes.draw_duration(g, int(st.regime[s]), self._step_h) * g.random())
            )
            st.severity[s] = regimes.draw_severity(g)

    def script_endings(self, symbols: list[str], n_bars: int) -> None:
        """Schedule ENDINGS so each scripted symbol's history (``n_bars`` long) ends in its segments.

        The last segment goes on into live bars for part of a usual duration, then rotation resumes.
        """
        for s, name in enumerate(symbols):
            segments = regimes.ENDINGS.get(name.upper())
            if not segments:
                continue
            lengths = [max(1, round(seg.hours / self._step_h)) for seg in segments]
            at = n_bars - sum(lengths)
            for k, (seg, n) in enumerate(zip(segments, lengths, strict=True)):
                regime = regimes.INDEX[seg.regime]
                if k == len(segments) - 1:
                    n += regimes.draw_duration(self._gens[s], regime, self._step_h) // 2
                if at >= 0:
                    self._scripts.setdefault(at, []).append((s, regime, n, seg.severity))
                elif at + n > 0:  # a short history starts inside the segment
                    self._scripts.setdefault(0, []).append((s, regime, at + n, seg.severity))
                at += lengths[k]

    def advance(self, st: SimState, bar: int) -> bool:
        """Set the regimes for ``bar`` (an index counted from the first history bar).

        Returns:
            Whether any regime changed (the caller then regathers the regime parameters).
        """
        changed = False
        for s, regime, n, severity in self._scripts.pop(bar, ()):
            st.regime[s], st.bars_left[s], st.severity[s] = regime, n, severity
            changed = True
        for k in np.flatnonzero(st.bars_left <= 0).tolist():
            g = self._gens[k]
            st.regime[k] = regimes.draw_next(g, int(st.regime[k]))
            st.bars_left[k] = regimes.draw_duration(g, int(st.regime[k]), self._step_h)
            st.severity[k] = regimes.draw_severity(g)
            changed = True
        return changed

    def take(self, keep: np.ndarray) -> None:
        """Keep only the symbols at positions ``keep`` (scripts only matter during history)."""
        self._gens = [self._gens[i] for i in keep]
        self._scripts.clear()

    def extend(self, other: RegimeClock) -> None:
        """Append ``other``'s symbols (after their history has been generated)."""
        self._gens.extend(other._gens)
