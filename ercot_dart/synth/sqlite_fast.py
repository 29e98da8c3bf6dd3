"""A fast path for :func:`ercot_dart.db.write.upsert_frame` on SQLite.

``upsert_frame`` builds a dict per row and lets SQLAlchemy convert each date and timestamp in
Python: fine for imports, the bottleneck for a year of synthetic SCED LMPs (~100 million rows).
This path runs the same ``INSERT .. ON CONFLICT DO UPDATE`` statement (compiled from
:func:`~ercot_dart.db.write.upsert_statement`) through the DBAPI ``executemany`` with tuples, the
values already in the text SQLAlchemy stores for SQLite: ``YYYY-MM-DD`` for DATE and
``YYYY-MM-DD HH:MM:SS.ffffff`` for DATETIME. Timestamps repeat (one SCED run time per point),
so each distinct value is formatted once. The integration tests check that both paths leave
identical rows.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

from ercot_dart.db.write import upsert_frame, upsert_statement


@lru_cache(maxsize=64)
def _statement(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[str, ...]]:
    compiled = upsert_statement(table, "sqlite").compile(dialect=dialect, column_keys=list(columns))
    return str(compiled), tuple(compiled.positiontup or ())


def _text_times(values: NDArray[np.datetime64], python_type: type) -> list[str]:
    uniq, codes = np.unique(values, return_inverse=True)
    if python_type is date:
        text = np.datetime_as_string(uniq.astype("datetime64[D]"), unit="D")
    else:
        text = np.char.replace(
            np.datetime_as_string(uniq.astype("datetime64[us]"), unit="us"), "T", " "
        )
    return cast("list[str]", text.astype(object)[codes.ravel()].tolist())


def _column(series: pd.Series, python_type: type) -> list[Any]:
    if pd.api.types.is_datetime64_any_dtype(series):
        if series.isna().any():
            raise TypeError(f"{series.name}: NULL dates are not on the fast path")
        return _text_times(series.to_numpy("datetime64[us]"), python_type)
    if python_type in (date, datetime):
        raise TypeError(f"{series.name}: expected datetime64 values, got {series.dtype}")
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy()
        missing = np.isnan(values)
        if missing.any():
            boxed = values.astype(object)
            boxed[missing] = None
            return cast("list[Any]", boxed.tolist())
        return cast("list[Any]", values.tolist())
    return cast("list[Any]", series.tolist())


def sqlite_upsert_frame(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Upsert a frame (canonical formats) into a SQLite table; returns rows written.

    Falls back to :func:`upsert_frame` for anything but SQLite or a column type it does not
    handle, so it is always safe to call.
    """
    if conn.dialect.name != "sqlite":
        return upsert_frame(conn, table, frame)
    if frame.empty:
        return 0
    names = tuple(c.name for c in table.columns if c.name in frame.columns)
    sql, order = _statement(table, names, conn.dialect)
    try:
        columns = [_column(frame[name], table.c[name].type.python_type) for name in order]
    except TypeError:
        return upsert_frame(conn, table, frame)
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))
    return len(frame)
