"""ERCOT's local time conventions ↔ UTC, DST days and broken DST rows included."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ercot_dart.ercot.timeconv import (
    DstWarning,
    fall_back_dates,
    hour_ending_to_utc,
    interval_to_utc,
    keep_last_duplicates,
    local_to_utc,
    posted_to_utc,
    repair_hour_ending,
    sced_to_utc,
    utc_to_hour_ending,
)
from ercot_dart.ercot.values import parse_dates, parse_flag, parse_hour_ending, parse_timestamps

DST = Path(__file__).resolve().parents[1] / "fixtures" / "dst"
DAM_SLICE = DST / "da_lmp_HB_HOUSTON_dst_2024.csv"
SCED_SLICE = DST / "rtm_LMP_HB_HOUSTON_dst_2024.csv"

SPRING = "2024-03-10"
FALL = "2024-11-03"
HOUR = pd.Timedelta(hours=1)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def days(*dates: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(dates)))


def flags(*values: bool) -> pd.Series:
    return pd.Series(list(values), dtype=bool)


def he_to_utc(dates: list[str], hours: list[int], repeated: list[bool]) -> list[pd.Timestamp]:
    return hour_ending_to_utc(days(*dates), pd.Series(hours), flags(*repeated)).tolist()


@contextmanager
def no_dst_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DstWarning)
        yield


def day_hours(day: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Every (date, hour ending, flag) row ERCOT publishes for ``day``, in order."""
    if day == SPRING:
        hours, repeated = [h for h in range(1, 25) if h != 3], [False] * 23
    elif day == FALL:
        hours = [1, 2, 2, *range(3, 25)]
        repeated = [False, False, True] + [False] * 22
    else:
        hours, repeated = list(range(1, 25)), [False] * 24
    return days(*[day] * len(hours)), pd.Series(hours), flags(*repeated)


def read_dam(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str)
    return frame.assign(
        date=parse_dates(frame["deliveryDate"]),
        he=parse_hour_ending(frame["hourEnding"]),
        flag=parse_flag(frame["DSTFlag"]),
    )


def dam_utc(frame: pd.DataFrame) -> pd.Series:
    return hour_ending_to_utc(frame["date"], frame["he"], frame["flag"])


def read_sced(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(
        local=parse_timestamps(frame["SCEDTimestamp"]).to_numpy(),
        flag=parse_flag(frame["repeatHourFlag"]).to_numpy(),
    )


def assert_consecutive_hours(instants: pd.Series, count: int) -> None:
    ordered = instants.sort_values().reset_index(drop=True)
    assert ordered.notna().all()
    assert ordered.nunique() == count == len(ordered)
    assert (ordered.diff().iloc[1:] == HOUR).all()


# --- hour ending → UTC -------------------------------------------------------------------


def test_hour_ending_01_in_summer_starts_at_05z_cdt():
    assert he_to_utc(["2024-07-01"], [1], [False]) == [utc("2024-07-01 05:00")]


def test_hour_ending_01_in_winter_starts_at_06z_cst():
    assert he_to_utc(["2024-01-15"], [1], [False]) == [utc("2024-01-15 06:00")]


def test_hour_ending_24_is_the_last_hour_of_the_same_date():
    assert he_to_utc(["2024-07-01"], [24], [False]) == [utc("2024-07-02 04:00")]


def test_spring_forward_day_has_23_consecutive_hours():
    dates, hours, repeated = day_hours(SPRING)
    with no_dst_warning():
        out = hour_ending_to_utc(dates, hours, repeated)
    assert_consecutive_hours(out, 23)
    assert out.iloc[0] == utc("2024-03-10 06:00") and out.iloc[-1] == utc("2024-03-11 04:00")


def test_spring_forward_hour_ending_04_follows_hour_ending_02():
    assert he_to_utc([SPRING, SPRING], [2, 4], [False, False]) == [
        utc("2024-03-10 07:00"),
        utc("2024-03-10 08:00"),
    ]


def test_fall_back_day_has_25_consecutive_hours():
    dates, hours, repeated = day_hours(FALL)
    with no_dst_warning():
        out = hour_ending_to_utc(dates, hours, repeated)
    assert_consecutive_hours(out, 25)
    assert out.iloc[0] == utc("2024-11-03 05:00") and out.iloc[-1] == utc("2024-11-04 05:00")


def test_fall_back_he02_n_starts_06z_he02_y_07z_he03_08z():
    assert he_to_utc([FALL] * 3, [2, 2, 3], [False, True, False]) == [
        utc("2024-11-03 06:00"),
        utc("2024-11-03 07:00"),
        utc("2024-11-03 08:00"),
    ]


def test_hour_ending_to_utc_keeps_the_callers_index():
    index = pd.Index([40, 7, 19])
    out = hour_ending_to_utc(
        pd.Series(pd.to_datetime([FALL] * 3), index=index),
        pd.Series([2, 2, 3], index=index),
        pd.Series([False, True, False], index=index),
    )
    assert out.index.equals(index)
    assert out.loc[7] == utc("2024-11-03 07:00")


def test_hour_ending_to_utc_accepts_date_strings():
    out = hour_ending_to_utc(pd.Series(["2024-07-01"]), pd.Series([1]), flags(False))
    assert out.tolist() == [utc("2024-07-01 05:00")]


def test_hour_ending_to_utc_is_timezone_aware_utc():
    out = hour_ending_to_utc(days("2024-07-01"), pd.Series([1]), flags(False))
    assert str(out.dtype) == "datetime64[ns, UTC]"


def test_a_year_of_hours_has_8784_distinct_consecutive_hours():
    dates, hours, repeated = [], [], []
    for day in pd.date_range("2024-01-01", "2024-12-31", freq="D").strftime("%Y-%m-%d"):
        d, h, r = day_hours(day)
        dates.append(d)
        hours.append(h)
        repeated.append(r)
    with no_dst_warning():
        out = hour_ending_to_utc(
            pd.concat(dates, ignore_index=True),
            pd.concat(hours, ignore_index=True),
            pd.concat(repeated, ignore_index=True),
        )
    assert_consecutive_hours(out, 366 * 24)


# --- 15-minute intervals -----------------------------------------------------------------


def intervals_of(day: str) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    dates, hours, repeated = day_hours(day)
    n = len(hours)
    return (
        pd.Series(np.repeat(dates.to_numpy(), 4)),
        pd.Series(np.repeat(hours.to_numpy(), 4)),
        pd.Series(np.tile([1, 2, 3, 4], n)),
        pd.Series(np.repeat(repeated.to_numpy(), 4)),
    )


@pytest.mark.parametrize(("day", "count"), [(SPRING, 92), (FALL, 100), ("2024-07-01", 96)])
def test_a_day_of_15_minute_intervals_is_consecutive(day, count):
    with no_dst_warning():
        out = interval_to_utc(*intervals_of(day))
    ordered = out.sort_values().reset_index(drop=True)
    assert ordered.nunique() == count == len(out)
    assert (ordered.diff().iloc[1:] == pd.Timedelta(minutes=15)).all()


def test_interval_start_is_hour_start_plus_quarters():
    out = interval_to_utc(days("2024-09-29"), pd.Series([12]), pd.Series([3]), flags(False))
    # HE12 starts 11:00 CDT = 16:00Z; interval 3 starts 30 minutes later
    assert out.tolist() == [utc("2024-09-29 16:30")]


def test_fall_back_repeated_hour_intervals_follow_the_first_ones():
    out = interval_to_utc(
        days(FALL, FALL), pd.Series([2, 2]), pd.Series([4, 1]), flags(False, True)
    )
    assert out.tolist() == [utc("2024-11-03 06:45"), utc("2024-11-03 07:00")]


# --- SCED timestamps ---------------------------------------------------------------------


def sced(stamps: list[str], repeated: list[bool]) -> list[pd.Timestamp]:
    return sced_to_utc(pd.Series(pd.to_datetime(stamps)), flags(*repeated)).tolist()


def test_sced_spring_forward_jumps_from_0155_to_0300_five_minutes_later():
    with no_dst_warning():
        out = sced(["2024-03-10 01:55:00", "2024-03-10 03:00:00"], [False, False])
    assert out == [utc("2024-03-10 07:55"), utc("2024-03-10 08:00")]


def test_sced_repeated_hour_flag_selects_the_second_0130():
    with no_dst_warning():
        out = sced(["2024-11-03 01:30:12", "2024-11-03 01:30:12"], [False, True])
    assert out == [utc("2024-11-03 06:30:12"), utc("2024-11-03 07:30:12")]


def test_sced_keeps_the_seconds_of_the_run():
    assert sced(["2024-07-01 12:00:27"], [False]) == [utc("2024-07-01 17:00:27")]


def test_sced_to_utc_keeps_the_callers_index():
    out = sced_to_utc(
        pd.Series(pd.to_datetime(["2024-07-01 00:00:27"]), index=[9]), pd.Series([False], index=[9])
    )
    assert out.index.tolist() == [9]


def test_sced_missing_timestamp_stays_missing_not_1970():
    out = sced_to_utc(pd.Series(pd.to_datetime(["2024-07-01 00:00:27", None])), flags(False, False))
    assert out.iloc[0] == utc("2024-07-01 05:00:27") and pd.isna(out.iloc[1])


# --- posting times -----------------------------------------------------------------------


def test_posted_in_the_repeated_hour_is_read_as_the_later_cst_instant():
    out = posted_to_utc(pd.Series(pd.to_datetime(["2024-11-03 01:30"])))
    assert out.tolist() == [utc("2024-11-03 07:30")]


def test_posted_in_the_spring_gap_is_read_as_the_first_instant_after():
    out = posted_to_utc(pd.Series(pd.to_datetime(["2024-03-10 02:30"])))
    assert out.tolist() == [utc("2024-03-10 08:00")]


def test_posted_on_an_ordinary_day():
    out = posted_to_utc(pd.Series(pd.to_datetime(["2023-12-31 09:55:55"])))
    assert out.tolist() == [utc("2023-12-31 15:55:55")]


def test_posted_missing_stays_missing_not_1970():
    out = posted_to_utc(pd.Series(pd.to_datetime(["2024-07-01 09:55", None])))
    assert out.iloc[0] == utc("2024-07-01 14:55") and pd.isna(out.iloc[1])


def test_local_to_utc_leaves_nat_as_nat():
    out = local_to_utc(np.array(["NaT", "2024-07-01T00:00"], dtype="datetime64[ns]"), [True, False])
    assert pd.isna(out.iloc[0]) and out.iloc[1] == utc("2024-07-01 05:00")


# --- UTC → hour ending -------------------------------------------------------------------


def test_utc_to_hour_ending_names_the_repeated_hour_y():
    out = utc_to_hour_ending(pd.date_range("2024-11-03 05:00", periods=4, freq="h", tz="UTC"))
    assert out["hour_ending"].tolist() == ["01:00", "02:00", "02:00", "03:00"]
    assert out["dst_flag"].tolist() == ["N", "N", "Y", "N"]


def test_utc_to_hour_ending_skips_03_on_the_spring_day():
    out = utc_to_hour_ending(pd.date_range("2024-03-10 07:00", periods=2, freq="h", tz="UTC"))
    assert out["hour_ending_int"].tolist() == [2, 4]


def test_utc_to_hour_ending_last_hour_is_24_of_the_local_date():
    out = utc_to_hour_ending(pd.Series([utc("2024-07-02 04:00")]))
    assert out.iloc[0].to_dict() == {
        "delivery_date": pd.Timestamp("2024-07-01").date(),
        "hour_ending": "24:00",
        "hour_ending_int": 24,
        "dst_flag": "N",
    }


def test_utc_to_hour_ending_refuses_naive_timestamps():
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_to_hour_ending(pd.date_range("2024-07-01", periods=1, freq="h"))


def test_round_trip_utc_to_hour_ending_to_utc_for_all_of_2024():
    hours = pd.Series(pd.date_range("2024-01-01 06:00", "2025-01-01 05:00", freq="h", tz="UTC"))
    local = utc_to_hour_ending(hours)
    with no_dst_warning():
        back = hour_ending_to_utc(
            pd.Series(pd.to_datetime(local["delivery_date"])),
            parse_hour_ending(local["hour_ending"]),
            parse_flag(local["dst_flag"]),
        )
    assert back.tolist() == hours.tolist()
    per_day = local.groupby("delivery_date").size()
    assert per_day.loc[pd.Timestamp(SPRING).date()] == 23
    assert per_day.loc[pd.Timestamp(FALL).date()] == 25
    assert set(per_day.drop([pd.Timestamp(SPRING).date(), pd.Timestamp(FALL).date()])) == {24}


def test_fall_back_dates_marks_only_the_25_hour_day():
    marks = fall_back_dates(days("2024-11-02", FALL, SPRING, "2023-11-05"))
    assert marks.tolist() == [False, True, False, True]


# --- broken DST rows: a warning and the documented rule, never an exception ---------------


def test_duplicated_0300_y_warns_and_is_read_as_0300():
    with pytest.warns(DstWarning, match="DSTFlag=Y on an hour that is not repeated"):
        out = he_to_utc([FALL, FALL], [3, 3], [False, True])
    assert out == [utc("2024-11-03 08:00")] * 2


def test_duplicated_0300_y_later_row_wins_after_keep_last_duplicates():
    frame = pd.DataFrame(
        {"date": [FALL, FALL], "he": [3, 3], "flag": [False, True], "price": [9.54, 99.0]}
    )
    with pytest.warns(DstWarning):
        frame["utc"] = hour_ending_to_utc(pd.to_datetime(frame["date"]), frame["he"], frame["flag"])
        kept = keep_last_duplicates(frame, ["utc"], "dam_spp")
    assert kept["price"].tolist() == [99.0]


def test_hour_ending_25_on_the_fall_back_day_is_the_repeated_hour():
    with pytest.warns(DstWarning, match="hour ending 25 .* read as the repeated hour"):
        out = he_to_utc([FALL], [25], [False])
    assert out == [utc("2024-11-03 07:00")]


def test_hour_ending_25_on_another_day_is_dropped():
    with pytest.warns(DstWarning, match="which is no fall-back day, dropped"):
        out = he_to_utc(["2024-07-01", "2024-07-01"], [24, 25], [False, False])
    assert out[0] == utc("2024-07-02 04:00") and pd.isna(out[1])


def test_hour_ending_03_on_the_spring_day_is_dropped():
    with pytest.warns(DstWarning, match="does not exist"):
        out = he_to_utc([SPRING] * 3, [2, 3, 4], [False] * 3)
    assert (
        out[0] == utc("2024-03-10 07:00") and pd.isna(out[1]) and out[2] == utc("2024-03-10 08:00")
    )


def test_intervals_of_hour_ending_03_on_the_spring_day_are_dropped():
    with pytest.warns(DstWarning, match="does not exist"):
        out = interval_to_utc(
            days(*[SPRING] * 4), pd.Series([3] * 4), pd.Series([1, 2, 3, 4]), flags(*[False] * 4)
        )
    assert out.isna().all()


def test_repair_hour_ending_reports_each_rule_in_its_arrays():
    dates = days(FALL, FALL, "2024-07-01", SPRING, "2024-07-01")
    with pytest.warns(DstWarning):
        fixed = repair_hour_ending(
            dates, pd.Series([25, 3, 25, 3, 5]), flags(False, True, False, False, False)
        )
    assert fixed.hour_ending.tolist() == [2, 3, 25, 3, 5]
    assert fixed.repeated.tolist() == [True, False, False, False, False]
    assert fixed.keep.tolist() == [True, True, False, False, True]


def test_repair_hour_ending_is_silent_on_clean_rows():
    dates, hours, repeated = day_hours(FALL)
    with no_dst_warning():
        fixed = repair_hour_ending(dates, hours, repeated)
    assert fixed.keep.all() and fixed.repeated.sum() == 1


def test_sced_y_flag_outside_the_repeated_hour_is_ignored():
    with pytest.warns(DstWarning, match="RepeatedHourFlag=Y outside the repeated hour"):
        out = sced(["2024-07-01 01:30:00", "2024-11-03 02:10:00"], [True, True])
    assert out == [utc("2024-07-01 06:30"), utc("2024-11-03 08:10")]


def test_sced_time_in_the_spring_gap_is_dropped():
    with pytest.warns(DstWarning, match="spring-forward gap"):
        out = sced(["2024-03-10 02:10:00", "2024-03-10 03:00:00"], [False, False])
    assert pd.isna(out[0]) and out[1] == utc("2024-03-10 08:00")


def test_sced_missing_timestamp_with_a_y_flag_warns_instead_of_failing():
    with pytest.warns(DstWarning, match="outside the repeated hour"):
        out = sced_to_utc(pd.Series(pd.to_datetime([None, "2024-07-01 01:00"])), flags(True, True))
    assert pd.isna(out.iloc[0]) and out.iloc[1] == utc("2024-07-01 06:00")


def test_keep_last_duplicates_warns_once_and_keeps_the_later_row():
    frame = pd.DataFrame({"k": [1, 2, 1, 1], "v": ["a", "b", "c", "d"]})
    with pytest.warns(DstWarning, match=r"2 test row\(s\) repeat a key \(k\)"):
        kept = keep_last_duplicates(frame, ["k"], "test")
    assert kept["v"].tolist() == ["b", "d"]


def test_keep_last_duplicates_leaves_unique_rows_alone_silently():
    frame = pd.DataFrame({"k": [1, 2], "v": ["a", "b"]})
    with no_dst_warning():
        assert keep_last_duplicates(frame, ["k"], "test") is frame


# --- real ERCOT data: the copied slices, then the full files when present ----------------


@pytest.mark.parametrize(("day", "count"), [(SPRING, 23), (FALL, 25)])
def test_real_dam_dst_day_converts_to_consecutive_utc_hours(day, count):
    frame = read_dam(DAM_SLICE)
    rows = frame[frame["deliveryDate"] == day]
    assert len(rows) == count
    with no_dst_warning():
        assert_consecutive_hours(dam_utc(rows), count)


def test_real_dam_slice_around_both_dst_days_is_gapless():
    frame = read_dam(DAM_SLICE)
    with no_dst_warning():
        out = dam_utc(frame)
    for start, end in [
        ("2024-03-10 03:00", "2024-03-11 07:00"),  # 2024-03-09 HE22 .. 2024-03-11 HE03
        ("2024-11-03 02:00", "2024-11-04 08:00"),  # 2024-11-02 HE22 .. 2024-11-04 HE03
    ]:
        window = out[(out >= utc(start)) & (out <= utc(end))]
        assert_consecutive_hours(window, int((utc(end) - utc(start)) / HOUR) + 1)


def test_real_dam_fall_back_flag_true_is_the_0700z_hour():
    frame = read_dam(DAM_SLICE)
    rows = frame[(frame["deliveryDate"] == FALL) & (frame["hourEnding"] == "02:00")]
    out = dam_utc(rows)
    assert dict(zip(rows["DSTFlag"], out, strict=True)) == {
        "False": utc("2024-11-03 06:00"),
        "True": utc("2024-11-03 07:00"),
    }


def test_real_sced_fall_back_day_is_strictly_distinct_over_25_hours():
    frame = read_sced(pd.read_csv(SCED_SLICE, dtype={"SCEDTimestamp": str}))
    rows = frame[frame["SCEDTimestamp"].str.startswith(FALL)]
    with no_dst_warning():
        out = sced_to_utc(rows["local"], rows["flag"])
    assert out.notna().all() and out.is_unique
    assert out.dt.floor("h").nunique() == 25
    assert out.min() >= utc("2024-11-03 05:00") and out.max() < utc("2024-11-04 06:00")


def test_real_sced_repeated_hour_runs_sit_one_hour_after_the_first():
    frame = read_sced(pd.read_csv(SCED_SLICE, dtype={"SCEDTimestamp": str}))
    rows = frame[frame["SCEDTimestamp"].str.startswith(f"{FALL}T01:")]
    out = sced_to_utc(rows["local"], rows["flag"])
    flagged = rows["flag"].to_numpy()
    assert flagged.any() and (~flagged).any()
    assert out[~flagged].between(utc("2024-11-03 06:00"), utc("2024-11-03 06:59:59")).all()
    assert out[flagged].between(utc("2024-11-03 07:00"), utc("2024-11-03 07:59:59")).all()


def test_real_sced_spring_day_covers_23_hours_and_jumps_the_gap():
    frame = read_sced(pd.read_csv(SCED_SLICE, dtype={"SCEDTimestamp": str}))
    rows = frame[frame["SCEDTimestamp"].str.startswith(SPRING)]
    with no_dst_warning():
        out = sced_to_utc(rows["local"], rows["flag"]).sort_values()
    assert out.is_unique and out.dt.floor("h").nunique() == 23
    last_cst, first_cdt = (
        out[out < utc("2024-03-10 08:00")].max(),
        out[out >= utc("2024-03-10 08:00")].min(),
    )
    assert (last_cst, first_cdt) == (utc("2024-03-10 07:55:20"), utc("2024-03-10 08:00:24"))


def test_full_real_dam_file_converts_to_distinct_consecutive_hours(real_api_dir):
    frame = read_dam(real_api_dir / "da_lmp_HB_HOUSTON.csv")
    assert len(frame) == 10_128
    with no_dst_warning():
        out = dam_utc(frame)
    assert_consecutive_hours(out, 10_128)
    local_days = frame.groupby("deliveryDate").size()
    assert (local_days[SPRING], local_days[FALL]) == (23, 25)


@pytest.mark.parametrize(("day", "count"), [(SPRING, 23), (FALL, 25)])
def test_full_real_dam_files_dst_days_convert_for_every_hub(real_api_dir, day, count):
    for path in sorted(real_api_dir.glob("da_lmp_HB_*.csv")):
        frame = read_dam(path)
        rows = frame[frame["deliveryDate"] == day]
        with no_dst_warning():
            assert_consecutive_hours(dam_utc(rows), count)


def test_full_real_sced_file_fall_back_day_is_strictly_distinct_over_25_hours(real_api_dir):
    frame = read_sced(pd.read_parquet(real_api_dir / "rtm_LMP_HB_HOUSTON.parquet"))
    with no_dst_warning():
        out = sced_to_utc(frame["local"], frame["flag"])
    assert out.notna().all()
    fall = out[frame["SCEDTimestamp"].str.startswith(FALL).to_numpy()]
    assert fall.is_unique and fall.dt.floor("h").nunique() == 25


def test_full_real_sced_file_slice_matches_the_copied_fixture(real_api_dir):
    full = pd.read_parquet(real_api_dir / "rtm_LMP_HB_HOUSTON.parquet")
    day = full["SCEDTimestamp"].str.slice(0, 10)
    expected = full[day.isin([SPRING, FALL])].reset_index(drop=True)
    copied = pd.read_csv(SCED_SLICE, dtype={"SCEDTimestamp": str})
    assert copied["SCEDTimestamp"].tolist() == expected["SCEDTimestamp"].tolist()
    assert copied["repeatHourFlag"].tolist() == expected["repeatHourFlag"].tolist()
