"""The monitor's SQL tables, beside ``predictions_dart_spread``: rolling accuracy, incidents, and
the moment incidents were last reconciled at."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    select,
)
from sqlalchemy.dialects import mssql

from ercot_dart.db.write import upsert_frame

metadata = MetaData()

accuracy_dart_spread = Table(
    "accuracy_dart_spread",
    metadata,
    Column("day", Date, nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("model", String(40), nullable=False),
    Column("settlement_point", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("mae", Float),
    Column("rmse", Float),
    Column("sign_accuracy", Float),
    Column("coverage_p10_p90", Float),
    Column("pnl_per_mwh", Float),
    PrimaryKeyConstraint(
        "day", "window_days", "model", "settlement_point", name="pk_accuracy_dart_spread"
    ),
)

monitor_incidents = Table(
    "monitor_incidents",
    metadata,
    Column("incident", String(200), nullable=False),
    Column("opened_at_utc", DateTime, nullable=False),
    Column("last_seen_utc", DateTime, nullable=False),
    Column("closed_at_utc", DateTime, nullable=True),
    Column("message", String(2000), nullable=False),
    PrimaryKeyConstraint("incident", "opened_at_utc", name="pk_monitor_incidents"),
)

monitor_checks = Table(
    "monitor_checks",
    metadata,
    Column("scope", String(64), nullable=False),
    # microseconds on SQL Server too (its DATETIME rounds to 1/300 s: a retry at the same
    # moment could read as a replay)
    Column("checked_at_utc", DateTime().with_variant(mssql.DATETIME2(6), "mssql"), nullable=False),
    PrimaryKeyConstraint("scope", name="pk_monitor_checks"),
)
"""The latest moment incidents of each scope were reconciled at: an earlier one is a replay."""


def create(engine: Engine) -> None:
    metadata.create_all(engine)


def write_accuracy(engine: Engine, frame: pd.DataFrame) -> int:
    """Upsert daily accuracy rows (``ercot_dart.monitor.accuracy.ACCURACY_COLUMNS``)."""
    create(engine)
    with engine.begin() as conn:
        return upsert_frame(conn, accuracy_dart_spread, frame)


def read_accuracy(engine: Engine, since: date | None = None) -> pd.DataFrame:
    create(engine)
    t = accuracy_dart_spread
    query = select(t) if since is None else select(t).where(t.c.day >= since)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=[c.name for c in t.c])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame
