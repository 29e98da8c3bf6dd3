"""Price features of each row, as known at its issue time: lags, rolling DART statistics,
same-hour history and cross-point (hub) features. Pure.

Every value used is published by the row's ``issue_time_utc``: a real-time (and so DART) value
for hour j only if j ≤ the row's real-time cut-off, a DAM value only if its publication time is
not after the issue time (see :mod:`ercot_dart.features.asof`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import numpy as np
import pandas as pd

from ercot_dart.features.asof import AsOfRules, at_local, dam_published, local_day, rt_cutoff
from ercot_dart.features.grid import HourGrid, dense, gather, quiet, window_stats

DART_SPIKE = 50.0  # $/MWh: a DART beyond ±50 counts as a spike
SAME_HOUR_DAYS = 7


@dataclass(frozen=True)
class PricePanel:
    """Hourly DAM, real-time and DART prices on a dense grid (hours × settlement points)."""

    grid: HourGrid
    points: np.ndarray
    dam: np.ndarray
    rt: np.ndarray
    dart: np.ndarray
    from_sced: np.ndarray
    dam_published: np.ndarray  # per grid hour, UTC ns
    hubs: np.ndarray  # column indices of the trading hubs

    @classmethod
    def build(cls, prices: pd.DataFrame, grid: HourGrid, rules: AsOfRules) -> PricePanel:
        """From :func:`ercot_dart.features.hourly.hourly_prices` output."""
        points, codes = np.unique(prices["settlement_point"].to_numpy(str), return_inverse=True)
        at = prices["interval_start_utc"]

        def lay(column: str) -> np.ndarray:
            return dense(grid, points, codes, at, prices[column].to_numpy("float64"))

        sced = (prices["rt_source"] == "sced_lmp").to_numpy("float64")
        sced[prices["rt_source"].isna().to_numpy()] = np.nan
        hubs = np.flatnonzero(
            np.char.startswith(points.astype(str), "HB_")
            & ~np.isin(points, ["HB_BUSAVG", "HB_HUBAVG"])
        )
        return cls(
            grid=grid,
            points=points,
            dam=lay("dam_price"),
            rt=lay("rt_price"),
            dart=lay("dart"),
            from_sced=dense(grid, points, codes, at, sced),
            dam_published=dam_published(grid.hours, rules).asi8,
            hubs=hubs,
        )

    def hub_average(self, table: np.ndarray) -> np.ndarray:
        """The mean over the trading hubs at each hour (NaN where no hub has a value)."""
        if not len(self.hubs):
            return np.full(table.shape[0], np.nan)
        with quiet():
            return np.nanmean(table[:, self.hubs], axis=1)


def price_features(panel: PricePanel, rows: pd.DataFrame, rules: AsOfRules) -> pd.DataFrame:
    """Price features for ``rows`` (settlement_point, interval_start_utc, issue_time_utc)."""
    g = panel.grid
    h = g.index(rows["interval_start_utc"])
    p = np.searchsorted(panel.points, rows["settlement_point"].to_numpy(str))
    issue = pd.DatetimeIndex(rows["issue_time_utc"]).asi8
    c = rt_cutoff(rows["issue_time_utc"], g.t0, rules)
    out: dict[str, np.ndarray] = {}

    def dam_lag(k: int, table: np.ndarray, col: np.ndarray | None) -> np.ndarray:
        j = h - k
        known = gather(panel.dam_published.astype("float64"), j) <= issue
        return np.where(known, gather(table, j, col), np.nan)

    def rt_lag(k: int, table: np.ndarray, col: np.ndarray | None) -> np.ndarray:
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
        out["dart_same_hour_median_7d"] = np.nanmedian(same, axis=1)

    # DAM over the 24 hours before the delivery day starts (the previous operating day)
    day_start = g.index(at_local(local_day(rows["interval_start_utc"]), time(0, 0), 0))
    prev = day_start[:, None] - 24 + np.arange(24)[None, :]
    known = gather(panel.dam_published.astype("float64"), prev) <= issue[:, None]
    prev_dam = np.where(known, gather(panel.dam, prev, p[:, None]), np.nan)
    with quiet():
        out["dam_prev_day_mean"] = np.nanmean(prev_dam, axis=1)
        out["dam_prev_day_max"] = np.nanmax(prev_dam, axis=1)
        out["dam_prev_day_min"] = np.nanmin(prev_dam, axis=1)

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
    return pd.DataFrame({k: v.astype("float32") for k, v in out.items()}, index=rows.index)
