"""The plain pandas way to the same features, for ``benchmarks/features.py``: read every table
into memory, convert every row's time, resample to hours, merge, ``groupby().shift`` /
``.rolling``. As-of rules only where obvious (real-time values known 33 hours later)."""

from __future__ import annotations

import glob
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ercot_dart.ercot.vocab import SourceTable

CENTRAL = "America/Chicago"


def naive_features(stage: Path) -> dict:
    """Read everything into pandas, convert every row's time, resample to hours, merge,
    groupby().shift / .rolling: the straightforward way, on data that fits in memory."""
    t0 = time.perf_counter()

    def read(table: str) -> pd.DataFrame:
        files = sorted(glob.glob(str(stage / table / "day=*" / "part.parquet")))
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    raw = {str(t): read(str(t)) for t in SourceTable}
    n_in = sum(len(f) for f in raw.values())

    def local(naive: pd.Series, repeated: pd.Series) -> pd.Series:
        # every row converted (no caching of distinct times)
        return naive.dt.tz_localize(CENTRAL, ambiguous=~repeated.to_numpy(), nonexistent="NaT")

    dam = raw["dam_spp"]
    he = dam["HourEnding"].str.slice(0, 2).astype(int)
    start = pd.to_datetime(dam["DeliveryDate"]) + pd.to_timedelta(he - 1, unit="h")
    dam["utc"] = local(start, dam["DSTFlag"] == "Y").dt.tz_convert("UTC")
    dam = dam.rename(columns={"SettlementPoint": "point", "SettlementPointPrice": "dam"})

    sced = raw["sced_lmp"]
    sced["utc"] = local(sced["SCEDTimestamp"], sced["RepeatedHourFlag"] == "Y").dt.tz_convert("UTC")
    sced_h = (
        sced.groupby(["SettlementPoint", pd.Grouper(key="utc", freq="h")])["LMP"]
        .mean()
        .rename("sced")
        .reset_index()
        .rename(columns={"SettlementPoint": "point"})
    )
    rtm = raw["rtm_spp"]
    rtm = rtm[rtm["SettlementPointType"] != "LZEW"]
    start = (
        pd.to_datetime(rtm["DeliveryDate"])
        + pd.to_timedelta(rtm["DeliveryHour"].astype(int) - 1, unit="h")
        + pd.to_timedelta((rtm["DeliveryInterval"].astype(int) - 1) * 15, unit="min")
    )
    rtm = rtm.assign(utc=local(start, rtm["DSTFlag"] == "Y").dt.tz_convert("UTC"))
    rtm_h = (
        rtm.groupby(["SettlementPointName", pd.Grouper(key="utc", freq="h")])[
            "SettlementPointPrice"
        ]
        .mean()
        .rename("rtm")
        .reset_index()
        .rename(columns={"SettlementPointName": "point"})
    )
    rt = rtm_h.merge(sced_h, on=["point", "utc"], how="outer")
    rt["rt"] = rt["rtm"].combine_first(rt["sced"])
    prices = dam[["point", "utc", "dam"]].merge(
        rt[["point", "utc", "rt"]], on=["point", "utc"], how="outer"
    )
    prices["dart"] = prices["dam"] - prices["rt"]
    prices = prices.sort_values(["point", "utc"]).set_index("utc")

    # lags and rolling windows per point on a complete hourly index; real-time values are
    # taken as known 33 hours later (the training issue time), DAM ones a day later
    frames = []
    for point, g in prices.groupby("point"):
        g = g.asfreq("h")
        g["point"] = point
        frames.append(g)
    full = pd.concat(frames).reset_index()
    by = full.groupby("point")
    out = full[["point", "utc", "dart"]].copy()
    for k in (24, 48, 168):
        out[f"dam_lag{k}h"] = by["dam"].shift(k)
    for k in (48, 168):
        out[f"rt_lag{k}h"] = by["rt"].shift(k)
        out[f"dart_lag{k}h"] = by["dart"].shift(k)
    known = by["dart"].shift(33)
    full["dart_known"] = known
    roll = full.groupby("point")["dart_known"]
    for days in (1, 7, 28):
        r = roll.rolling(24 * days, min_periods=6 * days)
        out[f"dart_mean_{days}d"] = r.mean().reset_index(level=0, drop=True)
        out[f"dart_std_{days}d"] = r.std(ddof=0).reset_index(level=0, drop=True)
        out[f"dart_min_{days}d"] = r.min().reset_index(level=0, drop=True)
        out[f"dart_max_{days}d"] = r.max().reset_index(level=0, drop=True)
        if days > 1:
            for q in (0.1, 0.5, 0.9):
                out[f"dart_q{round(q * 100)}_{days}d"] = r.quantile(q).reset_index(
                    level=0, drop=True
                )
            for sign, name in ((1, "pos"), (-1, "neg")):
                spikes = (sign * full["dart_known"] > 50).astype(float).groupby(full["point"])
                out[f"dart_spikes_{name}_{days}d"] = (
                    spikes.rolling(24 * days).sum().reset_index(level=0, drop=True)
                )
    rt_known = by["rt"].shift(33).groupby(full["point"]).rolling(24)
    out["rt_mean_1d"] = rt_known.mean().reset_index(level=0, drop=True)
    out["rt_std_1d"] = rt_known.std(ddof=0).reset_index(level=0, drop=True)
    out["rt_max_1d"] = rt_known.max().reset_index(level=0, drop=True)
    # the same hour on the 7 days before the latest known one
    same = pd.concat([by["dart"].shift(24 * k) for k in range(2, 9)], axis=1)
    out["dart_same_hour_mean_7d"] = same.mean(axis=1)
    out["dart_same_hour_median_7d"] = same.median(axis=1)
    # cross-point: the hubs' average each hour and each point's basis to it
    hubs = full[full["point"].str.startswith("HB_")].groupby("utc")[["dam", "dart"]].mean()
    hub = hubs.reindex(full["utc"]).to_numpy()
    out["hub_dam_lag24h"] = (
        pd.Series(hub[:, 0]).groupby(full["point"].to_numpy()).shift(24).to_numpy()
    )
    out["basis_dam_lag24h"] = out["dam_lag24h"] - out["hub_dam_lag24h"]
    local_t = out["utc"].dt.tz_convert(CENTRAL)
    out["hour_ending"] = local_t.dt.hour + 1
    out["day_of_week"] = local_t.dt.day_of_week
    out["month"] = local_t.dt.month
    out["hour_sin"] = np.sin(2 * np.pi * (local_t.dt.hour + 0.5) / 24)
    out["hour_cos"] = np.cos(2 * np.pi * (local_t.dt.hour + 0.5) / 24)

    # system: the latest load forecast posted before the issue time (09:00 the day before)
    lf = raw["load_forecast"]
    lf = lf[lf["InUseFlag"] == "Y"].copy()
    he = lf["HourEnding"].str.slice(0, 2).astype(int)
    start = pd.to_datetime(lf["DeliveryDate"]) + pd.to_timedelta(he - 1, unit="h")
    lf["utc"] = local(start, lf["DSTFlag"] == "Y").dt.tz_convert("UTC")
    lf["posted"] = (
        lf["PostedDatetime"]
        .dt.tz_localize(CENTRAL, ambiguous="NaT", nonexistent="NaT")
        .dt.tz_convert("UTC")
    )
    issue = (local_t.dt.normalize() - pd.Timedelta(hours=15)).dt.tz_convert("UTC")
    out["issue"] = issue.dt.as_unit("ns")
    lf = lf.dropna(subset=["posted"]).sort_values("posted")
    lf["posted"] = lf["posted"].dt.as_unit("ns")
    lf["utc"] = lf["utc"].dt.as_unit("ns")
    out["utc"] = out["utc"].dt.as_unit("ns")
    out = pd.merge_asof(
        out.sort_values("issue"),
        lf[["utc", "posted", "SystemTotal"]].rename(columns={"SystemTotal": "load_fc_total"}),
        left_on="issue",
        right_on="posted",
        by="utc",
    )
    out = out[out["dart"].notna() | out["dam_lag24h"].notna()]
    return {
        "rows_in": n_in,
        "rows_out": len(out),
        "columns": out.shape[1],
        "wall_s": time.perf_counter() - t0,
    }
