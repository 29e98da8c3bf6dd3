"""The fast checks and conversion every request form shares: columns of point names, delivery
hours, issue times and feature values → :class:`Rows` in a bundle's terms.

The checks only detect (raising :class:`Invalid`); :mod:`inference.validate` then lists every
error with its place in the body. The rules: a known settlement point; the delivery hour as an
aware ``interval_start_utc`` on the hour in 2000–2100, or ``delivery_date`` + ``hour_ending``
(+ ``dst_flag``), agreeing when both are given; aware issue times in range; no two rows for
the same point and hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from inference.hours import LocalKeys, in_range, utc_hour, valid_time
from inference.rows import NO_HOUR, POINT_STRIDE, Invalid, Rows


@dataclass(frozen=True)
class LocalColumns:
    """ERCOT's local keys of each row; None where a row does not give them."""

    dates: Sequence[date | None]
    hour_endings: Sequence[int | None]
    repeated: Sequence[bool]
    """The DST flag ``Y``: the repeated (second) 01:00–02:00 of the fall-back day."""


def utc_hours(stamps: Sequence[datetime | None]) -> list[int]:
    """Hour number of each timestamp (:data:`NO_HOUR` for None)."""
    out = []
    for stamp in stamps:
        if stamp is None:
            out.append(NO_HOUR)
            continue
        hour = utc_hour(stamp)
        if hour is None or not in_range(hour):
            raise Invalid("interval_start_utc is naive, off the hour or out of range")
        out.append(hour)
    return out


def merge_local(hours: list[int], local: LocalColumns, keys: LocalKeys) -> list[int]:
    """``hours`` with the local keys' hours filled in (they must agree where both are given)."""
    rows, wanted = [], []
    for i, (day, he, repeated) in enumerate(
        zip(local.dates, local.hour_endings, local.repeated, strict=True)
    ):
        if day is None and he is None and not repeated:
            continue
        if day is None or he is None:
            raise Invalid("delivery_date and hour_ending go together")
        rows.append(i)
        wanted.append((day, he, repeated))
    hours = list(hours)
    for i, found in zip(rows, keys(wanted) if wanted else [], strict=True):
        if isinstance(found, str) or (hours[i] != NO_HOUR and hours[i] != found):
            raise Invalid("a local delivery hour is invalid or disagrees with UTC")
        hours[i] = found
    return hours


def to_rows(
    code_of: dict[str, int],
    points: list[str],
    hours: list[int],
    issue: list[datetime | None] | None,
    values: np.ndarray,
) -> Rows:
    """Checked rows. ``hours`` from :func:`utc_hours` / :func:`merge_local`; ``values``
    (rows, features) float64, NaN for null."""
    codes = [code_of.get(p, -1) for p in points]
    if -1 in codes or NO_HOUR in hours:
        raise Invalid("a settlement point is not in the bundle, or a row names no delivery hour")
    for stamp in issue or ():
        if stamp is not None and not valid_time(stamp):
            raise Invalid("issue_time_utc is naive or out of range")
    if issue and any(s is not None and s.utcoffset() for s in issue):  # answered in UTC
        issue = [s if s is None else s.astimezone(UTC) for s in issue]
    keys = [code * POINT_STRIDE + hour for code, hour in zip(codes, hours, strict=True)]
    if len(keys) > 1 and len(set(keys)) < len(keys):
        raise Invalid("two rows name the same point and hour")
    ints = np.array([codes, hours, keys], "int64").reshape(3, len(keys))  # one call, not three
    return Rows(points, ints[0], ints[1], ints[2], values, issue)
