"""The clock of one operating day: its hours, 15-minute intervals, SCED runs and postings.

ERCOT labels time in local prevailing Central time. The clock is built from UTC hour starts
through the time layer, so the spring-forward day has 23 hours (no HE03), the fall-back day 25
(HE02 twice, the second flagged ``Y``), and SCED runs follow the wall clock: 01:55 -> 03:00 in
spring, 01:xx twice in autumn with RepeatedHourFlag ``Y`` the second time.

Times inside the generator are int64 seconds since the Unix epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ercot_dart.ercot.timeconv import CENTRAL, utc_to_hour_ending

HOUR_S = 3600
SCED_STEP_S = 300


@dataclass(frozen=True)
class DayClock:
    """The local hours of one operating day."""

    day: date
    utc: NDArray[np.int64]
    """UTC start of each hour (int64 seconds)."""
    hour_ending: NDArray[np.int64]
    """Hour ending 1..24 (int64); 2 twice on the fall-back day."""
    dst_flag: NDArray[np.object_]
    """``Y`` for the repeated fall-back hour, else ``N``."""
    local_hour: NDArray[np.float64]
    """Wall-clock hour of each hour's start, 0..23 (float64, for diurnal shapes)."""
    utc_offset: NDArray[np.int64]
    """Local wall clock minus UTC for each hour (int64 seconds)."""

    @property
    def n_hours(self) -> int:
        return len(self.utc)

    @property
    def day_of_year(self) -> int:
        return self.day.timetuple().tm_yday

    @property
    def hour_label(self) -> NDArray[np.object_]:
        """Hour endings as ERCOT's ``HH:MM`` strings."""
        return np.array([f"{h:02d}:00" for h in self.hour_ending], dtype=object)


@lru_cache(maxsize=32)
def day_clock(day: date) -> DayClock:
    """The clock of ``day`` (23, 24 or 25 hours)."""
    start = pd.Timestamp(day).tz_localize(CENTRAL).tz_convert("UTC")
    end = pd.Timestamp(day + timedelta(days=1)).tz_localize(CENTRAL).tz_convert("UTC")
    hours = pd.date_range(start, end, freq="h", inclusive="left")
    labels = utc_to_hour_ending(hours)
    if set(labels["delivery_date"]) != {day}:
        raise AssertionError(f"clock of {day} spills into another day")
    utc = hours.as_unit("s").asi8
    local = hours.tz_convert(CENTRAL).tz_localize(None).as_unit("s").asi8
    return DayClock(
        day=day,
        utc=utc,
        hour_ending=labels["hour_ending_int"].to_numpy(),
        dst_flag=labels["dst_flag"].to_numpy(dtype=object),
        local_hour=((local // HOUR_S) % 24).astype("float64"),
        utc_offset=local - utc,
    )


@dataclass(frozen=True)
class SCEDRuns:
    """The SCED runs of one day, in time order."""

    utc: NDArray[np.int64]
    """Run time (int64 UTC seconds)."""
    local: NDArray[np.datetime64]
    """Run time as naive local wall clock (datetime64[s])."""
    repeated: NDArray[np.bool_]
    """True for runs in the repeated fall-back hour."""
    hour: NDArray[np.intp]
    """Index of the run's hour in the day's clock."""


def sced_runs(clock: DayClock, rng: np.random.Generator, extra_per_hour: float) -> SCEDRuns:
    """SCED runs about every 5 minutes, a few to ~50 seconds after each mark, plus extra runs.

    ERCOT's SCED starts each 5-minute run some seconds after the mark (median ~11 s) and now
    and then runs again in between (a manual or contingency run).
    """
    slots = np.arange(0, HOUR_S, SCED_STEP_S)
    n = clock.n_hours * len(slots)
    jitter = 8 + rng.integers(0, 4, n) + np.minimum(rng.geometric(0.22, n) - 1, 40)
    base = (clock.utc[:, None] + slots[None, :]).ravel() + jitter
    hour = np.repeat(np.arange(clock.n_hours), len(slots))
    n_extra = rng.poisson(extra_per_hour * clock.n_hours)
    extra_slot = rng.integers(0, n, n_extra)
    extra = (clock.utc[hour[extra_slot]] + slots[extra_slot % len(slots)]) + rng.integers(
        70, 280, n_extra
    )
    utc = np.concatenate([base, extra])
    hour = np.concatenate([hour, hour[extra_slot]])
    utc, keep = np.unique(utc, return_index=True)
    hour = hour[keep]
    local = (utc + clock.utc_offset[hour]).astype("datetime64[s]")
    return SCEDRuns(utc=utc, local=local, repeated=clock.dst_flag[hour] == "Y", hour=hour)


def interval_starts(clock: DayClock) -> NDArray[np.int64]:
    """UTC starts of the day's 15-minute intervals (int64 seconds), 4 per hour."""
    return (clock.utc[:, None] + np.arange(0, HOUR_S, 900)[None, :]).ravel()


@dataclass(frozen=True)
class Posting:
    """One forecast posting."""

    local: np.datetime64
    """PostedDatetime as ERCOT writes it: naive local wall clock."""
    utc: int
    """The instant it was posted (UTC seconds); a repeated-hour time is read as the later one."""


def posting_times(
    day: date, cadence_hours: int, minute: int, seconds: NDArray[np.integer[Any]]
) -> list[Posting]:
    """Postings of ``day`` at ``minute`` past the last hour of each ``cadence_hours`` block.

    With 6 h: 05:mm, 11:mm, 17:mm, 23:mm. A wall time that does not exist (spring forward) is
    skipped; one that occurs twice (fall back) is posted once and, as the time layer reads such a
    PostedDatetime, at the later (CST) instant. ``seconds`` holds 24 second-of-minute values.
    """
    clock = day_clock(day)
    out = []
    for hour in range(cadence_hours - 1, 24, cadence_hours):
        matches = np.flatnonzero(clock.local_hour == hour)
        if not len(matches):
            continue
        i = matches[-1]
        into = minute * 60 + int(seconds[hour])
        wall = np.datetime64(day) + np.timedelta64(hour * HOUR_S + into, "s")
        out.append(Posting(local=wall.astype("datetime64[s]"), utc=int(clock.utc[i]) + into))
    return out
