"""System-wide features as known at issue time: load, wind and solar forecasts (latest vintage
posted by the issue time), net load, recent forecast errors, DAM AS prices, system lambda. Pure.

Each function takes ``keys`` — the distinct (interval_start_utc, issue_time_utc) pairs of the
rows — and returns one feature frame aligned with it. A source that is absent (None or empty)
contributes no columns: its features are left out.
"""

from __future__ import annotations

from typing import TypeGuard, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.features.asof import (
    AsOfRules,
    actual_load_published,
    dam_published,
    rt_cutoff,
    training_issue_time,
)
from ercot_dart.features.grid import HourGrid, gather, window_stats

LOAD_ZONES = {
    "SystemTotal": "load_fc_total",
    "Coast": "load_fc_coast",
    "East": "load_fc_east",
    "FarWest": "load_fc_far_west",
    "North": "load_fc_north",
    "NorthCentral": "load_fc_north_central",
    "SouthCentral": "load_fc_south_central",
    "Southern": "load_fc_southern",
    "West": "load_fc_west",
}
WIND_SERIES = {
    "STWPF_SYSTEM_WIDE": "wind_fc",
    "COP_HSL_SYSTEM_WIDE": "wind_cop_hsl",
    "STWPF_LZ_WEST": "wind_fc_lz_west",
    "STWPF_LZ_NORTH": "wind_fc_lz_north",
    "STWPF_LZ_SOUTH_HOUSTON": "wind_fc_lz_south_houston",
}
SOLAR_SERIES = {"STPPF_SYSTEM_WIDE": "solar_fc", "COP_HSL_SYSTEM_WIDE": "solar_cop_hsl"}
AS_TYPES = ("REGUP", "REGDN", "RRS", "ECRS", "NSPIN")
ACTUAL = "SYSTEM_WIDE_GEN"  # wind and solar actuals, for the forecast errors
USED = {
    "load_forecast": tuple(LOAD_ZONES),
    "actual_load": ("TOTAL",),
    "wind_power": (*WIND_SERIES, ACTUAL),
    "solar_power": (*SOLAR_SERIES, ACTUAL),
}
"""The columns of the wide system tables the features read: the others need no melting."""
LAMBDA_SPIKE = 100.0  # $/MWh
# an hour with no actual at all constrains nothing: it has no value to leak
UNKNOWN = np.iinfo("int64").min


def _present(frame: pd.DataFrame | None) -> TypeGuard[pd.DataFrame]:
    return frame is not None and not frame.empty


def latest_vintage(long: pd.DataFrame, keys: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """For each key, the values of the latest posting made by the issue time that covers
    the delivery hour. ``long`` is (posted_utc, interval_start_utc, series, value).

    A posting's value of a series is the last non-missing one it gives; a posting with no
    value for a series gives NaN there (an earlier posting's value is not carried forward).
    """
    out = pd.DataFrame(index=keys.index)
    codes, series = pd.factorize(long["series"], use_na_sentinel=False)
    slot = pd.Index(list(names)).get_indexer(series)[codes]  # position in names, -1: not wanted
    value = long["value"].to_numpy("float64")
    rows = np.flatnonzero((slot >= 0) & ~np.isnan(value))
    if not len(rows):
        return out
    present = np.unique(slot[rows])
    column = np.searchsorted(present, slot[rows])
    value = value[rows]
    # a posting as one integer that orders like (hour, posting time): both ranked through
    # their few distinct values; the latest posting by an issue time is then one search away
    start = _ns(long["interval_start_utc"])[rows]
    posted = _ns(long["posted_utc"])[rows]
    hours, times = np.sort(pd.unique(start)), np.sort(pd.unique(posted))
    width = len(times) + 1
    pair = np.searchsorted(hours, start) * width + np.searchsorted(times, posted, side="right")
    posting, postings = pd.factorize(pair)
    last = np.full(len(postings) * len(present), -1)
    np.maximum.at(last, posting * len(present) + column, np.arange(len(rows)))
    table = np.where(last >= 0, value[np.maximum(last, 0)], np.nan).reshape(-1, len(present))
    order = np.argsort(postings)
    postings, table = postings[order], table[order]
    want = _ns(keys["interval_start_utc"])
    hour = np.minimum(np.searchsorted(hours, want), len(hours) - 1)
    query = hour * width + np.searchsorted(times, _ns(keys["issue_time_utc"]), side="right")
    j = np.maximum(np.searchsorted(postings, query, side="right") - 1, 0)
    found = (hours[hour] == want) & (postings[j] <= query) & (postings[j] // width == hour)
    feature = list(names.values())
    for k, position in enumerate(present):
        out[feature[position]] = np.where(found, table[j, k], np.nan)
    return out


def _ns(stamps: pd.Series) -> NDArray[np.int64]:
    """Timestamps as int64 nanoseconds (UTC)."""
    return cast("NDArray[np.int64]", pd.DatetimeIndex(stamps).as_unit("ns").asi8)


def forecast_features(
    keys: pd.DataFrame,
    load_fc: pd.DataFrame | None,
    wind: pd.DataFrame | None,
    solar: pd.DataFrame | None,
) -> pd.DataFrame:
    """Load, wind and solar forecasts for the delivery hour, net load and its ramp (MW)."""
    parts = []
    if _present(load_fc):
        parts.append(latest_vintage(load_fc, keys, LOAD_ZONES))
    if _present(wind):
        parts.append(latest_vintage(wind, keys, WIND_SERIES))
    if _present(solar):
        parts.append(latest_vintage(solar, keys, SOLAR_SERIES))
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=keys.index)
    if "load_fc_total" in out:
        net = out["load_fc_total"] - out.get("wind_fc", 0.0) - out.get("solar_fc", 0.0)
        out["net_load_fc"] = net
        # ramp: change from the previous hour, as forecast by the same issue time
        prev = keys.assign(
            net=net.to_numpy(), at=keys["interval_start_utc"] + pd.Timedelta(hours=1)
        )
        lookup = prev.set_index(["at", "issue_time_utc"])["net"]
        lookup = lookup[~lookup.index.duplicated()]
        idx = pd.MultiIndex.from_arrays([keys["interval_start_utc"], keys["issue_time_utc"]])
        out["net_load_fc_ramp"] = net.to_numpy() - lookup.reindex(idx).to_numpy()
        if "wind_fc" in out or "solar_fc" in out:
            renew = out.get("wind_fc", 0.0) + out.get("solar_fc", 0.0)
            out["renewable_share_fc"] = renew / out["load_fc_total"]
    return out


def _error_series(
    grid: HourGrid,
    forecast: pd.DataFrame,
    actual: pd.Series,
    known_at: NDArray[np.int64],
    rules: AsOfRules,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Hourly day-ahead forecast error (forecast as of each hour's training issue time − actual)
    on the grid, and the time (UTC ns) each error is known, made non-decreasing: an hour counts
    as known only once every earlier hour is (conservative)."""
    hours = grid.hours
    keys = pd.DataFrame(
        {"interval_start_utc": hours, "issue_time_utc": training_issue_time(hours, rules)}
    )
    fc = latest_vintage(forecast, keys, {actual.name: "fc"})
    error = (fc["fc"].to_numpy() if "fc" in fc else np.full(grid.n, np.nan)) - actual.reindex(
        hours
    ).to_numpy()
    return error, np.maximum.accumulate(known_at)


def _recent_error(
    error: NDArray[np.float64], known: NDArray[np.int64], issue: NDArray[np.int64], hours: int
) -> dict[str, NDArray[np.float64]]:
    """Mean and mean absolute error over the last ``hours`` known at each issue time."""
    cut = np.searchsorted(known, issue, side="right") - 1
    uniq, which = np.unique(cut, return_inverse=True)
    mean = window_stats(error[:, None], uniq, hours)["mean"][which, 0]
    mae = window_stats(np.abs(error)[:, None], uniq, hours)["mean"][which, 0]
    return {"mean": mean, "mae": mae}


def error_features(
    keys: pd.DataFrame,
    grid: HourGrid,
    rules: AsOfRules,
    load_fc: pd.DataFrame | None,
    actual_load: pd.DataFrame | None,
    wind: pd.DataFrame | None,
    solar: pd.DataFrame | None,
) -> pd.DataFrame:
    """Recent forecast errors (forecast − actual, MW) of load, wind and solar over the last
    24 hours whose actuals are published by the issue time, and the last known actual load."""
    out = pd.DataFrame(index=keys.index)
    issue = pd.DatetimeIndex(keys["issue_time_utc"]).asi8
    hours = grid.hours
    if _present(actual_load):
        total = actual_load[actual_load["series"] == "TOTAL"].set_index("interval_start_utc")[
            "value"
        ]
        total = total[~total.index.duplicated(keep="last")].rename("SystemTotal")
        known = actual_load_published(hours, rules).asi8  # non-decreasing by construction
        cut = np.searchsorted(known, issue, side="right") - 1
        uniq, which = np.unique(cut, return_inverse=True)
        actual = total.reindex(hours).to_numpy()[:, None]
        out["actual_load_mean_1d"] = window_stats(actual, uniq, 24)["mean"][which, 0]
        if _present(load_fc):
            error, known_ns = _error_series(grid, load_fc, total, known, rules)
            stats = _recent_error(error, known_ns, issue, 24)
            out["load_fc_error_1d"], out["load_fc_abs_error_1d"] = stats["mean"], stats["mae"]
    for name, long, fc_series in (
        ("wind", wind, "STWPF_SYSTEM_WIDE"),
        ("solar", solar, "STPPF_SYSTEM_WIDE"),
    ):
        if not _present(long):
            continue
        gen = long[long["series"] == ACTUAL].sort_values("posted_utc")
        if gen.empty:
            continue  # postings without actuals (the Public API regional files)
        first = gen.drop_duplicates("interval_start_utc", keep="first").set_index(
            "interval_start_utc"
        )
        actual = first["value"].rename(fc_series)
        posted = pd.DatetimeIndex(first["posted_utc"].reindex(hours))
        known_at = np.where(posted.isna(), UNKNOWN, posted.asi8)
        error, known_ns = _error_series(grid, long, actual, known_at, rules)
        stats = _recent_error(error, known_ns, issue, 24)
        out[f"{name}_fc_error_1d"], out[f"{name}_fc_abs_error_1d"] = stats["mean"], stats["mae"]
    return out


def as_features(
    keys: pd.DataFrame, grid: HourGrid, rules: AsOfRules, as_prices: pd.DataFrame | None
) -> pd.DataFrame:
    """DAM AS clearing prices ($/MW) of the same hour on the previous day, where published."""
    out = pd.DataFrame(index=keys.index)
    if not _present(as_prices):
        return out
    h = grid.index(keys["interval_start_utc"]) - 24
    published = dam_published(grid.hours, rules).asi8.astype("float64")
    known = gather(published, h) <= pd.DatetimeIndex(keys["issue_time_utc"]).asi8
    for kind in AS_TYPES:
        series = as_prices[as_prices["series"] == kind]
        if series.empty:
            continue
        table = np.full(grid.n, np.nan)
        t = grid.index(series["interval_start_utc"])
        inside = (t >= 0) & (t < grid.n)
        table[t[inside]] = series["value"].to_numpy()[inside]
        out[f"as_{kind.lower()}_lag24h"] = np.where(known, gather(table, h), np.nan)
    return out


def lambda_features(
    keys: pd.DataFrame, grid: HourGrid, rules: AsOfRules, lam: pd.DataFrame | None
) -> pd.DataFrame:
    """System lambda ($/MWh) statistics over the hours known at issue time."""
    out = pd.DataFrame(index=keys.index)
    if not _present(lam):
        return out
    t = grid.index(lam["sced_utc"])
    inside = (t >= 0) & (t < grid.n)
    t, values = t[inside], lam["value"].to_numpy()[inside]
    counts = np.bincount(t, minlength=grid.n)
    with np.errstate(all="ignore"):
        mean = np.bincount(t, weights=values, minlength=grid.n) / counts
    peak = np.full(grid.n, -np.inf)
    np.maximum.at(peak, t, values)
    peak[counts == 0] = np.nan
    c = rt_cutoff(keys["issue_time_utc"], grid.t0, rules)
    uniq, which = np.unique(c, return_inverse=True)
    day = window_stats(mean[:, None], uniq, 24)
    week = window_stats(peak[:, None], uniq, 24 * 7, spike=LAMBDA_SPIKE)
    out["lambda_mean_1d"] = day["mean"][which, 0]
    out["lambda_std_1d"] = day["std"][which, 0]
    out["lambda_max_1d"] = window_stats(peak[:, None], uniq, 24)["max"][which, 0]
    out["lambda_last_known"] = gather(mean, c)
    out["lambda_spike_hours_7d"] = week["spikes_pos"][which, 0]
    return out
