"""Wide ERCOT tables melted to long series on UTC hour starts. Pure.

Zones (load), regions and measures (wind, solar) become rows; only the load forecast model in
use (``InUseFlag = Y``) is kept. Posting times become UTC (see ``timeconv.posted_to_utc``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ercot_dart.db.tables import ACTUAL_LOAD_ZONES, LOAD_FORECAST_ZONES, SOLAR_COLUMNS, WIND_COLUMNS
from ercot_dart.ercot.timeconv import hour_ending_to_utc, posted_to_utc, sced_to_utc
from ercot_dart.features.asof import utc_ns
from ercot_dart.features.hourly import _flag, _hours, as_day

LONG = ["posted_utc", "interval_start_utc", "series", "value"]


def _utc(frame: pd.DataFrame, date: str, hour: str) -> pd.Series:
    return utc_ns(
        hour_ending_to_utc(
            as_day(frame[date]), pd.Series(_hours(frame[hour])), pd.Series(_flag(frame["DSTFlag"]))
        )
    )


def _melt(frame: pd.DataFrame, columns: list[str], keys: dict[str, pd.Series]) -> pd.DataFrame:
    present = [c for c in columns if c in frame.columns and frame[c].notna().any()]
    base = pd.DataFrame({k: v.to_numpy() for k, v in keys.items()})
    wide = pd.concat([base, frame[present].reset_index(drop=True).astype("float64")], axis=1)
    wide = wide.dropna(subset=list(keys))
    long = wide.melt(id_vars=list(keys), value_vars=present, var_name="series", value_name="value")
    return long.dropna(subset=["value"]).reset_index(drop=True)


def load_forecast_long(raw: pd.DataFrame) -> pd.DataFrame:
    """``load_forecast`` → (posted_utc, interval_start_utc, series=zone, value MW), model in use only."""
    raw = raw.loc[_flag(raw["InUseFlag"])].reset_index(drop=True)
    keys = {
        "posted_utc": utc_ns(posted_to_utc(raw["PostedDatetime"])),
        "interval_start_utc": _utc(raw, "DeliveryDate", "HourEnding"),
    }
    return _melt(raw, list(LOAD_FORECAST_ZONES), keys)


def renewable_long(raw: pd.DataFrame, kind: str) -> pd.DataFrame:
    """``wind_power`` / ``solar_power`` → (posted_utc, interval_start_utc, series=column, value MW)."""
    raw = raw.reset_index(drop=True)
    columns = list(WIND_COLUMNS if kind == "wind" else SOLAR_COLUMNS)
    keys = {
        "posted_utc": utc_ns(posted_to_utc(raw["PostedDatetime"])),
        "interval_start_utc": _utc(raw, "DELIVERY_DATE", "HOUR_ENDING"),
    }
    return _melt(raw, columns, keys)


def actual_load_long(raw: pd.DataFrame) -> pd.DataFrame:
    """``actual_load`` → (interval_start_utc, series=zone, value MW)."""
    raw = raw.reset_index(drop=True)
    keys = {"interval_start_utc": _utc(raw, "OperDay", "HourEnding")}
    return _melt(raw, list(ACTUAL_LOAD_ZONES), keys)


def as_prices_long(raw: pd.DataFrame) -> pd.DataFrame:
    """``dam_as_prices`` → (interval_start_utc, series=AncillaryType, value $/MW)."""
    raw = raw.reset_index(drop=True)
    return pd.DataFrame(
        {
            "interval_start_utc": _utc(raw, "DeliveryDate", "HourEnding").to_numpy(),
            "series": raw["AncillaryType"].astype(str).str.strip().str.upper().to_numpy(),
            "value": raw["MCPC"].astype("float64").to_numpy(),
        }
    ).dropna()


def system_lambda(raw: pd.DataFrame) -> pd.DataFrame:
    """``sced_system_lambda`` → (sced_utc, value $/MWh): the capped lambda, else the uncapped."""
    raw = raw.reset_index(drop=True)
    value = raw["CappedSystemLambda"].astype("float64")
    if "UncappedSystemLambda" in raw.columns:
        value = value.fillna(raw["UncappedSystemLambda"].astype("float64"))
    utc = sced_to_utc(
        pd.to_datetime(raw["SCEDTimeStamp"]), pd.Series(_flag(raw["RepeatedHourFlag"]))
    )
    out = pd.DataFrame({"sced_utc": utc_ns(utc).to_numpy(), "value": value.to_numpy()})
    return out.dropna().sort_values("sced_utc", ignore_index=True)


def point_types(rtm: pd.DataFrame | None, points: np.ndarray) -> pd.Series:
    """Settlement point type per name: from ``rtm_spp`` where present, else from the name
    (``HB_`` hub, ``LZ_`` load zone, otherwise resource node)."""
    known: dict[str, str] = {}
    if rtm is not None and not rtm.empty:
        pairs = rtm[["SettlementPointName", "SettlementPointType"]].drop_duplicates()
        for name, kind in pairs.itertuples(index=False):
            if name not in known or kind in ("LZ", "LZ_DC"):
                known[str(name)] = str(kind).strip()
    guess = [
        "HU" if n.startswith("HB_") else "LZ" if n.startswith("LZ_") else "RN"
        for n in map(str, points)
    ]
    return pd.Series(
        [known.get(str(n), g) for n, g in zip(points, guess, strict=True)], index=points
    )
