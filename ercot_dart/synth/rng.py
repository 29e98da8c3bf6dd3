"""Seeded random streams and the AR(1) recursion every driver uses.

Each stream is keyed by (seed, stream, keys...), e.g. the day's ordinal or a posting's minute,
so a draw depends only on what it is for, never on how much was drawn before it. That keeps
the hubs' prices the same whatever the number of points, and a posting reproducible when the
day-ahead market needs it again.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import NDArray


class Stream(IntEnum):
    """Independent random streams of the generator."""

    DRIVERS = 1
    FORECAST = 2
    POSTING_TIME = 3
    SCED = 4
    NODES = 5
    DAM = 6
    IN_USE_MODEL = 7
    INITIAL = 8


def stream(seed: int, which: Stream, *keys: int) -> np.random.Generator:
    """A generator for one purpose; the same arguments always give the same draws."""
    return np.random.default_rng(np.random.SeedSequence([seed, int(which), *keys]))


_MAX_GROWTH = 1e4  # largest phi^-t inside a block: keeps the scaled cumsum exact to ~1e-12


def ar1(start: NDArray[np.float64], phi: float, shocks: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit-variance AR(1) paths along axis 0: ``x_t = phi x_(t-1) + sqrt(1 - phi^2) e_t``.

    Computed blockwise as ``x_t = phi^(t+1) (x_(-1) + g sum_(s<=t) phi^-(s+1) e_s)``: a few
    vectorised cumsums instead of a Python step per row (and no BLAS, whose threads cost more
    than they save on matrices this small).

    Args:
        start: state before the first step, shape ``shocks.shape[1:]``.
        phi: persistence per step, in (0, 1).
        shocks: standard normal innovations, time on axis 0.

    Returns:
        The path, same shape as ``shocks``; its last row is the next start.
    """
    phi = float(phi)
    n = shocks.shape[0]
    flat = shocks.reshape(n, -1)
    gain = np.sqrt(1.0 - phi**2)
    block = max(1, min(n, int(np.log(_MAX_GROWTH) / -np.log(phi))))
    grow = phi ** -np.arange(1.0, block + 1)[:, None]
    out = np.empty(flat.shape)
    x = np.reshape(np.asarray(start, dtype=float), (1, -1))
    for lo in range(0, n, block):
        m = min(block, n - lo)
        path = (x + gain * np.cumsum(grow[:m] * flat[lo : lo + m], axis=0)) / grow[:m]
        out[lo : lo + m] = path
        x = path[-1:]
    return out.reshape(shocks.shape)


def persistence(hours: float, step_hours: float = 1.0) -> float:
    """AR(1) coefficient per step for a correlation time of ``hours``."""
    return float(np.exp(-step_hours / hours))


def logistic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))
