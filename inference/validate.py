"""Why a ``/score`` body was refused: every invalid field, as a JSON pointer, the value sent and
the reason (the slow path, run only after the strict decoder of :mod:`inference.decode` failed).

The rules are those of :mod:`inference.decode`, spelled out field by field: a known settlement
point; the delivery hour as an aware ``interval_start_utc`` on the hour in 2000–2100, or
``delivery_date`` + ``hour_ending`` (+ ``dst_flag``), agreeing when both are given; every
bundle feature named, none other, each a number within float32 range or null; at least one row,
at most the limit; no two rows (or history rows) for the same point and hour.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec

from inference.hours import LocalKeys, utc_hour, valid_time
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
_MISSING: Any = object()


@dataclass(frozen=True)
class Limits:
    """What a valid body may contain for one bundle."""

    features: list[str]
    points: set[str]
    max_rows: int


class _Enough(Exception):
    pass


def escape(token: str) -> str:
    """A JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, pointer: str, detail: str, value: Any = _MISSING) -> None:
        if value is _MISSING:
            self.errors.append(FieldError(pointer=pointer, detail=detail))
        else:
            self.errors.append(FieldError(pointer=pointer, detail=detail, value=value))
        if len(self.errors) >= MAX_ERRORS:
            raise _Enough


def find_errors(
    body: bytes, limits: Limits, local: LocalKeys, reason: str = ""
) -> list[FieldError]:
    """The invalid fields of a syntactically valid JSON body (at most :data:`MAX_ERRORS`).

    Args:
        reason: the strict decoder's message, used when the body cannot even be read
            generically (a number beyond float64).
    """
    out = _Collector()
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return [from_msgspec(reason)]
    with contextlib.suppress(_Enough):
        _check_body(doc, limits, local, out)
    return out.errors


_MSGSPEC_PATH = re.compile(r"^(.*) - at `\$(.*)`$")
_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def from_msgspec(message: str) -> FieldError:
    """msgspec's "… - at `$.rows[0].features.x`" as a field error with a JSON pointer."""
    match = _MSGSPEC_PATH.match(message)
    if not match:
        return FieldError(pointer="", detail=message)
    tokens = [name or index for name, index in _PATH_TOKEN.findall(match.group(2))]
    return FieldError(pointer="".join(f"/{escape(t)}" for t in tokens), detail=match.group(1))


def _check_body(doc: Any, limits: Limits, local: LocalKeys, out: _Collector) -> None:
    if not isinstance(doc, dict):
        out.add("", "the body must be a JSON object with a 'rows' list", doc)
        return
    for key in doc.keys() - {"rows", "history"}:
        out.add(f"/{escape(key)}", "unknown field; a body has 'rows' and 'history'", doc[key])
    for name, required in (("rows", True), ("history", False)):
        rows = doc.get(name, _MISSING)
        if rows is _MISSING:
            if required:
                out.add("/rows", "required: the list of rows to score")
            continue
        if not isinstance(rows, list):
            out.add(f"/{name}", "must be a list of rows", rows)
        elif required and not rows:
            out.add("/rows", "empty: give at least one row to score", rows)
        elif len(rows) > limits.max_rows:
            out.add(
                f"/{name}",
                f"{len(rows)} rows, more than the limit of {limits.max_rows} "
                "(ERCOT_DART_SERVE_MAX_ROWS); split the batch",
            )
        else:
            _check_rows(name, rows, limits, local, out)


def _check_rows(
    name: str, rows: list[Any], limits: Limits, local: LocalKeys, out: _Collector
) -> None:
    seen: dict[tuple[str, int], int] = {}
    for i, row in enumerate(rows):
        key = _check_row(f"/{name}/{i}", row, limits, local, out)
        if key is None:
            continue
        if key in seen:
            out.add(
                f"/{name}/{i}",
                f"the same settlement point and hour as /{name}/{seen[key]}",
                row.get("settlement_point"),
            )
        else:
            seen[key] = i


def _check_row(
    at: str, row: Any, limits: Limits, local: LocalKeys, out: _Collector
) -> tuple[str, int] | None:
    if not isinstance(row, dict):
        out.add(at, "a row must be a JSON object", row)
        return None
    for key in row.keys() - ROW_FIELDS:
        out.add(
            f"{at}/{escape(key)}",
            f"unknown field; a row has {', '.join(sorted(ROW_FIELDS))}",
            row[key],
        )
    point = row.get("settlement_point", _MISSING)
    if point is _MISSING:
        out.add(f"{at}/settlement_point", "required")
    elif not isinstance(point, str):
        out.add(f"{at}/settlement_point", "must be a string", point)
    elif point not in limits.points:
        known = sorted(limits.points)
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        out.add(f"{at}/settlement_point", f"not a point of the bundle (it knows {shown})", point)
    _check_features(f"{at}/features", row.get("features", _MISSING), limits, out)
    if "issue_time_utc" in row and row["issue_time_utc"] is not None:
        _datetime(f"{at}/issue_time_utc", row["issue_time_utc"], out, hourly=False)
    hour = _check_hour(at, row, local, out)
    return (point, hour) if isinstance(point, str) and hour is not None else None


def _check_features(at: str, features: Any, limits: Limits, out: _Collector) -> None:
    if features is _MISSING:
        out.add(at, "required: an object of feature values by name")
        return
    if not isinstance(features, dict):
        out.add(at, "must be an object of feature values by name", features)
        return
    for name in limits.features:
        if name not in features:
            out.add(
                f"{at}/{escape(name)}",
                "missing: every feature of the bundle is required (null when unknown)",
            )
    known = set(limits.features)
    for name, value in features.items():
        where = f"{at}/{escape(name)}"
        if name not in known:
            out.add(
                where, "unknown feature: not an input of the bundle (see GET /model/info)", value
            )
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, int | float):
            out.add(where, "must be a number or null", value)
        elif not _float32(value):
            out.add(where, "outside the float32 range the models take", value)


def _float32(value: int | float) -> bool:
    try:
        return abs(float(value)) <= FLOAT32_MAX
    except OverflowError:  # an integer of hundreds of digits
        return False


def _datetime(at: str, value: Any, out: _Collector, hourly: bool = True) -> int | None:
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


def _check_hour(at: str, row: dict[str, Any], local: LocalKeys, out: _Collector) -> int | None:
    utc = row.get("interval_start_utc")
    hour = _datetime(f"{at}/interval_start_utc", utc, out) if utc is not None else None
    day, he, flag = row.get("delivery_date"), row.get("hour_ending"), row.get("dst_flag", "N")
    ok = True
    if day is not None:
        try:
            day = msgspec.convert(day, date) if isinstance(day, str) else None
        except msgspec.ValidationError:
            day = None
        if day is None:
            out.add(f"{at}/delivery_date", "must be a date, YYYY-MM-DD", row["delivery_date"])
            ok = False
    if he is not None and (isinstance(he, bool) or not isinstance(he, int) or not 1 <= he <= 24):
        out.add(f"{at}/hour_ending", "must be an integer hour ending, 1..24", he)
        ok = False
    if flag not in ("Y", "N"):
        out.add(f"{at}/dst_flag", "must be 'Y' (the repeated fall-back hour) or 'N'", flag)
        ok = False
    if day is None and he is None and flag == "N":
        if utc is None:
            out.add(
                at,
                "names no delivery hour: give interval_start_utc, or delivery_date and hour_ending",
            )
        return hour
    if not ok:
        return None
    if day is None or he is None:
        missing = "delivery_date" if day is None else "hour_ending"
        out.add(f"{at}/{missing}", "required with hour_ending, delivery_date and dst_flag")
        return None
    found = local([(day, he, flag == "Y")])[0]
    if isinstance(found, str):
        out.add(f"{at}/hour_ending", found, he)
        return None
    if hour is not None and found != hour:
        out.add(
            f"{at}/interval_start_utc",
            "disagrees with delivery_date, hour_ending and dst_flag",
            utc,
        )
        return None
    return found
