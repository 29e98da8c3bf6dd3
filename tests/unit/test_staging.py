"""Staging keys name their issue time; only those keys, and only old ones, expire."""

from __future__ import annotations

import pandas as pd

from ercot_dart.publish.staging import expired, issue_time, staging_key

NOW = pd.Timestamp("2024-11-03T12:00Z")


def test_a_staging_key_names_its_issue_time_in_utc():
    # 01:05 CST, the second 01:05 of the fall-back day, is 07:05 UTC (the first is 06:05)
    issue = pd.Timestamp("2024-11-03T07:05Z").tz_convert("America/Chicago")
    key = staging_key(issue)
    assert key == "staging/2024/11/03/0705/predictions.parquet"
    assert issue_time(key) == pd.Timestamp("2024-11-03T07:05Z")


def test_only_staging_files_written_before_the_kept_days_expire():
    written = {
        staging_key(NOW): NOW - pd.Timedelta(days=7, minutes=1),  # a replay's, written long ago
        staging_key(NOW - pd.Timedelta(days=30)): NOW,  # a past issue time written just now
        "staging/2024/13/01/0000/predictions.parquet": NOW - pd.Timedelta(days=30),  # no month 13
        "staging/2020/01/01/0000/other.parquet": NOW - pd.Timedelta(days=30),
        "predictions/2020/01/01/00/predictions.parquet": NOW - pd.Timedelta(days=30),
        staging_key(NOW - pd.Timedelta(days=1)): NOW - pd.Timedelta(days=7),  # on the cutoff: kept
    }
    assert expired(written, NOW, 7) == [staging_key(NOW)]
