"""The rules for the fields of one row of a ``/score`` body (its features, its delivery hour,
its issue time), each error found added to a :class:`Collector` with its JSON pointer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from inference.hours import LocalKeys, utc_hour, valid_time
from inference.places import Place
from inference.schemas import FieldError

MAX_ERRORS = 100
FLOAT32_MAX = 3.4028234663852886e38
ROW_FIELDS = {
    "settlement_point",
    "features",
    "interval_start_utc",
    "delivery_date",
    "hour_ending",
    "dst_flag",
    "issue_time_utc",
}
MISSING: Any = object()


@dataclass(frozen=True)
class Limits:
    """What a valid body may contain for one bundle."""

    features: list[str]
    points: set[str]
    max_rows: int


class Enough(Exception):
    """:data:`MAX_ERRORS` found: stop looking."""


class Collector:
    """The errors found so far (raises :class:`Enough` at :data:`MAX_ERRORS`)."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, pointer: str, detail: str, value: Any = MISSING) -> None:
        if value is MISSING:
            self.errors.append(FieldError(pointer=pointer, detail=detail))
        else:
            self.errors.append(FieldError(pointer=pointer, detail=detail, value=value))
        if len(self.errors) >= MAX_ERRORS:
            raise Enough


def check_features(at: Place, i: int, features: Any, limits: Limits, out: Collector) -> None:
    if features is MISSING:
        out.add(at.field(i, "features"), "required: an object of feature values by name")
        return
    if not isinstance(features, dict):
        out.add(at.field(i, "features"), "must be an object of feature values by name", features)
        return
    for name in limits.features:
        if name not in features:
            out.add(
                at.field(i, "features", name),
                "missing: every feature of the bundle is required (null when unknown)",
            )
    known = set(limits.features)
    for name, value in features.items():
        where = at.field(i, "features", name)
        if name not in known:
            out.add(
                where, "unknown feature: not an input of the bundle (see GET /model/info)", value
            )
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, int | float):
            out.add(where, "must be a number or null", value)
        elif isinstance(value, float) and not math.isfinite(value):
            out.add(where, "NaN or infinite: give null for an unknown value", value)
        elif not _float32(value):
            out.add(where, "outside the float32 range the models take", value)


def _float32(value: int | float) -> bool:
    try:
        return abs(float(value)) <= FLOAT32_MAX
    except OverflowError:  # an integer of hundreds of digits
        return False


def check_datetime(at: str, value: Any, out: Collector, hourly: bool = True) -> int | None:
    """The hour number of an ISO 8601 timestamp value, None (and an error) when invalid."""
    try:
        parsed = msgspec.convert(value, datetime) if isinstance(value, str) else None
    except msgspec.ValidationError:
        parsed = None
    if parsed is None:
        out.add(
            at, "must be an ISO 8601 timestamp with an offset, e.g. 2024-08-01T05:00:00Z", value
        )
        return None
    if parsed.utcoffset() is None:
        out.add(at, "naive timestamp: give its offset, e.g. 2024-08-01T05:00:00Z", value)
        return None
    if not valid_time(parsed):
        out.add(at, "outside the years 2000–2100", value)
        return None
    hour = utc_hour(parsed)
    if hourly and hour is None:
        out.add(at, "not the start of an hour", value)
        return None
    return hour


def check_hour(
    at: Place, i: int, row: dict[str, Any], local: LocalKeys, out: Collector
) -> int | None:
    utc = row.get("interval_start_utc")
    hour = check_datetime(at.field(i, "interval_start_utc"), utc, out) if utc is not None else None
    day, he, flag = row.get("delivery_date"), row.get("hour_ending"), row.get("dst_flag", "N")
    ok = True
    if day is not None:
        try:
            day = msgspec.convert(day, date) if isinstance(day, str) else None
        except msgspec.ValidationError:
            day = None
        if day is None:
            out.add(
                at.field(i, "delivery_date"), "must be a date, YYYY-MM-DD", row["delivery_date"]
            )
            ok = False
    if he is not None and (isinstance(he, bool) or not isinstance(he, int) or not 1 <= he <= 24):
        out.add(at.field(i, "hour_ending"), "must be an integer hour ending, 1..24", he)
        ok = False
    if flag not in ("Y", "N"):
        out.add(at.field(i, "dst_flag"), "must be 'Y' (the repeated fall-back hour) or 'N'", flag)
        ok = False
    if day is None and he is None and flag == "N":
        if utc is None:
            out.add(  # at the field it most likely lacks
                at.field(i, "interval_start_utc"),
                "names no delivery hour: give interval_start_utc, or delivery_date and hour_ending",
            )
        return hour
    if not ok:
        return None
    if day is None or he is None:
        missing = "delivery_date" if day is None else "hour_ending"
        given = (
            "hour_ending"
            if he is not None
            else ("delivery_date" if day is not None else "dst_flag")
        )
        out.add(
            at.field(i, missing),
            f"required with {given}: a local hour is delivery_date + hour_ending (+ dst_flag)",
        )
        return None
    found = local([(day, he, flag == "Y")])[0]
    if isinstance(found, str):
        out.add(at.field(i, "hour_ending"), found, he)
        return None
    if hour is not None and found != hour:
        named = datetime.fromtimestamp(found * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.add(
            at.field(i, "interval_start_utc"),
            f"disagrees with delivery_date {day}, hour_ending {he} and dst_flag {flag}"
            f"{'' if 'dst_flag' in row else ' (the default)'}, which start at {named}",
            utc,
        )
        return None
    return found
