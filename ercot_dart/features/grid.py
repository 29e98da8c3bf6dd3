"""A dense hourly grid (hours × settlement points) for fast, exact as-of lookups. Pure.

Hourly series are laid on a complete UTC hour axis, so "the value k hours before" is an index
subtraction and "the rolling statistic as known at issue time" is one lookup at the row's
cut-off index, for millions of rows at numpy speed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

HOUR = pd.Timedelta(hours=1)


@contextmanager
def quiet() -> Iterator[None]:
    """Silence numpy's warnings for all-NaN slices: NaN is the intended answer there."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@dataclass(frozen=True)
class HourGrid:
    """``n`` consecutive UTC hours starting at ``t0``."""

    t0: pd.Timestamp
    n: int

    @classmethod
    def spanning(cls, start: pd.Timestamp, end: pd.Timestamp) -> HourGrid:
        """The grid from hour ``start`` through hour ``end`` inclusive (UTC)."""
        start = pd.Timestamp(start).floor("h").as_unit("ns")
        end = pd.Timestamp(end).floor("h").as_unit("ns")
        return cls(start, int((end - start) / HOUR) + 1)

    def index(
        self, utc: pd.Series | pd.DatetimeIndex | NDArray[np.datetime64]
    ) -> NDArray[np.int64]:
        """Hour index of UTC timestamps (may fall outside ``0..n-1``)."""
        delta = pd.DatetimeIndex(utc) - self.t0
        return np.asarray(np.floor(delta / HOUR), dtype="int64")

    @property
    def hours(self) -> pd.DatetimeIndex:
        return pd.date_range(self.t0, periods=self.n, freq="h").as_unit("ns")


def gather(
    table: NDArray[np.float64], t: NDArray[np.int64], p: NDArray[np.intp] | None = None
) -> NDArray[np.float64]:
    """``table[t, p]`` (or ``table[t]`` for a 1-D series), NaN where ``t`` is off the grid."""
    inside = (t >= 0) & (t < table.shape[0])
    safe = np.where(inside, t, 0)
    picked = table[safe] if p is None else table[safe, p]
    return np.where(inside, picked, np.nan)


def window_stats(
    table: NDArray[np.float64],
    cutoffs: NDArray[np.int64],
    window: int,
    quantiles: tuple[float, ...] = (),
    spike: float | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Statistics of the trailing ``window`` hours ending at each cut-off (inclusive).

    Computed only at the distinct cut-offs rows need (one per issue time), not at every hour.
    A window with fewer than a quarter of its hours known gives NaN.

    Args:
        table: (hours, points) values, NaN where unknown.
        cutoffs: distinct hour indices; the window is ``cutoff - window + 1 .. cutoff``.
        window: length in hours.
        quantiles: quantile levels to compute.
        spike: when set, counts of values above ``spike`` and below ``-spike``.

    Returns:
        stat name → array (len(cutoffs), points): ``mean``, ``std``, ``min``, ``max``,
        ``q<level*100>`` for each quantile, ``spikes_pos``/``spikes_neg``.
    """
    names = ["mean", "std", "min", "max", *(f"q{round(q * 100)}" for q in quantiles)]
    if spike is not None:
        names += ["spikes_pos", "spikes_neg"]
    out = {n: np.full((len(cutoffs), table.shape[1]), np.nan) for n in names}
    for i, c in enumerate(cutoffs):
        lo = max(0, c - window + 1)
        if c < 0 or c >= table.shape[0]:
            continue
        w = table[lo : c + 1]
        known = np.isfinite(w).sum(axis=0)
        ok = known >= max(1, window // 4)
        if not ok.any():
            continue
        cols = w if ok.all() else w[:, ok]
        with quiet():
            out["mean"][i, ok], out["std"][i, ok] = _nan_mean_std(cols)
            out["min"][i, ok] = np.fmin.reduce(cols, axis=0)
            out["max"][i, ok] = np.fmax.reduce(cols, axis=0)
            if quantiles:
                for q, values in zip(
                    quantiles, _quantiles(cols, known[ok], quantiles), strict=True
                ):
                    out[f"q{round(q * 100)}"][i, ok] = values
            if spike is not None:
                out["spikes_pos"][i, ok] = (cols > spike).sum(axis=0)
                out["spikes_neg"][i, ok] = (cols < -spike).sum(axis=0)
    return out


def _nan_mean_std(cols: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``np.nanmean`` and ``np.nanstd`` down the columns, the same operations in the same order
    (so the same numbers), sharing the NaN mask, the count and the sum."""
    missing = np.isnan(cols)
    values = np.array(cols, copy=True)
    np.copyto(values, 0.0, where=missing)
    count = np.sum(~missing, axis=0, dtype=np.intp)
    mean = np.divide(np.sum(values, axis=0), count)
    np.subtract(values, mean, out=values)
    np.copyto(values, 0.0, where=missing)
    np.multiply(values, values, out=values)
    var = np.divide(np.sum(values, axis=0), count)
    var[count <= 0] = np.nan
    return mean, np.sqrt(var)


def _quantiles(
    cols: NDArray[np.float64], known: NDArray[np.intp], levels: tuple[float, ...]
) -> list[NDArray[np.float64]]:
    """Linear-interpolated quantiles per column ignoring NaN (numpy's default method).

    One sort serves every level; ``np.nanquantile`` is many times slower on wide arrays.
    """
    ordered = np.sort(cols, axis=0)  # NaN sort last
    out = []
    for q in levels:
        pos = q * (known - 1)
        lo = np.floor(pos).astype("int64")
        hi = np.minimum(lo + 1, known - 1)
        frac = pos - lo
        a = np.take_along_axis(ordered, lo[None, :], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None, :], axis=0)[0]
        out.append(a + (b - a) * frac)
    return out


def nanmedian_rows(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.nanmedian(values, axis=1)``, the same numbers, for many short rows at once: one
    sort, then the middle value (odd count) or the mean of the two middle values (even)."""
    ordered = np.sort(values, axis=1)  # NaN sort last
    known = (~np.isnan(values)).sum(axis=1)
    rows = np.arange(len(values))
    lo = ordered[rows, np.maximum((known - 1) // 2, 0)]
    hi = ordered[rows, np.maximum(known // 2, 0)] if values.shape[1] else lo
    out: NDArray[np.float64] = np.where(known % 2 == 1, lo, (lo + hi) / 2)
    out[known == 0] = np.nan
    return out
