"""Calendar features of the delivery hour (local Central time) and ERCOT holidays. Pure.

ERCOT's holidays are the NERC holidays that set its peak/off-peak blocks: New Year's Day,
Memorial Day, Independence Day, Labor Day, Thanksgiving Day and Christmas Day; one falling on a
Sunday is observed on the Monday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from ercot_dart.ercot.timeconv import CENTRAL, utc_to_hour_ending

POINT_TYPE_CODES = {
    "HU": 0,
    "SH": 1,
    "AH": 1,
    "LZ": 2,
    "LZEW": 2,
    "LZ_DC": 2,
    "LZ_DCEW": 2,
    "RN": 3,
}


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=64)
def ercot_holidays(year: int) -> frozenset[date]:
    """ERCOT (NERC) holidays of ``year``, Sunday holidays observed on Monday."""
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 12, 25)]
    observed = [d + timedelta(days=1) if d.weekday() == 6 else d for d in fixed]
    moving = [_last_weekday(year, 5, 0), _nth_weekday(year, 9, 0, 1), _nth_weekday(year, 11, 3, 4)]
    return frozenset(observed + moving)


def calendar_features(rows: pd.DataFrame) -> pd.DataFrame:
    """Hour ending, weekday, month, season cycles, holiday and DST-day flags, lead time (h)."""
    start = pd.DatetimeIndex(rows["interval_start_utc"])
    local = start.tz_convert(CENTRAL)
    native = utc_to_hour_ending(start)
    days = pd.DatetimeIndex(native["delivery_date"].astype("datetime64[ns]"))
    years = np.unique(days.year)
    holidays = {d for y in years for d in ercot_holidays(int(y))}
    day_hours = (
        (days + pd.Timedelta(days=1)).tz_localize(CENTRAL) - days.tz_localize(CENTRAL)
    ) / pd.Timedelta(hours=1)
    hour = native["hour_ending_int"].to_numpy()
    doy = days.day_of_year.to_numpy()
    out = {
        "hour_ending": hour,
        "day_of_week": days.day_of_week.to_numpy(),
        "month": days.month.to_numpy(),
        "is_weekend": (days.day_of_week >= 5).astype(int),
        # numpy's ArrayLike has no room for a list of date objects, which isin takes as objects
        "is_holiday": np.isin(days.date, list(holidays)).astype(int),  # type: ignore[arg-type]
        "is_repeated_hour": (native["dst_flag"] == "Y").to_numpy().astype(int),
        "is_dst_change_day": (np.asarray(day_hours) != 24).astype(int),
        "hour_sin": np.sin(2 * np.pi * (local.hour + 0.5) / 24),
        "hour_cos": np.cos(2 * np.pi * (local.hour + 0.5) / 24),
        "doy_sin": np.sin(2 * np.pi * doy / 365.25),
        "doy_cos": np.cos(2 * np.pi * doy / 365.25),
        "lead_time_hours": (start - pd.DatetimeIndex(rows["issue_time_utc"]))
        / pd.Timedelta(hours=1),
    }
    return pd.DataFrame(
        {k: np.asarray(v, dtype="float32") for k, v in out.items()}, index=rows.index
    )
