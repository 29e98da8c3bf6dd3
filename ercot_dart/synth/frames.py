"""The generator's arrays as rows of the nine tables, in their canonical stored formats.

Dates are naive ``datetime64`` days, SCED and posting times naive local ``datetime64[s]``,
string hour endings ``HH:MM``, integer hour endings int64, flags ``Y``/``N``; prices are
rounded to cents as ERCOT publishes them. Rows come in natural-key order, so SQLite appends.
Text columns are object arrays: a day of sced_lmp is ~300,000 rows at 1,000 points, and
pandas' string dtype would cost a conversion on the way in and another on the way to SQL.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.db.tables import ACTUAL_LOAD_ZONES, LOAD_FORECAST_ZONES, WIND_LOAD_ZONE_REGIONS
from ercot_dart.ercot.vocab import SettlementPointType as SPType
from ercot_dart.synth.clock import DayClock, Posting
from ercot_dart.synth.dayahead import ANCILLARY, DayAheadDay
from ercot_dart.synth.forecasts import MODELS, PostingForecast
from ercot_dart.synth.points import FIRST_LOAD_ZONE, Points
from ercot_dart.synth.realtime import RealTimeDay
from ercot_dart.synth.truth import LOAD_COLUMNS, Hours

Columns = dict[str, NDArray[Any]]
"""A table's rows as one array per column (dates, hour labels, flags, values)."""


def to_frame(parts: list[Columns]) -> pd.DataFrame:
    """One data frame from the column arrays of one or more parts (same columns, in order)."""
    if len(parts) == 1:
        columns = parts[0]
    else:
        columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return pd.DataFrame(
        {
            k: pd.Series(v, dtype=object, copy=False) if v.dtype == object else v
            for k, v in columns.items()
        }
    )


def _day(clock: DayClock, n: int) -> NDArray[np.datetime64]:
    return np.full(n, np.datetime64(clock.day, "s"))


def _dates(ordinals: NDArray[np.int64]) -> NDArray[np.datetime64]:
    # proleptic ordinal 719163 is 1970-01-01
    return ((ordinals - 719_163) * 86_400).astype("datetime64[s]")


def _hour_labels(hours: NDArray[np.int64]) -> NDArray[np.object_]:
    return np.array([f"{h:02d}:00" for h in range(25)], dtype=object)[hours]


def dam_spp(clock: DayClock, points: Points, dam: DayAheadDay) -> Columns:
    """dam_spp rows of one day."""
    order = np.argsort(points.names, kind="stable")
    n_h, n_p = clock.n_hours, len(order)
    return {
        "DeliveryDate": _day(clock, n_h * n_p),
        "HourEnding": np.repeat(clock.hour_label, n_p),
        "SettlementPoint": np.tile(points.names[order], n_h),
        "SettlementPointPrice": dam.price[:, order].ravel(),
        "DSTFlag": np.repeat(clock.dst_flag, n_p),
    }


def rtm_spp(clock: DayClock, points: Points, rt: RealTimeDay) -> Columns:
    """rtm_spp rows of one day: every point, plus each load zone's LZEW twin."""
    n_lz = rt.spp_energy_weighted.shape[1]
    lz_names = points.names[FIRST_LOAD_ZONE : FIRST_LOAD_ZONE + n_lz]
    names = np.concatenate([points.names, lz_names])
    types = np.concatenate(
        [points.types, np.full(n_lz, str(SPType.LOAD_ZONE_ENERGY_WEIGHTED), object)]
    )
    prices = np.concatenate([rt.spp, rt.spp_energy_weighted], axis=1)
    order = np.lexsort((types, names))
    n_i, n_p = prices.shape[0], len(order)
    return {
        "DeliveryDate": _day(clock, n_i * n_p),
        "DeliveryHour": np.repeat(np.repeat(clock.hour_ending, 4), n_p),
        "DeliveryInterval": np.repeat(np.tile(np.arange(1, 5), clock.n_hours), n_p),
        "SettlementPointName": np.tile(names[order], n_i),
        "SettlementPointType": np.tile(types[order], n_i),
        "SettlementPointPrice": prices[:, order].ravel(),
        "DSTFlag": np.repeat(np.repeat(clock.dst_flag, 4), n_p),
    }


def _run_flags(rt: RealTimeDay) -> NDArray[np.object_]:
    return np.where(rt.runs.repeated, "Y", "N").astype(object)


def sced_lmp(points: Points, rt: RealTimeDay) -> Columns:
    """sced_lmp rows of one day."""
    order = np.argsort(points.names, kind="stable")
    n_r, n_p = len(rt.runs.utc), len(order)
    return {
        "SCEDTimestamp": np.repeat(rt.runs.local, n_p),
        "RepeatedHourFlag": np.repeat(_run_flags(rt), n_p),
        "SettlementPoint": np.tile(points.names[order], n_r),
        "LMP": rt.lmp[:, order].ravel(),
    }


def sced_system_lambda(rt: RealTimeDay) -> Columns:
    """sced_system_lambda rows of one day (one per SCED run)."""
    return {
        "SCEDTimeStamp": rt.runs.local,
        "RepeatedHourFlag": _run_flags(rt),
        "CappedSystemLambda": rt.lambda_capped,
        "UncappedSystemLambda": rt.lambda_uncapped,
    }


def actual_load(clock: DayClock, truth_day: Hours) -> Columns:
    """actual_load rows of one day (MW, to the hundredth)."""
    load = np.round(truth_day.stack(LOAD_COLUMNS), 2)
    columns = {"OperDay": _day(clock, clock.n_hours), "HourEnding": clock.hour_label}
    columns |= dict(zip(ACTUAL_LOAD_ZONES[:-1], load.T, strict=True))
    columns |= {"TOTAL": np.round(load.sum(axis=1), 2), "DSTFlag": clock.dst_flag}
    return columns


def _labels(hours: Hours) -> dict[str, NDArray[Any]]:
    return {"date": _dates(hours["date"]), "hour": hours["hour_ending"], "flag": hours["dst_flag"]}


def load_forecast(forecast: PostingForecast, horizon_hours: int) -> Columns:
    """load_forecast rows of one posting: every model for each hour of the horizon."""
    first = int(np.searchsorted(forecast.lead, 1.0 + 1e-9))  # first hour starting after posting
    rows = np.arange(first, first + horizon_hours)
    lab = _labels(forecast.hours.take(rows))
    n_h, n_m = len(rows), len(MODELS)
    zones = np.round(forecast.load[rows], 4).reshape(n_h * n_m, -1)
    columns = {
        "PostedDatetime": np.full(n_h * n_m, forecast.posting.local),
        "DeliveryDate": np.repeat(lab["date"], n_m),
        "HourEnding": np.repeat(_hour_labels(lab["hour"]), n_m),
    }
    columns |= dict(zip(LOAD_FORECAST_ZONES[:-1], zones.T, strict=True))
    in_use = np.where(np.arange(n_m) == forecast.in_use, "Y", "N").astype(object)
    columns |= {
        "SystemTotal": np.round(zones.sum(axis=1), 4),
        "Model": np.tile(np.array([str(m) for m in MODELS], dtype=object), n_h),
        "InUseFlag": np.tile(in_use, n_h),
        "DSTFlag": np.repeat(lab["flag"], n_m),
    }
    return columns


def _renewable_rows(
    forecast: PostingForecast, history: int, horizon: int
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    rows = np.arange(0, history + horizon)
    actual = forecast.lead[rows] <= 0  # the hour was over when the posting was made
    return rows, actual


def _posting_frame(posting: Posting, hours: Hours, columns: Columns) -> Columns:
    lab = _labels(hours)
    head = {
        "PostedDatetime": np.full(len(hours), posting.local),
        "DELIVERY_DATE": lab["date"],
        "HOUR_ENDING": lab["hour"],
    }
    return head | columns | {"DSTFlag": lab["flag"]}


def wind_power(forecast: PostingForecast, history: int, horizon: int) -> Columns:
    """wind_power rows of one posting: actuals for past hours, forecasts for every hour."""
    rows, actual = _renewable_rows(forecast, history, horizon)
    hours = forecast.hours.take(rows)
    gen = hours.stack([f"wind_gen_{r}" for r in WIND_LOAD_ZONE_REGIONS])
    hsl = hours.stack([f"wind_hsl_{r}" for r in WIND_LOAD_ZONE_REGIONS])
    gen = np.where(actual[:, None], np.round(gen, 2), np.nan)
    measures = {
        "GEN": gen,
        "COP_HSL": forecast.wind_cop[rows],
        "STWPF": forecast.wind[rows],
        "WGRPP": forecast.wind_p80[rows],
    }
    columns = {
        "SYSTEM_WIDE_GEN": np.round(gen.sum(axis=1), 2),
        "COP_HSL_SYSTEM_WIDE": np.round(measures["COP_HSL"].sum(axis=1), 1),
        "STWPF_SYSTEM_WIDE": np.round(measures["STWPF"].sum(axis=1), 1),
        "WGRPP_SYSTEM_WIDE": np.round(measures["WGRPP"].sum(axis=1), 1),
    }
    for i, region in enumerate(WIND_LOAD_ZONE_REGIONS):
        for measure, values in measures.items():
            columns[f"{measure}_{region}"] = np.round(values[:, i], 2 if measure == "GEN" else 1)
    columns["SYSTEM_WIDE_HSL"] = np.where(actual, np.round(hsl.sum(axis=1), 2), np.nan)
    return _posting_frame(forecast.posting, hours, columns)


def solar_power(forecast: PostingForecast, history: int, horizon: int) -> Columns:
    """solar_power rows of one posting (system-wide columns of NP4-737-CD)."""
    rows, actual = _renewable_rows(forecast, history, horizon)
    hours = forecast.hours.take(rows)
    columns = {
        "SYSTEM_WIDE_GEN": np.where(actual, np.round(hours["solar_gen"], 2), np.nan),
        "COP_HSL_SYSTEM_WIDE": np.round(forecast.solar_cop[rows], 1),
        "STPPF_SYSTEM_WIDE": np.round(forecast.solar[rows], 1),
        "PVGRPP_SYSTEM_WIDE": np.round(forecast.solar_p80[rows], 1),
        "SYSTEM_WIDE_HSL": np.where(actual, np.round(hours["solar_hsl"], 2), np.nan),
    }
    return _posting_frame(forecast.posting, hours, columns)


def dam_as_prices(clock: DayClock, dam: DayAheadDay) -> Columns:
    """dam_as_prices rows of one day."""
    names = np.array([str(a) for a in ANCILLARY], dtype=object)
    order = np.argsort(names)
    n_h, n_a = clock.n_hours, len(names)
    return {
        "DeliveryDate": _day(clock, n_h * n_a),
        "HourEnding": np.repeat(clock.hour_label, n_a),
        "AncillaryType": np.tile(names[order], n_h),
        "MCPC": dam.ancillary[:, order].ravel(),
        "DSTFlag": np.repeat(clock.dst_flag, n_a),
    }
