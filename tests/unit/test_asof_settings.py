"""The publication lags the features respect come from settings (ERCOT_DART_*), with the spec's
lags as defaults."""

from __future__ import annotations

from datetime import time

import pandas as pd
import pytest
from pydantic import ValidationError

from ercot_dart.features.asof import AsOfRules, actual_load_published, dam_published
from ercot_dart.settings import Settings

HOUR = pd.DatetimeIndex([pd.Timestamp("2024-07-15T17:00Z")])  # HE 13:00 Central on 07-15


def test_the_defaults_are_the_specs_lags():
    assert Settings().asof_rules == AsOfRules()


def test_each_lag_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ERCOT_DART_DAM_PUBLISH_LOCAL_TIME", "12:45")
    monkeypatch.setenv("ERCOT_DART_RT_PUBLISH_LAG_MINUTES", "15")
    monkeypatch.setenv("ERCOT_DART_ACTUAL_LOAD_PUBLISH_LOCAL_TIME", "07:10")
    monkeypatch.setenv("ERCOT_DART_ISSUE_LOCAL_TIME", "08:30")
    rules = Settings().asof_rules
    assert rules == AsOfRules(
        dam_local_time=time(12, 45),
        rt_lag_minutes=15,
        actual_load_local_time=time(7, 10),
        issue_local_time=time(8, 30),
    )
    # 12:45 CDT on the day before, 07:10 CDT on the day after
    assert dam_published(HOUR, rules)[0] == pd.Timestamp("2024-07-14T17:45Z")
    assert actual_load_published(HOUR, rules)[0] == pd.Timestamp("2024-07-16T12:10Z")


@pytest.mark.parametrize(
    ("name", "value"),
    [("ERCOT_DART_DAM_PUBLISH_LOCAL_TIME", "25:00"), ("ERCOT_DART_RT_PUBLISH_LAG_MINUTES", "-5")],
)
def test_a_bad_lag_is_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("ERCOT_DART_").lower()):
        Settings()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ERCOT_DART_CALIBRATION_COVERAGE_MIN": "1.5"}, "calibration_coverage_min"),
        (
            {
                "ERCOT_DART_CALIBRATION_COVERAGE_MIN": "0.9",
                "ERCOT_DART_CALIBRATION_COVERAGE_MAX": "0.8",
            },
            "must be above ERCOT_DART_CALIBRATION_COVERAGE_MIN",
        ),
    ],
)
def test_calibration_bounds_are_checked(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()
