"""Idempotent writes: upsert rows on a table's natural key, in each dialect's own way.

SQLite and PostgreSQL use ``INSERT .. ON CONFLICT (key) DO UPDATE``; SQL Server stages the rows
in a temporary table and ``MERGE``s them. A re-posted correction replaces the stored value;
the same rows written twice add nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import Connection, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from ercot_dart.db.tables import natural_key
from ercot_dart.ercot.timeconv import CENTRAL

Row = Mapping[str, Any]


def upsert_statement(table: Table, dialect_name: str):  # type: ignore[no-untyped-def]
    """The ``INSERT .. ON CONFLICT DO UPDATE`` statement for SQLite or PostgreSQL."""
    key = natural_key(table)
    module = {"sqlite": sqlite, "postgresql": postgresql}[dialect_name]
    stmt = module.insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in key}
    if not updates:
        return stmt.on_conflict_do_nothing(index_elements=key)
    return stmt.on_conflict_do_update(index_elements=key, set_=updates)


def mssql_merge_sql(table: Table, source: str, dialect: Dialect) -> str:
    """A T-SQL ``MERGE`` of the rows in ``source`` (a staging table) into ``table``.

    Args:
        table: target table.
        source: name of the staging table holding the rows (e.g. ``#stage_dam_spp``).
        dialect: the mssql dialect, for identifier quoting.
    """
    q = dialect.identifier_preparer.quote
    key = natural_key(table)
    cols = [c.name for c in table.columns]
    on = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in key)
    sets = ", ".join(f"t.{q(c)} = s.{q(c)}" for c in cols if c not in key)
    names = ", ".join(q(c) for c in cols)
    values = ", ".join(f"s.{q(c)}" for c in cols)
    matched = f" WHEN MATCHED THEN UPDATE SET {sets}" if sets else ""
    return (
        f"MERGE INTO {q(table.name)} WITH (HOLDLOCK) AS t USING {source} AS s ON {on}"
        f"{matched} WHEN NOT MATCHED BY TARGET THEN INSERT ({names}) VALUES ({values});"
    )


def _mssql_upsert(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    stage = f"#stage_{table.name}"
    q = conn.dialect.identifier_preparer.quote
    conn.exec_driver_sql(f"SELECT TOP 0 * INTO {stage} FROM {q(table.name)}")
    try:
        cols = [c.name for c in table.columns]
        placeholders = ", ".join("?" for _ in cols)
        sql = f"INSERT INTO {stage} ({', '.join(q(c) for c in cols)}) VALUES ({placeholders})"
        conn.exec_driver_sql(sql, [tuple(r.get(c) for c in cols) for r in rows])
        conn.exec_driver_sql(mssql_merge_sql(table, stage, conn.dialect))
    finally:
        conn.exec_driver_sql(f"DROP TABLE {stage}")


def _last_per_key(table: Table, rows: Sequence[Row]) -> list[Row]:
    """``rows`` with one row per natural key, the later row winning.

    PostgreSQL refuses to update one row twice in one statement and SQL Server's MERGE refuses
    a source holding a key twice, so a repeated key is settled here, the same way everywhere.
    """
    key = natural_key(table)
    last: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        last[tuple(row.get(k) for k in key)] = row
    return list(last.values()) if len(last) < len(rows) else list(rows)


def upsert_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> int:
    """Upsert ``rows`` into ``table`` inside the caller's transaction.

    Where two rows share a natural key the later one wins. Returns the rows written (one per key).
    """
    if not rows:
        return 0
    rows = _last_per_key(table, rows)
    name = conn.dialect.name
    if name in ("sqlite", "postgresql"):
        conn.execute(upsert_statement(table, name), rows)
    elif name == "mssql":
        _mssql_upsert(conn, table, rows)
    else:  # any other backend: plain inserts, the natural key still refuses duplicates
        conn.execute(insert(table), rows)
    return len(rows)


def _plain(col: pd.Series) -> list[Any]:
    """Plain Python values for a DBAPI: missing ones (None, NaN, NA, NaT) become None."""
    missing = col.isna().to_numpy()
    return [
        None if gone else value.item() if isinstance(value, np.generic) else value
        for value, gone in zip(col.tolist(), missing, strict=True)
    ]


def frame_to_rows(frame: pd.DataFrame, table: Table) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts of plain Python values for ``table``'s columns.

    Missing values (NaN, NA, NaT, None) become NULL; dates become ``datetime.date``; timestamps
    ``datetime.datetime``, naive local: timezone-aware ones are converted to Central first.
    """
    names = [c.name for c in table.columns if c.name in frame.columns]
    columns: list[Iterable[Any]] = []
    for name in names:
        col = frame[name]
        sql_type = table.c[name].type.python_type
        if pd.api.types.is_datetime64_any_dtype(col):
            if col.dt.tz is not None:
                col = col.dt.tz_convert(CENTRAL).dt.tz_localize(None)
            values = col.dt.date if sql_type is dt.date else col.dt.to_pydatetime()
            columns.append([None if pd.isna(v) else v for v in values])
        elif pd.api.types.is_float_dtype(col):
            floats = col.to_numpy(dtype="float64", na_value=np.nan)
            columns.append([None if math.isnan(v) else float(v) for v in floats])
        elif pd.api.types.is_integer_dtype(col) and not col.hasnans:
            columns.append([int(v) for v in col.to_numpy()])
        else:
            columns.append(_plain(col))
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def upsert_frame(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Upsert a data frame (already in the table's canonical formats); returns rows written.

    Where two rows share a natural key the later one wins. On SQLite (the embedded default,
    written at scale by the importer and the synthetic market) the rows go to the driver as
    tuples, formatted exactly as SQLAlchemy stores dates and times, skipping its per-row work.
    """
    if frame.empty:
        return 0
    if conn.dialect.name != "sqlite":
        return upsert_rows(conn, table, frame_to_rows(frame, table))
    frame = frame.drop_duplicates(subset=natural_key(table), keep="last")
    names = [c.name for c in table.columns if c.name in frame.columns]
    stmt = upsert_statement(table, "sqlite")
    compiled = stmt.compile(dialect=conn.dialect, column_keys=names)
    order = [compiled.binds[b].key for b in compiled.positiontup]  # parameter order
    columns = {name: _sqlite_values(frame[name], table.c[name].type.python_type) for name in names}
    conn.exec_driver_sql(compiled.string, list(zip(*(columns[n] for n in order), strict=True)))
    return len(frame)


def _sqlite_values(col: pd.Series, python_type: type) -> list[Any]:
    """A column as SQLite driver values; NULL for missing; dates and times as SQLAlchemy's
    SQLite types store them (``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        if col.dt.tz is not None:
            col = col.dt.tz_convert(CENTRAL).dt.tz_localize(None)
        fmt = "%Y-%m-%d" if python_type is dt.date else "%Y-%m-%d %H:%M:%S.%f"
        text = col.dt.strftime(fmt)
        return cast("list[Any]", text.astype(object).where(col.notna(), None).tolist())
    if python_type is dt.date or python_type is dt.datetime:  # date/datetime objects
        return frame_to_rows_column(col, python_type)
    if pd.api.types.is_float_dtype(col):
        values: NDArray[np.float64] = col.to_numpy(dtype="float64", na_value=np.nan)
        # numpy's ArrayLike leaves out None, which np.where takes as an object scalar
        nullable = np.where(np.isnan(values), None, values)  # type: ignore[call-overload]
        return cast("list[Any]", nullable.tolist())
    if pd.api.types.is_integer_dtype(col) and not col.hasnans:
        return cast("list[Any]", col.to_numpy().tolist())
    return _plain(col)


def frame_to_rows_column(col: pd.Series, python_type: type) -> list[Any]:
    """Date or datetime objects (or text) of one column in SQLAlchemy's SQLite text form."""
    fmt = "%Y-%m-%d" if python_type is dt.date else "%Y-%m-%d %H:%M:%S.%f"
    return [
        None if v is None or pd.isna(v) else pd.Timestamp(v).strftime(fmt) for v in col.tolist()
    ]
