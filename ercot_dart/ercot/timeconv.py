"""ERCOT's three time conventions ↔ UTC interval starts (pure, vectorised).

ERCOT labels time in local prevailing Central time:

1. date + hour ending (``01:00``/``1:00``/``24:00``/integer) + DSTFlag  — hourly reports;
2. date + hour (1..24, hour ending) + 15-minute interval (1..4) + DSTFlag — ``rtm_spp``;
3. SCED timestamps to the second + RepeatedHourFlag — ``sced_lmp``, ``sced_system_lambda``.

The flag is ``Y`` only for the repeated (second, CST) hour of the fall-back day. Downstream of
these functions every timestamp is a timezone-aware UTC interval start.

Broken DST rows, as ERCOT has published them, follow fixed rules, each with a
:class:`DstWarning` (never a crash, never a silent drop):

- hour ending 25 on the fall-back day is the repeated hour: read as ``02:00`` with flag ``Y``;
- hour ending 25 on any other day names no hour: the row is dropped;
- a flag ``Y`` on an hour that is not repeated (e.g. a duplicated ``03:00 Y``) is ignored, so the
  row is that hour; where this leaves two rows for one key, the later row in the input wins
  (:func:`keep_last_duplicates`);
- an hour that does not exist (``03:00`` on the spring-forward day, a SCED time in 02:00–02:59)
  is dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

CENTRAL = "America/Chicago"
HOUR = pd.Timedelta(hours=1)


class DstWarning(UserWarning):
    """A row broke ERCOT's DST conventions and was repaired or dropped by a documented rule."""


def _warn(message: str) -> None:
    warnings.warn(message, DstWarning, stacklevel=3)


def _dates_str(dates: pd.Series, mask: NDArray[np.bool_]) -> str:
    days = sorted({d.strftime("%Y-%m-%d") for d in dates[mask].dropna()})
    return ", ".join(days[:5]) + (" ..." if len(days) > 5 else "")


def fall_back_dates(dates: pd.Series) -> NDArray[np.bool_]:
    """Mask of naive dates that are the fall-back day (25 local hours)."""
    uniq, inverse = np.unique(dates.to_numpy("datetime64[ns]"), return_inverse=True)
    start = pd.DatetimeIndex(uniq).tz_localize(CENTRAL)
    end = pd.DatetimeIndex(uniq + np.timedelta64(1, "D")).tz_localize(CENTRAL)
    return np.asarray((end - start) == pd.Timedelta(hours=25))[inverse]


@dataclass(frozen=True)
class Repaired:
    """Hour endings and flags after the DST rules; ``keep`` is False for dropped rows."""

    hour_ending: NDArray[np.int64]
    repeated: NDArray[np.bool_]
    keep: NDArray[np.bool_]


def repair_hour_ending(dates: pd.Series, hour_ending: pd.Series, repeated: pd.Series) -> Repaired:
    """Apply the DST rules to (date, hour ending, flag) rows, warning for each repair.

    Args:
        dates: naive local dates.
        hour_ending: integers 1..25.
        repeated: the DSTFlag as bool (True = ``Y``).
    """
    he = hour_ending.to_numpy("int64").copy()
    flag = repeated.to_numpy(bool).copy()
    keep = np.ones(len(he), bool)
    h25 = he == 25
    if h25.any():
        fb = fall_back_dates(dates) & h25
        if fb.any():
            _warn(
                f"{int(fb.sum())} row(s) with hour ending 25 on {_dates_str(dates, fb)} read as "
                "the repeated hour 02:00 (DSTFlag=Y)"
            )
            he[fb], flag[fb] = 2, True
        other = h25 & ~fb
        if other.any():
            _warn(
                f"{int(other.sum())} row(s) with hour ending 25 on {_dates_str(dates, other)}, "
                "which is no fall-back day, dropped"
            )
            keep &= ~other
    if flag.any():
        wrong = flag & ~((he == 2) & fall_back_dates(dates))
        if wrong.any():
            _warn(
                f"{int(wrong.sum())} row(s) with DSTFlag=Y on an hour that is not repeated "
                f"({_dates_str(dates, wrong)}); flag ignored"
            )
            flag &= ~wrong
    starts = dates.to_numpy("datetime64[ns]") + (he - 1).astype("timedelta64[h]")
    nonexistent = _nonexistent(starts)
    if nonexistent.any():
        _warn(
            f"{int(nonexistent.sum())} row(s) for an hour that does not exist "
            f"(spring-forward, {_dates_str(dates, nonexistent)}) dropped"
        )
        keep &= ~nonexistent
    return Repaired(he, flag, keep)


def _nonexistent(naive: NDArray[np.datetime64]) -> NDArray[np.bool_]:
    uniq, inverse = np.unique(naive, return_inverse=True)
    loc = pd.DatetimeIndex(uniq).tz_localize(CENTRAL, ambiguous="NaT", nonexistent="NaT")
    amb = pd.DatetimeIndex(uniq).tz_localize(
        CENTRAL, ambiguous=np.ones(len(uniq), bool), nonexistent="NaT"
    )
    return np.asarray(loc.isna() & amb.isna())[inverse]


def local_to_utc(
    naive: pd.Series | NDArray[np.datetime64], repeated: pd.Series | NDArray[np.bool_]
) -> pd.Series:
    """Naive local times + repeated-hour flags → UTC (``NaT`` where the time does not exist).

    Only distinct (time, flag) pairs are converted, so millions of SCED rows that share a
    few thousand run times cost a few thousand conversions. A missing time stays ``NaT``.
    """
    stamps = np.asarray(naive, dtype="datetime64[ns]")
    flag = np.asarray(repeated, dtype=bool)
    valid = ~np.isnat(stamps)
    # NaT's integer is the minimum int64: doubling it below would wrap round to 1970
    key = stamps[valid].view("int64") * 2 + flag[valid].astype("int64")
    uniq, inverse = np.unique(key, return_inverse=True)
    u_naive = pd.DatetimeIndex((uniq // 2).view("datetime64[ns]"))
    u_dst = (uniq % 2) == 0  # not repeated → the first (daylight) occurrence
    utc = u_naive.tz_localize(CENTRAL, ambiguous=u_dst, nonexistent="NaT").tz_convert("UTC")
    out = pd.Series(
        pd.NaT, index=pd.RangeIndex(len(stamps)), dtype="datetime64[ns, UTC]", name="utc"
    )
    out[valid] = utc[inverse]
    return out


def _like(result: pd.Series, source: pd.Series) -> pd.Series:
    """``result`` (positional) carrying ``source``'s index, so it aligns with the caller's frame."""
    return result.set_axis(source.index) if isinstance(source, pd.Series) else result


def hour_ending_to_utc(dates: pd.Series, hour_ending: pd.Series, repeated: pd.Series) -> pd.Series:
    """(date, hour ending, DSTFlag) → UTC start of the hour; ``NaT`` for dropped rows.

    ``24:00`` is the last hour of the same date. Broken rows follow the module's DST rules.
    The arguments are read by position; the result carries ``dates``' index.
    """
    naive = pd.Series(pd.to_datetime(dates).to_numpy("datetime64[ns]"))
    r = repair_hour_ending(naive, hour_ending, repeated)
    starts = naive.to_numpy("datetime64[ns]") + (r.hour_ending - 1).astype("timedelta64[h]")
    utc = local_to_utc(starts, r.repeated)
    return _like(utc.where(r.keep), dates)


def interval_to_utc(
    dates: pd.Series, hour: pd.Series, interval: pd.Series, repeated: pd.Series
) -> pd.Series:
    """(date, hour ending 1..24, interval 1..4, DSTFlag) → UTC start of the 15-minute interval.

    The arguments are read by position; the result carries ``dates``' index.
    """
    naive = pd.Series(pd.to_datetime(dates).to_numpy("datetime64[ns]"))
    r = repair_hour_ending(naive, hour, repeated)
    minutes = (r.hour_ending - 1) * 60 + (interval.to_numpy("int64") - 1) * 15
    starts = naive.to_numpy("datetime64[ns]") + minutes.astype("timedelta64[m]")
    return _like(local_to_utc(starts, r.repeated).where(r.keep), dates)


def sced_to_utc(timestamps: pd.Series, repeated: pd.Series) -> pd.Series:
    """SCED run times (naive local, to the second) + RepeatedHourFlag → UTC instants.

    A flag ``Y`` outside the repeated hour is ignored; a time in the spring-forward gap is
    dropped (``NaT``); each with a :class:`DstWarning`. The result carries ``timestamps``' index.
    """
    naive = pd.Series(pd.to_datetime(timestamps).to_numpy("datetime64[ns]"))
    flag = repeated.to_numpy(bool).copy()
    if flag.any():
        hour_start = naive.dt.floor("h")
        in_repeat = (naive.dt.hour == 1).to_numpy() & fall_back_dates(hour_start.dt.normalize())
        wrong = flag & ~in_repeat
        if wrong.any():
            _warn(
                f"{int(wrong.sum())} SCED row(s) with RepeatedHourFlag=Y outside the repeated "
                f"hour ({_dates_str(naive, wrong)}); flag ignored"
            )
            flag &= ~wrong
    utc = local_to_utc(naive.to_numpy(), flag)
    gap = utc.isna().to_numpy() & naive.notna().to_numpy()
    if gap.any():
        _warn(
            f"{int(gap.sum())} SCED row(s) in the spring-forward gap "
            f"({_dates_str(naive, gap)}) dropped"
        )
    return _like(utc, timestamps)


def posted_to_utc(posted: pd.Series) -> pd.Series:
    """Posting times (naive local, no flag) → UTC.

    A posting time inside the repeated fall-back hour is read as the later (CST) instant,
    the conservative choice: a forecast is never treated as known before it could have been.
    The result carries ``posted``' index.
    """
    naive = pd.Series(pd.to_datetime(posted).to_numpy("datetime64[ns]"))
    utc = local_to_utc(naive.to_numpy(), np.ones(len(naive), bool))
    # a posting time in the spring-forward gap cannot be; read it as the first instant after
    gap = utc.isna().to_numpy() & naive.notna().to_numpy()
    if gap.any():
        shifted = pd.DatetimeIndex(naive[gap]).tz_localize(CENTRAL, nonexistent="shift_forward")
        utc[gap] = shifted.tz_convert("UTC")
    return _like(utc, posted)


def utc_to_hour_ending(utc: pd.Series | pd.DatetimeIndex) -> pd.DataFrame:
    """UTC hour starts → local ``delivery_date`` (date), ``hour_ending`` (``HH:MM``),
    ``hour_ending_int`` and ``dst_flag`` (``Y`` for the repeated fall-back hour)."""
    idx = pd.DatetimeIndex(utc)
    if idx.tz is None:
        raise ValueError("utc_to_hour_ending needs timezone-aware UTC timestamps")
    local = idx.tz_convert(CENTRAL)
    # the repeated hour is the one whose wall clock equals the wall clock an hour earlier
    earlier = (idx - HOUR).tz_convert(CENTRAL)
    repeated = local.tz_localize(None) == earlier.tz_localize(None)
    start_naive = local.tz_localize(None)
    he = start_naive.hour + 1
    return pd.DataFrame(
        {
            "delivery_date": start_naive.normalize().date,
            "hour_ending": [f"{h:02d}:00" for h in he],
            "hour_ending_int": np.asarray(he, dtype="int64"),
            "dst_flag": np.where(repeated, "Y", "N"),
        }
    )


def keep_last_duplicates(frame: pd.DataFrame, key: Sequence[str], what: str) -> pd.DataFrame:
    """Drop all but the last row of each ``key``, warning once when any were dropped."""
    dup = frame.duplicated(subset=list(key), keep="last")
    if dup.any():
        _warn(f"{int(dup.sum())} {what} row(s) repeat a key ({', '.join(key)}); the later row wins")
        return frame.loc[~dup]
    return frame
