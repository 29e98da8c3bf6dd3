"""When each source's values become known, and the issue times features are computed as of.

A feature of a row may use a value only if that value was published at or before the row's
``issue_time_utc``. Publication times follow the spec's lags (configurable):

| source | published |
|---|---|
| DAM prices and DAM AS prices | for operating day D, at ``dam_local_time`` (13:30) on D − 1 |
| real-time prices (rtm_spp, sced_lmp), system lambda | ``rt_lag_minutes`` (5) after the hour ends |
| load, wind and solar forecasts | at their PostedDatetime |
| actual load | for operating day D, at ``actual_load_local_time`` (06:00) on D + 1 |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.features.codes import as_day, flag_of, hour_of

HOUR = pd.Timedelta(hours=1)


def utc_ns(values: pd.Series) -> pd.Series:
    """Timestamps as ``datetime64[ns, UTC]``: one unit everywhere, so joins and as-of merges
    never meet mixed resolutions (pandas 3 reads many sources as microseconds)."""
    out = pd.to_datetime(values, utc=True)
    return out.dt.as_unit("ns") if isinstance(out, pd.Series) else out.as_unit("ns")


@dataclass(frozen=True)
class AsOfRules:
    """Publication lags and the training issue time; defaults from the spec."""

    dam_local_time: time = time(13, 30)
    """DAM prices for operating day D are published at this local time on D − 1."""
    rt_lag_minutes: int = 5
    """Real-time prices and system lambda are published this long after their hour ends."""
    actual_load_local_time: time = time(6, 0)
    """Actual load for operating day D is published at this local time on D + 1."""
    issue_local_time: time = time(9, 0)
    """Training rows are issued at this local time on the day before delivery (DAM closes 10:00)."""
    dam_close_local_time: time = time(10, 0)
    """The DAM for operating day D closes at this local time on D − 1: bids after it are late."""


def per_distinct(
    fn: Callable[[pd.DatetimeIndex], pd.DatetimeIndex], stamps: pd.Series | pd.DatetimeIndex
) -> pd.DatetimeIndex:
    """``fn`` of each timestamp, computed once per distinct value (time zone conversions of a
    million rows that share a few hundred hours cost a few hundred)."""
    codes, uniq = pd.factorize(pd.DatetimeIndex(stamps), use_na_sentinel=False)
    return fn(uniq).take(codes)


def local_day(utc: pd.Series | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The local (Central) operating day of UTC hour starts, as naive midnights."""
    return per_distinct(lambda u: u.tz_convert(CENTRAL).tz_localize(None).normalize(), utc)


def at_local(days: pd.DatetimeIndex, clock: time, offset_days: int) -> pd.DatetimeIndex:
    """UTC instants of local ``clock`` on ``days + offset_days`` (naive local midnights)."""
    shift = pd.Timedelta(days=offset_days) + pd.Timedelta(hours=clock.hour, minutes=clock.minute)

    def convert(naive: pd.DatetimeIndex) -> pd.DatetimeIndex:
        # ambiguous/non-existent local clock times: the later instant is the conservative one
        local = (naive + shift).tz_localize(
            CENTRAL, ambiguous=np.zeros(len(naive), bool), nonexistent="shift_forward"
        )
        return local.tz_convert("UTC").as_unit("ns")

    return per_distinct(convert, days)


def dam_published(
    interval_start_utc: pd.Series | pd.DatetimeIndex, rules: AsOfRules
) -> pd.DatetimeIndex:
    """When the DAM price of each delivery hour was published (UTC)."""
    return at_local(local_day(interval_start_utc), rules.dam_local_time, -1)


def actual_load_published(
    interval_start_utc: pd.Series | pd.DatetimeIndex, rules: AsOfRules
) -> pd.DatetimeIndex:
    """When the actual load of each hour was published (UTC)."""
    return at_local(local_day(interval_start_utc), rules.actual_load_local_time, 1)


def training_issue_time(
    interval_start_utc: pd.Series | pd.DatetimeIndex, rules: AsOfRules
) -> pd.DatetimeIndex:
    """The issue time of a training row: ``issue_local_time`` on the day before delivery (UTC)."""
    return at_local(local_day(interval_start_utc), rules.issue_local_time, -1)


def rt_cutoff(issue_time_utc: pd.Series, t0: pd.Timestamp, rules: AsOfRules) -> NDArray[np.int64]:
    """Index (hours since ``t0``) of the last hour whose real-time price is known at issue time.

    The hour starting at index c ends at c + 1 and is published ``rt_lag_minutes`` later.
    """
    known = pd.DatetimeIndex(issue_time_utc) - pd.Timedelta(minutes=rules.rt_lag_minutes)
    return np.asarray(np.floor((known - t0) / HOUR), dtype="int64") - 1


def published_at(table: str, raw: pd.DataFrame, rules: AsOfRules) -> pd.Series:
    """When each raw row of a source table was (or will be) published, UTC.

    The rule each feature obeys, stated per row: a row may inform a feature only if this time
    is not after the feature's issue time.
    """
    from ercot_dart.ercot.timeconv import interval_to_utc, posted_to_utc, sced_to_utc

    lag = pd.Timedelta(minutes=rules.rt_lag_minutes)
    index = raw.index
    if table in ("dam_spp", "dam_as_prices"):
        out = at_local(pd.DatetimeIndex(as_day(raw["DeliveryDate"])), rules.dam_local_time, -1)
    elif table == "rtm_spp":
        start = interval_to_utc(
            as_day(raw["DeliveryDate"]),
            pd.Series(hour_of(raw["DeliveryHour"]), index=index),
            pd.Series(raw["DeliveryInterval"].astype("int64").to_numpy(), index=index),
            pd.Series(flag_of(raw["DSTFlag"]), index=index),
        )
        out = pd.DatetimeIndex(start) + pd.Timedelta(minutes=15) + lag
    elif table in ("sced_lmp", "sced_system_lambda"):
        column = "SCEDTimestamp" if table == "sced_lmp" else "SCEDTimeStamp"
        stamps = pd.Series(pd.to_datetime(raw[column]).to_numpy(), index=index)
        out = (
            pd.DatetimeIndex(
                sced_to_utc(stamps, pd.Series(flag_of(raw["RepeatedHourFlag"]), index=index))
            )
            + lag
        )
    elif table in ("load_forecast", "wind_power", "solar_power"):
        out = pd.DatetimeIndex(
            posted_to_utc(pd.Series(pd.to_datetime(raw["PostedDatetime"]).to_numpy(), index=index))
        )
    elif table == "actual_load":
        out = at_local(pd.DatetimeIndex(as_day(raw["OperDay"])), rules.actual_load_local_time, 1)
    else:
        raise ValueError(f"unknown source table {table!r}")
    return pd.Series(pd.DatetimeIndex(out).as_unit("ns"), index=index)
