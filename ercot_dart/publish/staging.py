"""Where a run's predictions wait between ``batch_inference`` and ``publish_predictions``:
``staging/YYYY/MM/DD/HHMM/predictions.parquet`` of the blob store, named by the run's issue time
(UTC), so that a retried run finds its own file again. Publishing removes it; files of runs that
failed and were never retried are pruned once written more than ``staging_keep_days`` ago.
"""

from __future__ import annotations

import re

import pandas as pd

PREFIX = "staging/"
_KEY = re.compile(r"^staging/(\d{4})/(\d{2})/(\d{2})/(\d{2})(\d{2})/predictions\.parquet$")


def staging_key(issue_time_utc: pd.Timestamp) -> str:
    """Where the predictions issued at ``issue_time_utc`` wait to be published."""
    t = pd.Timestamp(issue_time_utc).tz_convert("UTC")
    return f"{PREFIX}{t:%Y/%m/%d/%H%M}/predictions.parquet"


def issue_time(key: str) -> pd.Timestamp | None:
    """The issue time a staging key is named by; None for any other key (left alone)."""
    match = _KEY.match(key)
    if match is None:
        return None
    year, month, day, hour, minute = map(int, match.groups())
    try:
        return pd.Timestamp(year, month, day, hour, minute, tz="UTC")
    except ValueError:
        return None


def expired(listing: dict[str, pd.Timestamp], now: pd.Timestamp, keep_days: int) -> list[str]:
    """The staging keys of a blob listing (key → last written) written more than ``keep_days``
    before ``now``. By when they were written, not their issue time: a replay of a past issue
    time stages under that time, and its file is as young as the run."""
    cutoff = pd.Timestamp(now).tz_convert("UTC") - pd.Timedelta(days=keep_days)
    return [k for k, written in listing.items() if issue_time(k) is not None and written < cutoff]
