"""The predictions file of one issue hour holds every issue time published in that hour (a daily
run at 05:00 and an hourly one at 05:05 Central share ``predictions/…/HH/``). Publishing an issue
time replaces that issue time's rows and keeps the others'; rows are kept in one order, so the
same publications give the same file whatever order they came in. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import pandas as pd

from ercot_dart.publish.blob import read_parquet_bytes, to_parquet_bytes

ORDER = ["issue_time_utc", "settlement_point", "interval_start_utc", "model"]
"""How the rows of an hour's file are sorted (the table's primary key)."""


def _utc(moment: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(moment).tz_convert("UTC")


def issue_rows(data: bytes | None, issue_time_utc: pd.Timestamp) -> pd.DataFrame | None:
    """The rows of ``issue_time_utc`` in the file ``data`` (None when there is no file)."""
    if data is None:
        return None
    frame = read_parquet_bytes(data)
    return frame[frame["issue_time_utc"] == _utc(issue_time_utc)].reset_index(drop=True)


def with_issue_rows(
    data: bytes | None, rows: pd.DataFrame | None, issue_time_utc: pd.Timestamp
) -> bytes | None:
    """The hour's file ``data`` with the rows of ``issue_time_utc`` replaced by ``rows``.

    Args:
        data: the file as it is (None: no file yet).
        rows: the issue time's rows now (None or empty: it has none).
        issue_time_utc: the issue time being replaced.

    Returns:
        The new file, sorted by :data:`ORDER`; None when no row is left (no file).
    """
    issue = _utc(issue_time_utc)
    if rows is not None and len(rows) and not (rows["issue_time_utc"] == issue).all():
        raise ValueError(f"rows of other issue times than {issue:%Y-%m-%dT%H:%MZ} to publish")
    parts = []
    if data is not None:
        kept = read_parquet_bytes(data)
        parts.append(kept[kept["issue_time_utc"] != issue])
    if rows is not None:
        parts.append(rows)
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    merged = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    merged = merged.sort_values(ORDER, kind="stable", ignore_index=True)
    return to_parquet_bytes(merged)
