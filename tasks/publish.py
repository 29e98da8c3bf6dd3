"""Tasks of publishing: one blob file per issue hour, the SQL upsert, one notification per
channel, and undoing a blob write when the rest of the publication cannot finish. Each retries
transient errors (settings ``task_retries``) and never retries bad input."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ercot_dart.db.engine import make_engine
from ercot_dart.publish.blob import open_blob_store, prediction_key, to_parquet_bytes
from ercot_dart.publish.notify import Message, channels
from ercot_dart.publish.sql import write_predictions
from ercot_dart.settings import get_settings
from tasks.retry import RETRIES


@dataclass(frozen=True)
class BlobWrite:
    """A blob written, and what was there before (to restore it if the publication fails)."""

    key: str
    url: str
    previous: bytes | None


@task(task_run_name="blob-{issue_time_utc:%Y%m%dT%H%M}", **RETRIES)
def put_blob(frame: pd.DataFrame, issue_time_utc: pd.Timestamp) -> BlobWrite:
    """``predictions/YYYY/MM/DD/HH/predictions.parquet`` of one issue time, written whole."""
    blob = open_blob_store(get_settings())
    key = prediction_key(issue_time_utc)
    previous = blob.get(key)
    blob.put(key, to_parquet_bytes(frame))
    get_run_logger().info("%d rows written to %s", len(frame), blob.url(key))
    return BlobWrite(key, blob.url(key), previous)


@task(cache_policy=NO_CACHE, **RETRIES)
def restore_blob(write: BlobWrite) -> None:
    """Put back what was at ``write.key`` before (or remove the new file)."""
    blob = open_blob_store(get_settings())
    if write.previous is None:
        blob.delete(write.key)
    else:
        blob.put(write.key, write.previous)
    get_run_logger().warning("publication undone: %s restored", write.url)


@task(**RETRIES)
def upsert_predictions(db_url: str, frame: pd.DataFrame) -> int:
    """Upsert the rows into ``predictions_dart_spread`` in one transaction."""
    engine = make_engine(db_url)
    try:
        rows = write_predictions(engine, frame)
    finally:
        engine.dispose()
    get_run_logger().info("%d rows upserted into predictions_dart_spread", rows)
    return rows


@task(task_run_name="notify-{kind}", cache_policy=NO_CACHE, **RETRIES)
def notify(kind: str, message: Message) -> None:
    """Send ``message`` through the configured channel ``kind`` (its secret is read here, so it
    is never a task input)."""
    for channel in channels(get_settings()):
        if channel.kind == kind:
            channel.send(message)
            return
    raise ValueError(f"no {kind} channel is configured")
