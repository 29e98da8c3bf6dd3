"""The ``dart-pipeline`` flow on a real Prefect API, on two months of the real five hubs:
features → batch inference with the champion → publishing to the local blob folder and a SQL
table, and notifications to local Slack/Teams/SMTP receivers. Reruns change nothing; a database
down on the first attempt is retried; down for good, the run fails whole and says so."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from ercot_dart.db.engine import make_engine
from ercot_dart.publish.blob import prediction_key, read_parquet_bytes
from ercot_dart.publish.sql import read_predictions
from ercot_dart.settings import get_settings
from flows.dart_pipeline import dart_pipeline
from tests.conftest import azurite_connection_string, start_azurite
from tests.helpers import free_port, stop_process

ISSUE = datetime(2024, 8, 20, 14, 0, tzinfo=UTC)  # 09:00 CDT: predicts 2024-08-21
HUBS = 5


def artifact_keys() -> set[str]:
    async def read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["dart-published", "dart-bundle-metrics"])
                )
            )

    return {a.key for a in asyncio.run(read())}


def published_blob(issue: datetime = ISSUE) -> pd.DataFrame:
    path = get_settings().blob_root / prediction_key(pd.Timestamp(issue))
    return read_parquet_bytes(path.read_bytes())


def test_the_pipeline_publishes_everywhere_and_a_rerun_changes_nothing(prefect_api, pipeline):
    hooks, box = pipeline
    result = dart_pipeline(issue_time=ISSUE)

    assert result["days"] == ["2024-08-21"]
    frame = published_blob()
    assert len(frame) == HUBS * 24 * 4  # every hub and hour, three models and the ensemble
    assert set(frame["model"]) == {"lightgbm", "xgboost", "lstm", "ensemble"}
    assert (frame["issue_time_utc"] == pd.Timestamp(ISSUE)).all()
    assert frame["interval_start_utc"].min() == pd.Timestamp("2024-08-21T05:00Z")
    table = read_predictions(make_engine(get_settings().predictions_url))
    assert len(table) == len(frame)
    assert not (get_settings().blob_root / "staging").exists()

    assert len(hooks.bodies("slack")) == 1 and len(hooks.bodies("teams")) == 1
    assert "bundle" in hooks.bodies("slack")[0]["text"]
    assert [s for s in box.subjects() if "published" in s]
    assert {"dart-published", "dart-bundle-metrics"} <= artifact_keys()

    again = dart_pipeline(issue_time=ISSUE)
    assert again["rows"] == result["rows"]
    pd.testing.assert_frame_equal(published_blob(), frame)
    assert len(read_predictions(make_engine(get_settings().predictions_url))) == len(frame)


def test_a_backfill_publishes_one_file_per_issue_hour(prefect_api, pipeline):
    result = dart_pipeline(
        issue_time=ISSUE, backfill_start=date(2024, 8, 18), backfill_end=date(2024, 8, 19)
    )
    assert result["days"] == ["2024-08-18", "2024-08-19"]
    for issue in (datetime(2024, 8, 17, 14, tzinfo=UTC), datetime(2024, 8, 18, 14, tzinfo=UTC)):
        frame = published_blob(issue)
        assert (frame["issue_time_utc"] == pd.Timestamp(issue)).all() and len(frame)


@pytest.mark.postgres
def test_a_database_down_on_the_first_attempt_is_retried(
    prefect_api, pipeline, pg_database, monkeypatch
):
    monkeypatch.setenv("ERCOT_DART_PREDICTIONS_DB_URL", pg_database.url)
    get_settings.cache_clear()
    pg_database.down()
    threading.Timer(1.0, pg_database.up).start()  # back before the first retry
    result = dart_pipeline(issue_time=ISSUE)
    assert len(read_predictions(make_engine(pg_database.url))) == result["rows"] > 0


@pytest.mark.postgres
def test_a_database_down_for_good_fails_the_run_and_publishes_nothing(
    prefect_api, pipeline, pg_database, monkeypatch
):
    hooks, box = pipeline
    monkeypatch.setenv("ERCOT_DART_PREDICTIONS_DB_URL", pg_database.url)
    get_settings.cache_clear()
    pg_database.down()
    started = time.monotonic()
    with pytest.raises(Exception, match="does not allow connections|not currently accepting"):
        dart_pipeline(issue_time=ISSUE)
    assert time.monotonic() - started > 5  # it was retried first
    blob = get_settings().blob_root / prediction_key(pd.Timestamp(ISSUE))
    assert not blob.exists()  # the blob written before the upsert failed was taken back
    assert [s for s in box.subjects() if "FAILED" in s]
    assert "FAILED" in hooks.bodies("slack")[-1]["text"]


async def retrying(task_name: str) -> bool:
    """Whether a run of the task ``task_name`` failed and waits for (or is in) a retry."""
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    async with get_client() as client:
        runs = await client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=task_name))
        )
    return any(r.state_name in ("AwaitingRetry", "Retrying") for r in runs)


def test_blob_storage_down_on_the_first_attempt_is_retried(
    prefect_api, pipeline, monkeypatch, tmp_path
):
    from azure.storage.blob import ContainerClient
    from prefect_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

    port = free_port()  # nothing listens there when the run starts
    conn = azurite_connection_string(port)
    AzureBlobStorageContainer(
        container_name="flaky", credentials=AzureBlobStorageCredentials(connection_string=conn)
    ).save("dart-flaky-blob", overwrite=True)
    monkeypatch.setenv("ERCOT_DART_PREDICTIONS_BLOB_BLOCK", "dart-flaky-blob")
    get_settings.cache_clear()
    started: list = []
    saw_retry: list = []

    def come_up() -> None:
        """The storage comes back once the first blob write has failed and waits to retry."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if asyncio.run(retrying("stage_predictions")):
                saw_retry.append(True)
                break
            time.sleep(0.5)
        proc = start_azurite(tmp_path / "azurite", port)
        started.append(proc)
        ContainerClient.from_connection_string(conn, "flaky").create_container()

    watcher = threading.Thread(target=contextvars.copy_context().run, args=(come_up,))
    watcher.start()
    try:
        result = dart_pipeline(issue_time=ISSUE)
        blob = ContainerClient.from_connection_string(conn, "flaky").download_blob(
            prediction_key(pd.Timestamp(ISSUE))
        )
        assert len(read_parquet_bytes(blob.readall())) == result["rows"] > 0
        assert saw_retry  # the first write failed and was retried
    finally:
        watcher.join(timeout=60)
        for proc in started:
            if proc is not None:
                stop_process(proc)
