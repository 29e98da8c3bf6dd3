"""Source rows → one hourly price table keyed by (settlement point, delivery hour). Pure.

Real-time prices come to hourly on ERCOT's native keys (delivery date, hour ending, DST flag),
are joined there with the DAM, and only then converted to UTC interval starts:

- ``rtm_spp``: the hourly price is the mean of the hour's 15-minute settlement point prices
  (the spec's target). A load zone appears twice (types LZ and LZEW): the LZ row is used.
- ``sced_lmp``: stands in where ``rtm_spp`` has no price for a point and hour. A SCED run
  belongs to the hour its timestamp falls in (local clock, the RepeatedHourFlag telling the two
  01:xx hours of the fall-back day apart); the hourly price is the plain mean of the runs in
  that hour. A run that straddles an hour boundary (e.g. 00:58:40) counts wholly in the hour
  it starts in: SCED prices are set for the interval that starts at the run.

``rt_source`` says which table each hour's real-time price came from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ercot_dart.ercot.timeconv import fall_back_dates, hour_ending_to_utc
from ercot_dart.ercot.values import parse_hour_ending
from ercot_dart.features.asof import utc_ns

NATIVE = ["settlement_point", "delivery_date", "hour_ending", "dst_flag"]
# Where a name carries two types (a load zone as LZ and LZEW), the first type listed wins.
_TYPE_ORDER = ["HU", "SH", "AH", "LZ", "LZ_DC", "RN", "PCCRN", "LCCRN", "PUN", "LZEW", "LZ_DCEW"]


def as_day(values: pd.Series) -> pd.Series:
    """Dates (datetime64, ``datetime.date`` or ISO text) → naive midnight datetime64[ns]."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.normalize().astype("datetime64[ns]")
    return pd.to_datetime(values.astype(str), format="%Y-%m-%d").astype("datetime64[ns]")


def _flag(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(bool)
    return (values.astype(str).str.strip().str.upper() == "Y").to_numpy()


def _hours(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(values):
        return values.to_numpy("int64")
    return parse_hour_ending(values).to_numpy("int64")


def dam_hourly(dam: pd.DataFrame) -> pd.DataFrame:
    """``dam_spp`` rows → native keys + ``dam_price`` ($/MWh)."""
    return pd.DataFrame(
        {
            "settlement_point": dam["SettlementPoint"].astype(str).to_numpy(),
            "delivery_date": as_day(dam["DeliveryDate"]).to_numpy(),
            "hour_ending": _hours(dam["HourEnding"]),
            "dst_flag": _flag(dam["DSTFlag"]),
            "dam_price": dam["SettlementPointPrice"].astype("float64").to_numpy(),
        }
    )


def rtm_hourly(rtm: pd.DataFrame) -> pd.DataFrame:
    """``rtm_spp`` 15-minute rows → native keys + ``rt_price`` (mean of the hour's intervals)."""
    if rtm.empty:
        return _empty_rt()
    types = rtm["SettlementPointType"].astype(str).str.strip()
    rank = types.map({t: i for i, t in enumerate(_TYPE_ORDER)}).fillna(len(_TYPE_ORDER))
    names = rtm["SettlementPointName"].astype(str)
    best = rank.groupby(names).transform("min")
    keep = (rank == best).to_numpy()
    frame = pd.DataFrame(
        {
            "settlement_point": names.to_numpy()[keep],
            "delivery_date": as_day(rtm["DeliveryDate"]).to_numpy()[keep],
            "hour_ending": _hours(rtm["DeliveryHour"])[keep],
            "dst_flag": _flag(rtm["DSTFlag"])[keep],
            "price": rtm["SettlementPointPrice"].astype("float64").to_numpy()[keep],
        }
    )
    out = frame.groupby(NATIVE, sort=False, observed=True)["price"].agg(["mean", "size"])
    out = out.reset_index().rename(columns={"mean": "rt_price", "size": "rt_samples"})
    out["rt_source"] = "rtm_spp"
    return out


def sced_hourly(sced: pd.DataFrame) -> pd.DataFrame:
    """``sced_lmp`` rows → native keys + ``rt_price`` (plain mean of the hour's SCED runs)."""
    if sced.empty:
        return _empty_rt()
    stamps = pd.to_datetime(sced["SCEDTimestamp"]).to_numpy("datetime64[ns]")
    flag = _flag(sced["RepeatedHourFlag"])
    hour_start = stamps.astype("datetime64[h]")
    day = hour_start.astype("datetime64[D]")
    hour_of_day = (hour_start - day).astype("int64")
    if flag.any():  # the flag only means something in 01:xx of the fall-back day
        valid = (hour_of_day == 1) & fall_back_dates(pd.Series(day.astype("datetime64[ns]")))
        flag = flag & valid
    points, point_codes = np.unique(
        sced["SettlementPoint"].astype(str).to_numpy(), return_inverse=True
    )
    hour_code = hour_start.astype("int64") * 2 + flag
    lo = hour_code.min()
    key = point_codes.astype("int64") * (hour_code.max() - lo + 1) + (hour_code - lo)
    uniq, inverse = np.unique(key, return_inverse=True)
    prices = sced["LMP"].astype("float64").to_numpy()
    sums = np.bincount(inverse, weights=prices)
    counts = np.bincount(inverse)
    span = hour_code.max() - lo + 1
    u_hour = uniq % span + lo
    u_start = (u_hour // 2).astype("datetime64[h]")
    u_day = u_start.astype("datetime64[D]")
    return pd.DataFrame(
        {
            "settlement_point": points[uniq // span],
            "delivery_date": u_day.astype("datetime64[ns]"),
            "hour_ending": (u_start - u_day).astype("int64") + 1,
            "dst_flag": (u_hour % 2).astype(bool),
            "rt_price": sums / counts,
            "rt_samples": counts,
            "rt_source": "sced_lmp",
        }
    )


def _empty_rt() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "settlement_point": pd.Series(dtype=object),
            "delivery_date": pd.Series(dtype="datetime64[ns]"),
            "hour_ending": pd.Series(dtype="int64"),
            "dst_flag": pd.Series(dtype=bool),
            "rt_price": pd.Series(dtype="float64"),
            "rt_samples": pd.Series(dtype="int64"),
            "rt_source": pd.Series(dtype=object),
        }
    )


def hourly_prices(dam: pd.DataFrame, rtm: pd.DataFrame, sced: pd.DataFrame) -> pd.DataFrame:
    """DAM and real-time prices joined on native keys, then placed on UTC hour starts.

    Args:
        dam: ``dam_spp`` rows.
        rtm: ``rtm_spp`` rows (may be empty).
        sced: ``sced_lmp`` rows (may be empty); used where ``rtm_spp`` has no price.

    Returns:
        One row per (settlement_point, interval_start_utc) with ``dam_price``, ``rt_price``,
        ``rt_source`` and ``dart`` = DAM − real-time ($/MWh; NaN where either is missing), plus
        the native keys ``delivery_date``, ``hour_ending``, ``dst_flag``.
    """
    rt = pd.concat([rtm_hourly(rtm), sced_hourly(sced)], ignore_index=True)
    # rtm_spp first: where both have the hour, the settlement price wins
    rt = rt.drop_duplicates(subset=NATIVE, keep="first")
    out = dam_hourly(dam).merge(rt, on=NATIVE, how="outer")
    out["interval_start_utc"] = utc_ns(
        hour_ending_to_utc(out["delivery_date"], out["hour_ending"], out["dst_flag"])
    ).to_numpy()
    out = out.dropna(subset=["interval_start_utc"])
    out["dart"] = out["dam_price"] - out["rt_price"]
    out["settlement_point"] = out["settlement_point"].astype(str)
    return out.sort_values(["settlement_point", "interval_start_utc"], ignore_index=True)
