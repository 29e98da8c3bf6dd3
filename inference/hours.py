"""Delivery hours as integers (UTC hours since the epoch) ↔ datetimes and ERCOT's local keys.

The conversions are :mod:`ercot_dart.ercot.timeconv`'s; the service caches their results per
hour, so a request for hours it has seen before (nearly all of them: the next day's 24 hours
for every point) costs dictionary look-ups, not a pandas time-zone conversion.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from ercot_dart.ercot.timeconv import DstWarning, fall_back_dates, hour_ending_to_utc
from ercot_dart.ercot.timeconv import utc_to_hour_ending as _utc_to_hour_ending

HOUR_S = 3600
FIRST_YEAR, LAST_YEAR = 2000, 2100
FIRST_HOUR = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp()) // HOUR_S
END_HOUR = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp()) // HOUR_S
_CACHE_LIMIT = 500_000


@dataclass(frozen=True, slots=True)
class LocalHour:
    """A delivery hour as the prediction format labels it."""

    utc: datetime
    delivery_date: date
    hour_ending: str
    dst_flag: str


def utc_hour(value: datetime) -> int | None:
    """The hour number of an aware datetime on the hour, None otherwise (naive, or minutes)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    try:
        seconds = value.timestamp()
    except (OverflowError, ValueError):  # year 1 or 9999 with an offset
        return None
    if seconds % HOUR_S:
        return None
    return int(seconds) // HOUR_S


def valid_time(value: datetime) -> bool:
    """Whether a timestamp (any minute) is aware and in the years the service accepts."""
    if value.tzinfo is None or value.utcoffset() is None:
        return False
    try:
        return in_range(int(value.timestamp() // HOUR_S))
    except (OverflowError, ValueError):
        return False


def in_range(hour: int) -> bool:
    """Whether the hour lies in the years the service accepts (2000–2100)."""
    return FIRST_HOUR <= hour < END_HOUR


class HourLabels:
    """Hour number → :class:`LocalHour` (UTC datetime, local delivery date, hour ending, flag)."""

    def __init__(self) -> None:
        self._cache: dict[int, LocalHour] = {}

    def __call__(self, hours: np.ndarray) -> list[LocalHour]:
        keys = hours.tolist()
        found = {h: self._cache.get(h) for h in set(keys)}
        missing = [h for h, v in found.items() if v is None]
        if missing:
            if len(self._cache) + len(missing) > _CACHE_LIMIT:
                self._cache = {}
            stamps = pd.DatetimeIndex(np.asarray(missing, "int64") * HOUR_S * 10**9, tz=UTC)
            local = _utc_to_hour_ending(stamps)
            for h, utc, day, he, flag in zip(
                missing,
                stamps.to_pydatetime(),
                local["delivery_date"],
                local["hour_ending"],
                local["dst_flag"],
                strict=True,
            ):
                found[h] = self._cache[h] = LocalHour(utc, day, he, str(flag))
        return [found[h] for h in keys]  # type: ignore[misc]


class LocalKeys:
    """(delivery date, hour ending, DST flag) → hour number, or a reason it names no hour.

    Stricter than the importers: a ``Y`` flag off the repeated hour, or an hour that does not
    exist (02:00–03:00 of the spring-forward day), is an error here, not a repaired row.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[date, int, bool], int | str] = {}

    def __call__(self, keys: list[tuple[date, int, bool]]) -> list[int | str]:
        found = {k: self._cache.get(k) for k in set(keys)}
        missing = [k for k, v in found.items() if v is None]
        if missing:
            if len(self._cache) + len(missing) > _CACHE_LIMIT:
                self._cache = {}
            for key, value in zip(missing, _convert(missing), strict=True):
                found[key] = self._cache[key] = value
        return [found[k] for k in keys]  # type: ignore[misc]


def _convert(keys: list[tuple[date, int, bool]]) -> list[int | str]:
    out: list[int | str] = [f"the year is outside {FIRST_YEAR}–{LAST_YEAR}"] * len(keys)
    ok = [i for i, (d, _, _) in enumerate(keys) if FIRST_YEAR <= d.year <= LAST_YEAR]
    if not ok:
        return out
    dates = pd.Series(pd.to_datetime([keys[i][0] for i in ok]))
    he = np.array([keys[i][1] for i in ok], "int64")
    flag = np.array([keys[i][2] for i in ok], bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DstWarning)
        utc = hour_ending_to_utc(dates, pd.Series(he), pd.Series(flag))
    fall_back = fall_back_dates(dates)
    for j, i in enumerate(ok):
        if flag[j] and not (he[j] == 2 and fall_back[j]):
            out[i] = "dst_flag Y names only hour ending 2 of the fall-back day (the repeated hour)"
        elif pd.isna(utc.iloc[j]):
            out[i] = "this hour does not exist on the spring-forward day"
        else:
            hour = int(utc.iloc[j].value // (HOUR_S * 10**9))
            # the last local hours of 2100 are in 2101 UTC: out of range, as in the UTC form
            out[i] = hour if in_range(hour) else out[i]
    return out
