"""The synthetic market's clock follows ERCOT's wall-clock conventions, DST days included."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ercot_dart.synth.clock import day_clock, interval_starts, posting_times, sced_runs

SPRING = date(2025, 3, 9)
FALL = date(2025, 11, 2)


def _runs(day: date):
    return sced_runs(day_clock(day), np.random.default_rng(1), extra_per_hour=0.12)


@pytest.mark.parametrize(("day", "hours"), [(SPRING, 23), (date(2025, 6, 1), 24), (FALL, 25)])
def test_a_day_has_23_24_or_25_hours(day: date, hours: int) -> None:
    assert day_clock(day).n_hours == hours


def test_spring_forward_day_has_no_hour_ending_3() -> None:
    clock = day_clock(SPRING)
    assert 3 not in clock.hour_ending
    assert list(clock.hour_ending[:3]) == [1, 2, 4]


def test_fall_back_day_repeats_hour_ending_2_flagged_y_the_second_time() -> None:
    clock = day_clock(FALL)
    assert list(zip(clock.hour_ending[:4], clock.dst_flag[:4], strict=True)) == [
        (1, "N"),
        (2, "N"),
        (2, "Y"),
        (3, "N"),
    ]
    assert np.all(np.diff(clock.utc) == 3600)


@pytest.mark.parametrize(("day", "intervals"), [(SPRING, 92), (FALL, 100)])
def test_dst_days_have_92_or_100_intervals(day: date, intervals: int) -> None:
    assert len(interval_starts(day_clock(day))) == intervals


def test_sced_jumps_from_0155_to_0300_in_spring() -> None:
    local = pd.DatetimeIndex(_runs(SPRING).local)
    assert not ((local.hour == 2).any())
    before, after = local[local.hour == 1].max(), local[local.hour == 3].min()
    assert (before.minute, after.minute) == (55, 0)


def test_sced_repeats_the_01_hour_with_repeated_hour_flag_in_autumn() -> None:
    runs = _runs(FALL)
    local = pd.DatetimeIndex(runs.local)
    in_01 = local.hour == 1
    assert runs.repeated[in_01].sum() >= 12 and (~runs.repeated[in_01]).sum() >= 12
    assert not runs.repeated[~in_01].any()
    assert np.all(np.diff(runs.utc) > 0)


def test_sced_runs_every_five_minutes_a_few_seconds_after_the_mark() -> None:
    runs = _runs(date(2025, 6, 1))
    seconds = pd.DatetimeIndex(runs.local).second
    assert 288 <= len(runs.utc) <= 300
    assert 8 <= np.median(seconds) <= 16
    assert seconds.max() < 60 and seconds.min() >= 8


def test_postings_skip_a_wall_time_that_does_not_exist() -> None:
    hours = [p.local.astype(object).hour for p in posting_times(SPRING, 1, 55, np.zeros(24))]
    assert 2 not in hours and len(hours) == 23


def test_a_repeated_wall_time_is_posted_once_at_the_later_instant() -> None:
    postings = posting_times(FALL, 1, 55, np.zeros(24))
    at_0155 = [p for p in postings if p.local.astype(object).hour == 1]
    assert len(at_0155) == 1
    # 01:55 CST is 07:55 UTC
    assert pd.Timestamp(at_0155[0].utc, unit="s").hour == 7
