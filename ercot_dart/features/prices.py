"""Price features of each row, as known at its issue time: lags, rolling DART statistics,
same-hour history and cross-point (hub) features. Pure.

Every value used is published by the row's ``issue_time_utc``: a real-time (and so DART) value
for hour j only if j ≤ the row's real-time cut-off, a DAM value only if its publication time is
not after the issue time (see :mod:`ercot_dart.features.asof`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.features.asof import AsOfRules, at_local, dam_published, local_day, rt_cutoff
from ercot_dart.features.codes import sorted_codes
from ercot_dart.features.grid import HourGrid, gather, nanmedian_rows, quiet, window_stats

DART_SPIKE = 50.0  # $/MWh: a DART beyond ±50 counts as a spike
SAME_HOUR_DAYS = 7


@dataclass(frozen=True)
class PricePanel:
    """Hourly DAM, real-time and DART prices on a dense grid (hours × settlement points)."""

    grid: HourGrid
    points: NDArray[np.object_]
    dam: NDArray[np.float64]
    rt: NDArray[np.float64]
    dart: NDArray[np.float64]
    from_sced: NDArray[np.float64]
    dam_published: NDArray[np.int64]  # per grid hour, UTC ns
    hubs: NDArray[np.intp]  # column indices of the trading hubs
    unique: bool = True  # no (hour, point) cell was given twice

    @classmethod
    def build(
        cls,
        prices: pd.DataFrame,
        grid: HourGrid,
        rules: AsOfRules,
        names: NDArray[np.object_] | None = None,
        codes: NDArray[np.intp] | None = None,
        rows: NDArray[np.bool_] | None = None,
    ) -> PricePanel:
        """From :func:`ercot_dart.features.hourly.hourly_prices` output.

        Args:
            prices: the hourly prices.
            grid: the hour axis.
            rules: publication rules.
            names, codes: the sorted point names and each price row's index into them
                (computed when not given).
            rows: mask of the price rows to use (default all).
        """
        if names is None or codes is None:
            names, codes = sorted_codes(prices["settlement_point"])
        if rows is None:
            rows = np.ones(len(prices), bool)
        codes = codes[rows]
        present = np.bincount(codes, minlength=len(names)) > 0
        points = names[present]
        codes = (np.cumsum(present) - 1)[codes]
        t = grid.index(prices["interval_start_utc"][rows])
        inside = (t >= 0) & (t < grid.n)
        t, codes = t[inside], codes[inside]
        cells = t * len(points) + codes
        unique = len(cells) == 0 or int(np.bincount(cells).max()) <= 1

        def lay(values: NDArray[np.float64]) -> NDArray[np.float64]:
            out = np.full((grid.n, len(points)), np.nan)
            out[t, codes] = values[rows][inside]
            return out

        source = prices["rt_source"]
        sced = (source == "sced_lmp").to_numpy("float64", na_value=0.0)
        sced[source.isna().to_numpy()] = np.nan
        hubs = np.flatnonzero(
            np.char.startswith(points.astype(str), "HB_")
            & ~np.isin(points, ["HB_BUSAVG", "HB_HUBAVG"])
        )
        return cls(
            grid=grid,
            points=points,
            dam=lay(prices["dam_price"].to_numpy("float64")),
            rt=lay(prices["rt_price"].to_numpy("float64")),
            dart=lay(prices["dart"].to_numpy("float64")),
            from_sced=lay(sced),
            dam_published=dam_published(grid.hours, rules).asi8,
            hubs=hubs,
            unique=unique,
        )

    def lookup(self, names: pd.Series) -> NDArray[np.intp]:
        """Column index of each name; −1 for a name not on the panel."""
        codes, uniq = pd.factorize(names)
        uniq = np.asarray(uniq, dtype=object)
        at = np.minimum(np.searchsorted(self.points, uniq), max(len(self.points) - 1, 0))
        found = (self.points[at] == uniq) if len(self.points) else np.zeros(len(uniq), bool)
        return cast("NDArray[np.intp]", np.where(found, at, -1)[codes])

    def hub_average(self, table: NDArray[np.float64]) -> NDArray[np.float64]:
        """The mean over the trading hubs at each hour (NaN where no hub has a value)."""
        if not len(self.hubs):
            return np.full(table.shape[0], np.nan)
        with quiet():
            return cast("NDArray[np.float64]", np.nanmean(table[:, self.hubs], axis=1))


def price_features(
    panel: PricePanel,
    rows: pd.DataFrame,
    rules: AsOfRules,
    h: NDArray[np.int64] | None = None,
    p: NDArray[np.intp] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Price features ($/MWh, counts, float64) for ``rows`` (settlement_point, interval_start_utc,
    issue_time_utc); ``h`` and ``p`` are the rows' grid hour and panel column when known."""
    g = panel.grid
    if h is None:
        h = g.index(rows["interval_start_utc"])
    if p is None:
        p = panel.lookup(rows["settlement_point"])
    issue = pd.DatetimeIndex(rows["issue_time_utc"]).asi8
    c = rt_cutoff(rows["issue_time_utc"], g.t0, rules)
    published = panel.dam_published.astype("float64")
    out: dict[str, NDArray[np.float64]] = {}

    def dam_lag(
        k: int, table: NDArray[np.float64], col: NDArray[np.intp] | None
    ) -> NDArray[np.float64]:
        j = h - k
        known = gather(published, j) <= issue
        return np.where(known, gather(table, j, col), np.nan)

    def rt_lag(
        k: int, table: NDArray[np.float64], col: NDArray[np.intp] | None
    ) -> NDArray[np.float64]:
        j = h - k
        return np.where(j <= c, gather(table, j, col), np.nan)

    for k in (24, 48, 168):
        out[f"dam_lag{k}h"] = dam_lag(k, panel.dam, p)
    for k in (48, 168):
        out[f"rt_lag{k}h"] = rt_lag(k, panel.rt, p)
        out[f"dart_lag{k}h"] = rt_lag(k, panel.dart, p)
    out["rt_last_known"] = gather(panel.rt, c, p)
    out["rt_from_sced"] = gather(panel.from_sced, c, p)

    # the same hour on the most recent days whose real-time price is known at issue time
    first = np.maximum(1, -((c - h) // 24))  # smallest k with h - 24k <= c
    days = first[:, None] + np.arange(SAME_HOUR_DAYS)[None, :]
    same = gather(panel.dart, h[:, None] - 24 * days, p[:, None])
    same_rt = gather(panel.rt, h - 24 * first, p)
    out["dart_same_hour_latest"] = same[:, 0]
    out["rt_same_hour_latest"] = same_rt
    with quiet():
        out["dart_same_hour_mean_7d"] = np.nanmean(same, axis=1)
        out["dart_same_hour_median_7d"] = nanmedian_rows(same)

    out.update(_previous_day_dam(panel, rows, issue, p, published))

    cut, which = np.unique(c, return_inverse=True)
    specs = {1: ((), None), 7: ((0.1, 0.5, 0.9), DART_SPIKE), 28: ((0.1, 0.5, 0.9), DART_SPIKE)}
    for days_, (qs, spike) in specs.items():
        stats = window_stats(panel.dart, cut, 24 * days_, qs, spike)
        for stat, table in stats.items():
            out[f"dart_{stat}_{days_}d"] = table[which, p]
    rt_stats = window_stats(panel.rt, cut, 24)
    for stat in ("mean", "std", "max"):
        out[f"rt_{stat}_1d"] = rt_stats[stat][which, p]

    # cross-point: the trading hubs' average and each point's basis to it
    hub_dam = panel.hub_average(panel.dam)
    hub_dart = panel.hub_average(panel.dart)
    out["hub_dam_lag24h"] = dam_lag(24, hub_dam, None)
    out["basis_dam_lag24h"] = out["dam_lag24h"] - out["hub_dam_lag24h"]
    hub_stats = window_stats(hub_dart[:, None], cut, 24 * 7)
    out["hub_dart_mean_7d"] = hub_stats["mean"][which, 0]
    out["basis_dart_mean_7d"] = out["dart_mean_7d"] - out["hub_dart_mean_7d"]
    out["hub_rt_last_known"] = gather(panel.hub_average(panel.rt), c)
    return out


def _previous_day_dam(
    panel: PricePanel,
    rows: pd.DataFrame,
    issue: NDArray[np.int64],
    p: NDArray[np.intp],
    published: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """DAM over the 24 hours before the delivery day starts (the previous operating day), if
    published by the issue time; computed once per (delivery day, issue time, point)."""
    if not len(rows):
        empty = np.zeros(0)
        return {f"dam_prev_day_{s}": empty for s in ("mean", "max", "min")}
    g = panel.grid
    hour, hours = pd.factorize(rows["interval_start_utc"])
    day_start = g.index(at_local(local_day(hours), time(0, 0), 0))[hour]
    when, _ = pd.factorize(issue)
    start, _ = pd.factorize(day_start)
    combo, _ = pd.factorize(
        (start.astype("int64") * (when.max() + 1) + when) * len(panel.points) + p
    )
    _, rep = np.unique(combo, return_index=True)
    prev = day_start[rep][:, None] - 24 + np.arange(24)[None, :]
    known = gather(published, prev) <= issue[rep][:, None]
    prev_dam = np.where(known, gather(panel.dam, prev, p[rep][:, None]), np.nan)
    with quiet():
        stats = {
            "dam_prev_day_mean": np.nanmean(prev_dam, axis=1),
            "dam_prev_day_max": np.nanmax(prev_dam, axis=1),
            "dam_prev_day_min": np.nanmin(prev_dam, axis=1),
        }
    return {name: values[combo] for name, values in stats.items()}
