"""Tasks of publishing: reading and removing the staged predictions (and pruning those of runs
never retried), adding one issue time's rows
to the file of its issue hour, the SQL write, one notification per channel, and undoing a blob
write when the rest of the publication cannot finish. Each retries transient errors (settings
``task_retries``) and never retries bad input.

The blob tasks are not cached: a write may be undone after it completed, so a run retried from
the Prefect UI must write again rather than trust an old result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ercot_dart.db.engine import make_engine
from ercot_dart.publish.blob import open_blob_store, prediction_key, read_parquet_bytes
from ercot_dart.publish.hour_file import issue_rows, with_issue_rows
from ercot_dart.publish.notify import Message, channel, configured
from ercot_dart.publish.sql import write_predictions
from ercot_dart.publish.staging import PREFIX, expired
from ercot_dart.settings import get_settings
from tasks.retry import RETRIES


@task(cache_policy=NO_CACHE, **RETRIES)
def read_staged(key: str) -> pd.DataFrame:
    """The predictions ``batch_inference`` staged at blob key ``key``."""
    store = open_blob_store(get_settings())
    data = store.get(key)
    if data is None:
        raise FileNotFoundError(f"no staged predictions at {store.url(key)}")
    return read_parquet_bytes(data)


@task(cache_policy=NO_CACHE, **RETRIES)
def delete_staged(key: str) -> None:
    """Remove the staged predictions once they are published."""
    open_blob_store(get_settings()).delete(key)


@task(cache_policy=NO_CACHE, **RETRIES)
def prune_staged(now: pd.Timestamp, keep_days: int) -> list[str]:
    """Remove the staged predictions written more than ``keep_days`` before ``now``: left by
    runs that failed and were not retried. Returns the keys removed."""
    store = open_blob_store(get_settings())
    old = expired(store.listing(PREFIX), now, keep_days)
    for key in old:
        store.delete(key)
    return old


@dataclass(frozen=True)
class BlobWrite:
    """An issue time written into its hour's file: the file before (to restore it if the
    publication fails) and after."""

    key: str
    url: str
    issue_time_utc: pd.Timestamp
    previous: bytes | None
    written: bytes | None


@task(task_run_name="blob-{issue_time_utc:%Y%m%dT%H%M}", cache_policy=NO_CACHE, **RETRIES)
def put_blob(frame: pd.DataFrame, issue_time_utc: pd.Timestamp) -> BlobWrite:
    """Replace the rows of ``issue_time_utc`` in ``predictions/YYYY/MM/DD/HH/predictions.parquet``
    by ``frame``, keeping the other issue times of the hour; the file is replaced whole."""
    blob = open_blob_store(get_settings())
    key = prediction_key(issue_time_utc)
    previous, written = blob.update(key, lambda now: with_issue_rows(now, frame, issue_time_utc))
    get_run_logger().info("%d rows written to %s", len(frame), blob.url(key))
    return BlobWrite(key, blob.url(key), issue_time_utc, previous, written)


@task(cache_policy=NO_CACHE, **RETRIES)
def restore_blob(write: BlobWrite) -> None:
    """Put back the file at ``write.key`` as it was before (or remove it). Should another run
    have changed the hour's file since, only this issue time's rows go back to what they were."""

    def undo(now: bytes | None) -> bytes | None:
        if now == write.written:
            return write.previous
        before = issue_rows(write.previous, write.issue_time_utc)
        return with_issue_rows(now, before, write.issue_time_utc)

    open_blob_store(get_settings()).update(write.key, undo)
    get_run_logger().warning("publication undone: %s restored", write.url)


@task(**RETRIES)
def upsert_predictions(db_url: str, frame: pd.DataFrame) -> int:
    """Replace the rows of the frame's issue times in ``predictions_dart_spread`` (one
    transaction)."""
    engine = make_engine(db_url)
    try:
        rows = write_predictions(engine, frame)
    finally:
        engine.dispose()
    get_run_logger().info("%d rows written to predictions_dart_spread", rows)
    return rows


@task(task_run_name="notify-{kind}", cache_policy=NO_CACHE, **RETRIES)
def notify(kind: str, message: Message) -> None:
    """Send ``message`` through the configured channel ``kind`` (its secret is read here, so it
    is never a task input)."""
    channel(get_settings(), kind).send(message)


def broadcast(message: Message, log: Any, what: str) -> dict[str, str]:
    """Send ``message`` through every configured channel, each send a retried :func:`notify`
    task. A channel that still fails is logged ("<what> to <channel> not delivered") and
    reported, never raised: the run's own outcome stands. Returns channel → "ok" or the error."""
    outcome: dict[str, str] = {}
    for kind in configured(get_settings()):
        try:
            notify(kind, message)
            outcome[kind] = "ok"
        except Exception as exc:
            log.error("%s to %s not delivered: %s", what, kind, exc)
            outcome[kind] = str(exc)
    return outcome
