"""The SQL table ``predictions_dart_spread``: one row per (issue time, settlement point, delivery
hour, model). Publishing an issue time replaces exactly its rows: in one transaction its rows are
deleted and the new ones inserted, so a rerun never duplicates a row nor leaves one the rerun no
longer has (a point or a model gone). The same two statements on SQLite, PostgreSQL and SQL
Server. Times are stored as naive UTC (the ``_utc`` columns), whatever the server's time zone.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.sql.dml import Delete, Insert

from ercot_dart.db.write import frame_to_rows

metadata = MetaData()

predictions_dart_spread = Table(
    "predictions_dart_spread",
    metadata,
    Column("issue_time_utc", DateTime, nullable=False),
    Column("settlement_point", String(64), nullable=False),
    Column("interval_start_utc", DateTime, nullable=False),
    Column("hour_ending_local", String(5), nullable=False),
    Column("dst_flag", String(1), nullable=False),
    Column("model", String(16), nullable=False),
    Column("prediction", Float, nullable=False),
    Column("p10", Float, nullable=True),
    Column("p90", Float, nullable=True),
    Column("bundle_id", String(128), nullable=False),
    PrimaryKeyConstraint(
        "issue_time_utc",
        "settlement_point",
        "interval_start_utc",
        "model",
        name="pk_predictions_dart_spread",
    ),
)
TIME_COLUMNS = ("issue_time_utc", "interval_start_utc")


def _naive_utc(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in TIME_COLUMNS:
        out[col] = pd.to_datetime(out[col], utc=True).dt.tz_localize(None)
    return out


KEY = ["issue_time_utc", "settlement_point", "interval_start_utc", "model"]


def replacement(frame: pd.DataFrame) -> tuple[Delete, Insert, list[dict[str, object]]]:
    """The statements that replace the rows of the issue times in ``frame``: a delete of those
    issue times, then an insert of the rows (a repeated key: the later row wins)."""
    t = predictions_dart_spread
    rows = _naive_utc(frame).drop_duplicates(KEY, keep="last")
    issues = sorted({moment.to_pydatetime() for moment in rows["issue_time_utc"]})
    return delete(t).where(t.c.issue_time_utc.in_(issues)), insert(t), frame_to_rows(rows, t)


def write_predictions(engine: Engine, frame: pd.DataFrame) -> int:
    """Replace the rows of the issue times in ``frame`` (the promised format) by its rows, in one
    transaction; returns rows written. Creates the table when it is missing."""
    metadata.create_all(engine, tables=[predictions_dart_spread])
    if frame.empty:
        return 0
    remove, add, rows = replacement(frame)
    with engine.begin() as conn:
        conn.execute(remove)
        conn.execute(add, rows)
    return len(rows)


def _naive(moment: pd.Timestamp) -> object:
    return pd.Timestamp(moment).tz_convert("UTC").tz_localize(None).to_pydatetime()


def read_predictions(
    engine: Engine,
    issue_time_utc: pd.Timestamp | None = None,
    since: pd.Timestamp | None = None,
    until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Rows of the table, times as UTC timestamps: of one issue time if given, or of the
    delivery hours in ``[since, until)``. An absent table reads as no rows."""
    t = predictions_dart_spread
    metadata.create_all(engine, tables=[t])
    query = select(t)
    if issue_time_utc is not None:
        query = query.where(t.c.issue_time_utc == _naive(issue_time_utc))
    if since is not None:
        query = query.where(t.c.interval_start_utc >= _naive(since))
    if until is not None:
        query = query.where(t.c.interval_start_utc < _naive(until))
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in t.c])
    for col in TIME_COLUMNS:
        frame[col] = pd.to_datetime(frame[col]).dt.tz_localize("UTC")
    return frame
