"""Why a ``/score`` body was refused: every invalid field, as a JSON pointer, the value sent and
the reason (the slow path, run only after the strict decoder of :mod:`inference.decode` failed).

The rules are those of :mod:`inference.decode` and :mod:`inference.columns`, spelled out field by
field: a known settlement point; the delivery hour as an aware ``interval_start_utc`` on the
hour in 2000–2100, or ``delivery_date`` + ``hour_ending`` (+ ``dst_flag``), agreeing when both
are given; every bundle feature named, none other, each a finite number within float32 range or
null; at least one row, at most the limit; no two rows (or history rows) for the same point and
hour. Rows sent as columns are checked column by column, then row by row
(:mod:`inference.places` says where a row's field is in each form).
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import msgspec

from inference.field_rules import (
    MISSING,
    ROW_FIELDS,
    Collector,
    Enough,
    Limits,
    check_datetime,
    check_features,
    check_hour,
)
from inference.hours import LocalKeys
from inference.places import ColumnPlace, Place, escape
from inference.schemas import FieldError


def find_errors(
    body: bytes, limits: Limits, local: LocalKeys, reason: str = ""
) -> list[FieldError]:
    """The invalid fields of a syntactically valid JSON body (at most :data:`MAX_ERRORS`).

    Args:
        reason: the strict decoder's message, used when the body cannot even be read
            generically (a number beyond float64).
    """
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return [from_msgspec(reason)]
    return _errors_of(doc, limits, local)


def nonfinite_errors(body: bytes, limits: Limits, local: LocalKeys) -> list[FieldError]:
    """The invalid fields of a body that is JSON but for ``NaN`` or ``Infinity`` numbers
    (which JavaScript and Python write, and JSON lacks): each names the field holding one.
    Empty when the body is malformed otherwise."""
    if b"NaN" not in body and b"Infinity" not in body:
        return []
    try:
        doc = json.loads(body)  # Python's reader takes NaN and ±Infinity
    except (ValueError, RecursionError):
        return []
    return _errors_of(doc, limits, local)


def _errors_of(doc: Any, limits: Limits, local: LocalKeys) -> list[FieldError]:
    out = Collector()
    with contextlib.suppress(Enough):
        _check_body(doc, limits, local, out)
    return out.errors


def column_errors(
    parts: list[tuple[ColumnPlace, dict[str, Any], bool]], limits: Limits, local: LocalKeys
) -> list[FieldError]:
    """The invalid fields of rows sent as columns: (where they are, the columns as JSON values,
    whether at least one row is required) for each part of a body."""
    out = Collector()
    with contextlib.suppress(Enough):
        for at, columns, required in parts:
            check_columns(at, columns, limits, local, out, required)
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


def _check_body(doc: Any, limits: Limits, local: LocalKeys, out: Collector) -> None:
    if not isinstance(doc, dict):
        out.add("", "the body must be a JSON object with a 'rows' list", doc)
        return
    for key in doc.keys() - {"rows", "history"}:
        out.add(f"/{escape(key)}", "unknown field; a body has 'rows' and 'history'", doc[key])
    for name, required in (("rows", True), ("history", False)):
        rows = doc.get(name, MISSING)
        if rows is MISSING:
            if required:
                out.add("/rows", "required: the list of rows to score")
        elif isinstance(rows, dict):
            check_columns(ColumnPlace(name), rows, limits, local, out, required)
        elif not isinstance(rows, list):
            out.add(f"/{name}", "must be a list of rows, or an object of columns", rows)
        elif _count_ok(f"/{name}", len(rows), limits, out, required):
            check_rows(Place(name), rows, limits, local, out)


def _count_ok(at: str, n: int, limits: Limits, out: Collector, required: bool) -> bool:
    if required and not n:
        out.add(at, "empty: give at least one row to score", [])
        return False
    if n > limits.max_rows:
        out.add(
            at,
            f"{n} rows, more than the limit of {limits.max_rows} "
            "(ERCOT_DART_SERVE_MAX_ROWS); split the batch",
        )
        return False
    return True


COLUMN_FIELDS = ROW_FIELDS - {"features"}


def check_columns(
    at: ColumnPlace,
    columns: dict[str, Any],
    limits: Limits,
    local: LocalKeys,
    out: Collector,
    required: bool = True,
) -> None:
    """Rows sent as columns: each a list of one value per row; then, when they are, each row."""
    lists: dict[tuple[str, ...], Any] = {}
    ok = True
    for key, value in columns.items():
        if key in COLUMN_FIELDS:
            lists[(key,)] = value
        elif key != "features":
            detail = f"unknown column; rows as columns have {', '.join(sorted(ROW_FIELDS))}"
            out.add(at.column(key), detail, *_shown(value))
            ok = False
    features = columns.get("features", MISSING)
    if not isinstance(features, dict):
        if features is MISSING:
            out.add(at.column("features"), "required: an object of feature columns by name")
        else:
            out.add(at.column("features"), "must be an object of feature columns by name", features)
        features, ok = {}, False
    for name, value in features.items():
        if name in limits.features:
            lists[("features", name)] = value
        else:
            detail = "unknown feature: not an input of the bundle (see GET /model/info)"
            out.add(at.column("features", name), detail, *_shown(value))
            ok = False
    for name in limits.features:
        if name not in features and columns.get("features") is features:
            detail = "missing: every feature of the bundle is required (null when unknown)"
            out.add(at.column("features", name), detail)
            ok = False
    points = lists.get(("settlement_point",))
    if points is None:
        out.add(at.column("settlement_point"), "required: the settlement point of each row")
        return
    n = len(points) if isinstance(points, list) else 0
    for path, values in lists.items():
        if not isinstance(values, list):
            out.add(at.column(*path), "must be a list of one value per row", values)
            ok = False
        elif len(values) != n:
            out.add(at.column(*path), f"{len(values)} values where settlement_point has {n}")
            ok = False
    if ok and _count_ok(at.column(), n, limits, out, required):
        rows: list[dict[str, Any]] = [{"features": {}} for _ in range(n)]
        for path, values in lists.items():
            for row, value in zip(rows, values, strict=True):
                if len(path) == 2:
                    row["features"][path[1]] = value
                elif value is not None:
                    row[path[0]] = value
        check_rows(at, rows, limits, local, out)


def _shown(value: Any) -> tuple[Any, ...]:
    """The value sent, as an error shows it: a whole column is left out."""
    return () if isinstance(value, list) else (value,)


def check_rows(
    at: Place, rows: list[Any], limits: Limits, local: LocalKeys, out: Collector
) -> None:
    """Each row, and no two rows for the same point and hour."""
    seen: dict[tuple[str, int], int] = {}
    for i, row in enumerate(rows):
        key = _check_row(at, i, row, limits, local, out)
        if key is None:
            continue
        if key in seen:
            out.add(
                at.row(i),
                at.about(i, f"the same settlement point and hour as {at.ref(seen[key])}"),
                row.get("settlement_point"),
            )
        else:
            seen[key] = i


def _check_row(
    at: Place, i: int, row: Any, limits: Limits, local: LocalKeys, out: Collector
) -> tuple[str, int] | None:
    if not isinstance(row, dict):
        out.add(at.row(i), "a row must be a JSON object", row)
        return None
    for key in row.keys() - ROW_FIELDS:
        out.add(
            at.field(i, key),
            f"unknown field; a row has {', '.join(sorted(ROW_FIELDS))}",
            row[key],
        )
    point = row.get("settlement_point", MISSING)
    if point is MISSING:
        out.add(at.field(i, "settlement_point"), "required")
    elif not isinstance(point, str):
        out.add(at.field(i, "settlement_point"), "must be a string", point)
    elif point not in limits.points:
        known = sorted(limits.points)
        shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        out.add(
            at.field(i, "settlement_point"), f"not a point of the bundle (it knows {shown})", point
        )
    check_features(at, i, row.get("features", MISSING), limits, out)
    if "issue_time_utc" in row and row["issue_time_utc"] is not None:
        check_datetime(at.field(i, "issue_time_utc"), row["issue_time_utc"], out, hourly=False)
    hour = check_hour(at, i, row, local, out)
    return (point, hour) if isinstance(point, str) and hour is not None else None
