"""The SQL table ``predictions_dart_spread``: one row per (issue time, settlement point, delivery
hour, model). Publishing an issue time replaces exactly its rows: in one transaction the rows are
upserted on that key (a ``MERGE`` on SQL Server, ``INSERT .. ON CONFLICT`` on SQLite and
PostgreSQL) and the issue time's rows that the rerun no longer has (a point or a model gone) are
deleted, so a rerun never duplicates a row nor leaves a stale one. Times are stored as naive UTC (the ``_utc`` columns), whatever the server's time zone.
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
    bindparam,
    delete,
    select,
)
from sqlalchemy.sql.dml import Delete

from ercot_dart.db.write import upsert_frame

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


def stale_keys(existing: pd.DataFrame, rows: pd.DataFrame) -> list[dict[str, object]]:
    """The keys of ``existing`` rows (of the issue times being published) that ``rows`` no
    longer has: a settlement point or a model gone since the last run. Both frames naive UTC."""
    if existing.empty:
        return []
    merged = existing[KEY].merge(rows[KEY], on=KEY, how="left", indicator=True)
    gone = merged[merged["_merge"] == "left_only"][KEY]
    return [
        {k: (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for k, v in r.items()}
        for r in gone.to_dict("records")
    ]


def _stale_delete() -> Delete:
    t = predictions_dart_spread
    return delete(t).where(*(t.c[k] == bindparam(f"k_{k}") for k in KEY))


def write_predictions(engine: Engine, frame: pd.DataFrame) -> int:
    """Publish the rows of the issue times in ``frame`` (the promised format) in one transaction;
    returns rows written. The rows are upserted on the table's key (SQL Server: ``MERGE``;
    SQLite and PostgreSQL: ``INSERT .. ON CONFLICT``), and the rows of the same issue times that
    the frame no longer has are deleted, so the issue times end up with exactly these rows.
    Creates the table when it is missing."""
    t = predictions_dart_spread
    metadata.create_all(engine, tables=[t])
    if frame.empty:
        return 0
    rows = _naive_utc(frame).drop_duplicates(KEY, keep="last")
    issues = sorted({moment.to_pydatetime() for moment in rows["issue_time_utc"]})
    with engine.begin() as conn:
        query = select(*(t.c[k] for k in KEY)).where(t.c.issue_time_utc.in_(issues))
        existing = pd.DataFrame(conn.execute(query).all(), columns=KEY)
        for col in TIME_COLUMNS:
            existing[col] = pd.to_datetime(existing[col])
        gone = stale_keys(existing, rows)
        if gone:
            conn.execute(_stale_delete(), [{f"k_{k}": v for k, v in g.items()} for g in gone])
        return upsert_frame(conn, t, rows)


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
