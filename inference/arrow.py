"""``POST /score`` bodies as an Apache Arrow IPC stream (``application/vnd.apache.arrow.stream``):
the bulk form, read without parsing text, answered in Arrow.

A request is one table, one row per row, laid out like the JSON columns: ``settlement_point``
(string), the delivery hour as ``interval_start_utc`` (timestamp with a time zone) and/or
``delivery_date`` (date32) + ``hour_ending`` (integer) + ``dst_flag`` (string), optional
``issue_time_utc`` (timestamp with a time zone), ``features`` (a struct of one number field per
feature of the bundle) and an optional ``history`` boolean (true: a history row, not scored). A
null means the row does not give that field (a null feature: unknown), as in the JSON forms.
The answer is one table in the request's row order (see docs/serving.md).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from inference.columns import LocalColumns, merge_local, to_rows
from inference.field_rules import FLOAT32_MAX, ROW_FIELDS, Limits
from inference.hours import END_HOUR, FIRST_HOUR, HOUR_S, LocalKeys
from inference.places import ColumnPlace
from inference.problems import Kind, ProblemError
from inference.rows import NO_HOUR, Form, Invalid, Request, Rows
from inference.schemas import FieldError
from inference.validate import column_errors

MEDIA_TYPE = "application/vnd.apache.arrow.stream"
TIMES = ("interval_start_utc", "issue_time_utc")
COLUMNS = ROW_FIELDS | {"history"}
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_EPOCH = date(1970, 1, 1)
_DAYS = ((date(2000, 1, 1) - _EPOCH).days, (date(2101, 1, 1) - _EPOCH).days)


def read_table(body: bytes) -> pa.Table:
    """The stream's table, without its columns of the null type (they give no value, like an
    absent column).

    Raises:
        ProblemError: 400 when the body is not an Arrow IPC stream.
    """
    try:
        with pa.ipc.open_stream(pa.py_buffer(body)) as reader:
            table = reader.read_all()
    except (pa.ArrowException, ValueError, OSError) as exc:
        raise ProblemError(
            400,
            Kind.MALFORMED_ARROW,
            "Malformed Arrow stream",
            f"the body is not an Arrow IPC stream: {exc}",
        ) from None
    empty = [f.name for f in table.schema if pa.types.is_null(f.type)]
    return table.drop_columns(empty) if empty else table


def read_request(body: bytes, codec: Any) -> Request:
    """The stream's rows and history rows, checked (:class:`Invalid` on any problem)."""
    table = read_table(body)
    if _type_problems(table, Limits(codec.features, set(codec.points), codec.max_rows)):
        raise Invalid("a column is missing, unknown or of the wrong type")
    history = _history(table)
    rows = _rows(table.filter(~history) if history.any() else table, codec)
    if not 0 < len(rows) <= codec.max_rows or history.sum() > codec.max_rows:
        raise Invalid("no rows to score, or more than the limit")
    past = _rows(table.filter(history), codec) if history.any() else codec.no_rows
    return Request(rows, past, Form.ARROW)


def _history(table: pa.Table) -> np.ndarray:
    if "history" not in table.column_names:
        return np.zeros(table.num_rows, bool)
    return table["history"].fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def _rows(table: pa.Table, codec: Any) -> Rows:
    n = table.num_rows
    names = set(table.column_names)
    hours = _hours(table["interval_start_utc"]) if "interval_start_utc" in names else [NO_HOUR] * n
    if names & {"delivery_date", "hour_ending", "dst_flag"}:
        hours = merge_local(hours, _local(table), codec.local)
    issue = None
    if "issue_time_utc" in names:  # in range: _type_problems
        issue = _utc(table["issue_time_utc"]).to_pylist()
    points = table["settlement_point"].to_pylist()
    return to_rows(codec.code_of, points, hours, issue, _values(table, codec.features))


def _features(table: pa.Table) -> dict[str, pa.ChunkedArray]:
    """The feature columns by name (a null ``features`` row: every feature null)."""
    column = table["features"]
    return dict(zip([f.name for f in column.type], column.flatten(), strict=True))


def _values(table: pa.Table, features: list[str]) -> np.ndarray:
    columns = _features(table)
    values = np.empty((table.num_rows, len(features)))
    given = np.ones(values.shape, bool)  # false where null: NaN is refused, null is not
    for j, name in enumerate(features):
        column = columns[name]
        if pa.types.is_null(column.type):
            values[:, j], given[:, j] = np.nan, False
            continue
        values[:, j] = column.to_numpy(zero_copy_only=False)
        if column.null_count:
            given[:, j] = ~column.is_null().to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        bad = (~np.isfinite(values) & given) | (np.abs(values) > FLOAT32_MAX)
    if bad.any():
        raise Invalid("a feature value is NaN, infinite or beyond float32")
    return values


def _utc(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(pa.timestamp("us", tz="UTC"), safe=False)


def _instants(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, int]:
    """(integers in the column's unit, null mask, units per second)."""
    nulls = column.is_null().to_numpy(zero_copy_only=False)
    ints = column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    return ints, nulls, _PER_SECOND[column.type.unit]


def _in_range(column: pa.ChunkedArray) -> bool:
    ints, nulls, per_second = _instants(column)
    hours = ints // (per_second * HOUR_S)
    return bool(((hours >= FIRST_HOUR) & (hours < END_HOUR) | nulls).all())


def _hours(column: pa.ChunkedArray) -> list[int]:
    ints, nulls, per_second = _instants(column)
    per_hour = per_second * HOUR_S
    hours = ints // per_hour
    ok = ((ints % per_hour == 0) & (hours >= FIRST_HOUR) & (hours < END_HOUR)) | nulls
    if not ok.all():
        raise Invalid("interval_start_utc off the hour or out of range")
    hours[nulls] = NO_HOUR
    return hours.tolist()


def _local(table: pa.Table) -> LocalColumns:
    n, names = table.num_rows, set(table.column_names)
    days = table["delivery_date"].to_pylist() if "delivery_date" in names else [None] * n
    hour_endings = table["hour_ending"].to_pylist() if "hour_ending" in names else [None] * n
    if any(h is not None and not 1 <= h <= 24 for h in hour_endings):
        raise Invalid("hour_ending outside 1..24")
    flags = table["dst_flag"].to_pylist() if "dst_flag" in names else [None] * n
    if any(f not in (None, "Y", "N") for f in flags):
        raise Invalid("dst_flag is not Y or N")
    return LocalColumns(days, hour_endings, [f == "Y" for f in flags])


def _type_problem(name: str, typ: pa.DataType) -> str | None:
    """Why a column's type is wrong for its name, or None."""
    t = pa.types
    text = t.is_string(typ) or t.is_large_string(typ) or (
        t.is_dictionary(typ) and (t.is_string(typ.value_type) or t.is_large_string(typ.value_type))
    )  # fmt: skip
    if name in ("settlement_point", "dst_flag"):
        return None if text else "must be a string column"
    if name in TIMES:
        if not t.is_timestamp(typ):
            return "must be a timestamp column with a time zone"
        return None if typ.tz else "naive timestamps: give the column a time zone (UTC)"
    if name == "delivery_date":
        return None if t.is_date32(typ) else "must be a date32 column"
    if name == "hour_ending":
        return None if t.is_integer(typ) else "must be an integer column"
    if name == "history":
        return None if t.is_boolean(typ) else "must be a boolean column"
    return None if t.is_struct(typ) else "must be a struct of one field per feature"


def _feature_problem(typ: pa.DataType) -> str | None:
    numeric = pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_null(typ)
    return None if numeric else "must be a number (null when unknown)"


def _type_problems(table: pa.Table, limits: Limits) -> list[FieldError]:
    """Columns missing, unknown, repeated or of the wrong type, and values the row checks
    cannot be shown (out of the range of Python's dates)."""
    out: list[FieldError] = []

    def add(pointer: str, detail: str, *value: Any) -> None:
        out.append(
            FieldError(pointer=pointer, detail=detail, **({"value": value[0]} if value else {}))
        )

    names = table.column_names
    for name in ("settlement_point", "features"):
        if name not in names:
            add(f"/{name}", "required")
    for name in sorted(set(names)):
        typ = table.schema.field(name).type
        if names.count(name) > 1:
            add(f"/{name}", "the column is repeated")
        elif name not in COLUMNS:
            add(f"/{name}", "unknown column; a row's fields are " + ", ".join(sorted(COLUMNS)))
        elif problem := _type_problem(name, typ):
            add(f"/{name}", problem, str(typ))
        elif name in TIMES and not _in_range(table[name]):
            add(f"/{name}", "a value is outside 2000–2100")
        elif name == "delivery_date" and (bad := _bad_days(table[name])):
            add(f"/{name}/{bad[0]}", "outside 2000–2100")
    if "features" in names and not out:
        given = [f.name for f in table.schema.field("features").type]
        for name in limits.features:
            if name not in given:
                add(f"/features/{name}", "missing: every feature of the bundle is required")
        for name in sorted(set(given)):
            typ = table.schema.field("features").type.field(name).type
            if given.count(name) > 1:
                add(f"/features/{name}", "the field is repeated")
            elif name not in limits.features:
                add(f"/features/{name}", "unknown feature: not an input of the bundle")
            elif problem := _feature_problem(typ):
                add(f"/features/{name}", problem, str(typ))
    return out


def _bad_days(column: pa.ChunkedArray) -> list[int]:
    days = column.cast(pa.int32()).fill_null(_DAYS[0]).to_numpy(zero_copy_only=False)
    return np.flatnonzero((days < _DAYS[0]) | (days >= _DAYS[1])).tolist()


def arrow_errors(body: bytes, limits: Limits, local: LocalKeys) -> list[FieldError]:
    """Every invalid column or value of a readable stream, as ``/column/row`` pointers."""
    table = read_table(body)
    if problems := _type_problems(table, limits):
        return problems
    history = _history(table)
    parts = []
    for name, mask, required in (("rows", ~history, True), ("history", history, False)):
        part = table.filter(mask)
        columns: dict[str, Any] = {}
        for field in part.column_names:
            column = part[field]
            if field in TIMES:
                columns[field] = [
                    None if t is None else t.isoformat() for t in _utc(column).to_pylist()
                ]
            elif field == "delivery_date":
                columns[field] = [None if d is None else d.isoformat() for d in column.to_pylist()]
            elif field == "features":
                columns[field] = {k: v.to_pylist() for k, v in _features(part).items()}
            elif field != "history":
                columns[field] = column.to_pylist()
        numbers = np.flatnonzero(mask).tolist()
        parts.append((ColumnPlace(name, prefix="", numbers=numbers), columns, required))
    return column_errors(parts, limits, local)


def write_answer(columns: dict[str, Any], bundle_id: str) -> bytes:
    """An Arrow IPC stream of one table with these columns (numpy arrays, lists or arrays)."""
    table = pa.table(columns).replace_schema_metadata({"bundle_id": bundle_id})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def stamps(hours: np.ndarray) -> pa.Array:
    """Hour numbers as UTC timestamps (seconds)."""
    return pa.array(hours * HOUR_S, pa.timestamp("s", tz="UTC"))
