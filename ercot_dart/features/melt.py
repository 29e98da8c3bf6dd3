"""Wide ERCOT tables melted to long series on UTC hour starts. Pure.

Zones (load), regions and measures (wind, solar) become rows; only the load forecast model in
use (``InUseFlag = Y``) is kept. Posting times become UTC (see ``timeconv.posted_to_utc``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ercot_dart.db.tables import ACTUAL_LOAD_ZONES, LOAD_FORECAST_ZONES, SOLAR_COLUMNS, WIND_COLUMNS
from ercot_dart.ercot.timeconv import posted_to_utc, sced_to_utc
from ercot_dart.features.asof import utc_ns
from ercot_dart.features.codes import day_numbers, flag_of, flags, hour_endings
from ercot_dart.features.native import native_to_utc

LONG = ["posted_utc", "interval_start_utc", "series", "value"]


def _utc(frame: pd.DataFrame, date: str, hour: str) -> pd.Series:
    """UTC start of each row's (date, hour ending, DSTFlag), converted once per distinct hour."""
    utc = native_to_utc(
        day_numbers(frame, date), hour_endings(frame, hour), flags(frame, "DSTFlag")
    )
    return pd.Series(pd.DatetimeIndex(utc).tz_localize("UTC"), index=frame.index)


def _melt(frame: pd.DataFrame, columns: Sequence[str], keys: dict[str, pd.Series]) -> pd.DataFrame:
    present = [c for c in columns if c in frame.columns and frame[c].notna().any()]
    base = pd.DataFrame({k: v.array for k, v in keys.items()})
    wide = pd.concat([base, frame[present].reset_index(drop=True).astype("float64")], axis=1)
    wide = wide.dropna(subset=list(keys))
    long = wide.melt(id_vars=list(keys), value_vars=present, var_name="series", value_name="value")
    return long.dropna(subset=["value"]).reset_index(drop=True)


def load_forecast_long(
    raw: pd.DataFrame, columns: Sequence[str] = LOAD_FORECAST_ZONES
) -> pd.DataFrame:
    """``load_forecast`` → (posted_utc, interval_start_utc, series=zone, value MW), model in use
    only; ``columns``: the zones to keep."""
    raw = raw.loc[flag_of(raw["InUseFlag"])].reset_index(drop=True)
    keys = {
        "posted_utc": utc_ns(posted_to_utc(raw["PostedDatetime"])),
        "interval_start_utc": _utc(raw, "DeliveryDate", "HourEnding"),
    }
    return _melt(raw, columns, keys)


def renewable_long(
    raw: pd.DataFrame, kind: str, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """``wind_power`` / ``solar_power`` → (posted_utc, interval_start_utc, series=column, value MW);
    ``columns``: the measures to keep (default all)."""
    raw = raw.reset_index(drop=True)
    if columns is None:
        columns = WIND_COLUMNS if kind == "wind" else SOLAR_COLUMNS
    keys = {
        "posted_utc": utc_ns(posted_to_utc(raw["PostedDatetime"])),
        "interval_start_utc": _utc(raw, "DELIVERY_DATE", "HOUR_ENDING"),
    }
    return _melt(raw, columns, keys)


def actual_load_long(raw: pd.DataFrame, columns: Sequence[str] = ACTUAL_LOAD_ZONES) -> pd.DataFrame:
    """``actual_load`` → (interval_start_utc, series=zone, value MW); ``columns``: the zones."""
    raw = raw.reset_index(drop=True)
    keys = {"interval_start_utc": _utc(raw, "OperDay", "HourEnding")}
    return _melt(raw, columns, keys)


def as_prices_long(raw: pd.DataFrame) -> pd.DataFrame:
    """``dam_as_prices`` → (interval_start_utc, series=AncillaryType, value $/MW)."""
    raw = raw.reset_index(drop=True)
    return pd.DataFrame(
        {
            "interval_start_utc": _utc(raw, "DeliveryDate", "HourEnding").array,
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
        pd.to_datetime(raw["SCEDTimeStamp"]), pd.Series(flag_of(raw["RepeatedHourFlag"]))
    )
    out = pd.DataFrame({"sced_utc": utc_ns(utc).to_numpy(), "value": value.to_numpy()})
    return out.dropna().sort_values("sced_utc", ignore_index=True)
