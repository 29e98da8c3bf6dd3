"""Database rows → typed arrow tables, one column at a time (no per-row Python conversion)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ercot_dart.stage.sources import StageSpec

_TEMPORAL = (pa.types.is_date32, pa.types.is_timestamp)


def rows_to_table(rows: Sequence[Sequence[Any]], spec: StageSpec) -> pa.Table:
    """A batch of result rows (in the table's column order) as an arrow table of ``spec.schema``.

    Dates and timestamps may come as ISO text (SQLite) or as ``date``/``datetime`` objects
    (PostgreSQL, SQL Server); text is parsed by pyarrow in bulk.
    """
    if not rows:
        return spec.schema.empty_table()
    columns = list(zip(*rows, strict=True))
    arrays = []
    for field, values in zip(spec.schema, columns, strict=True):
        if any(is_(field.type) for is_ in _TEMPORAL) and _first(values, str):
            arrays.append(pa.array(values, pa.string()).cast(field.type))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=spec.schema)


def _first(values: Sequence[Any], kind: type) -> bool:
    """Whether the first non-null value is a ``kind``."""
    return next((isinstance(v, kind) for v in values if v is not None), False)


def day_numbers(table: pa.Table, spec: StageSpec) -> NDArray[np.int32]:
    """The operating day of each row, as days since 1970-01-01 (int32)."""
    col = table.column(spec.day_column)
    if spec.day_is_timestamp:
        col = pc.cast(col, pa.date32())
    days = col.combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    return cast("NDArray[np.int32]", days)


def split_days(table: pa.Table, spec: StageSpec) -> list[tuple[date, pa.Table]]:
    """``table`` (sorted by its day column) cut into one slice per operating day."""
    if table.num_rows == 0:
        return []
    days = day_numbers(table, spec)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(days)) + 1))
    ends = np.append(starts[1:], len(days))
    return [
        (date.fromordinal(_EPOCH_ORDINAL + int(days[s])), table.slice(s, e - s))
        for s, e in zip(starts, ends, strict=True)
    ]


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def as_date(value: Any) -> date:
    """A day as the database returned it (``date``, ``datetime`` or ISO text) as a ``date``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
