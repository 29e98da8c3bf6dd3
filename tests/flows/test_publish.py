"""The ``publish_predictions`` flow on a real Prefect API: two runs in one UTC hour (dart-daily at
05:00 and dart-hourly at 05:05 Central) share the hour's blob file, which holds both issue times
exactly as the SQL table does; a rerun replaces only its own rows; a publication that fails puts
the file back byte for byte. On the local folder and on Azurite through the prefect-azure block.
"""

from __future__ import annotations

import os
import uuid

import pandas as pd
import pytest
from sqlalchemy import text

from ercot_dart.db.engine import make_engine
from ercot_dart.publish.blob import (
    BlobStore,
    LocalBlobStore,
    open_blob_store,
    prediction_key,
    read_parquet_bytes,
    to_parquet_bytes,
)
from ercot_dart.publish.hour_file import ORDER
from ercot_dart.publish.sql import read_predictions
from ercot_dart.settings import get_settings
from flows.publish_predictions import publish_predictions
from tests.integration.test_publish_blob import DAILY, HOURLY, predictions

KEY = prediction_key(DAILY)


@pytest.fixture(params=["local", "azurite"])
def store(request, prefect_api, tmp_path, monkeypatch) -> BlobStore:  # type: ignore[no-untyped-def]
    """Settings of an embedded setup in ``tmp_path``, its blob store the local folder or an
    Azurite container (through a saved prefect-azure block)."""
    monkeypatch.setenv("ERCOT_DART_DATA_DIR", str(tmp_path))
    if request.param == "azurite":
        from azure.storage.blob import ContainerClient
        from prefect_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

        azurite = request.getfixturevalue("azurite")
        name = f"publish-{uuid.uuid4().hex[:12]}"
        ContainerClient.from_connection_string(azurite, name).create_container()
        AzureBlobStorageContainer(
            container_name=name, credentials=AzureBlobStorageCredentials(connection_string=azurite)
        ).save(name)
        monkeypatch.setenv("ERCOT_DART_PREDICTIONS_BLOB_BLOCK", name)
    get_settings.cache_clear()
    yield open_blob_store(get_settings())
    get_settings.cache_clear()


def publish(store: BlobStore, frame: pd.DataFrame) -> dict:
    staged = f"staging/test/{uuid.uuid4().hex}/predictions.parquet"
    store.put(staged, to_parquet_bytes(frame))
    return {**publish_predictions(staged, run="test"), "staged": staged}


def hour_file(store: BlobStore) -> pd.DataFrame:
    data = store.get(KEY)
    assert data is not None
    return read_parquet_bytes(data)


def hour_table() -> pd.DataFrame:
    """The SQL rows issued in the hour of ``DAILY``, in the file's order."""
    table = read_predictions(make_engine(get_settings().predictions_url))
    in_hour = table["issue_time_utc"].dt.floor("h") == DAILY
    return table[in_hour].sort_values(ORDER, ignore_index=True)


def assert_same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
    )


def test_two_issue_times_in_one_hour_share_its_file(store):
    daily, hourly = predictions(DAILY), predictions(HOURLY)
    publish(store, daily)
    result = publish(store, hourly)

    assert result["blobs"] == [store.url(KEY)]
    frame = hour_file(store)
    assert_same_rows(frame, pd.concat([daily, hourly]).sort_values(ORDER))
    assert_same_rows(frame, hour_table())  # the blob holds what SQL holds
    assert store.get(result["staged"]) is None  # the staged predictions were removed


def test_a_publication_prunes_staged_files_of_runs_never_published(store):
    from ercot_dart.publish.staging import staging_key

    now = pd.Timestamp.now("UTC").floor("min")
    abandoned, recent = (
        staging_key(now - pd.Timedelta(days=9)),
        staging_key(now - pd.Timedelta(days=1)),
    )
    for key in (abandoned, recent):
        store.put(key, b"left by a run that failed before publishing")
    publish(store, predictions(DAILY))
    assert store.get(abandoned) is not None and store.get(recent) is not None  # written just now
    if isinstance(store, LocalBlobStore):  # a folder's file can be aged
        old = (now - pd.Timedelta(days=9)).timestamp()
        os.utime(store.root / abandoned, (old, old))
        publish(store, predictions(HOURLY))
        assert store.get(abandoned) is None  # written longer ago than staging_keep_days (7)
        assert store.get(recent) is not None  # a retry may still need it


def test_a_rerun_replaces_only_its_own_issue_times_rows(store):
    daily = predictions(DAILY)
    publish(store, daily)
    publish(store, predictions(HOURLY))
    rerun = predictions(HOURLY, shift=25.0, points=2)  # a point fewer, new numbers
    publish(store, rerun)

    frame = hour_file(store)
    assert_same_rows(frame, pd.concat([daily, rerun]).sort_values(ORDER))
    assert not frame.duplicated(ORDER).any()
    assert_same_rows(frame, hour_table())


def test_a_failed_publication_puts_the_hours_file_back_exactly(store):
    publish(store, predictions(DAILY))
    before = store.get(KEY)
    engine = make_engine(get_settings().predictions_url)
    with engine.begin() as conn:  # the database refuses the hourly run's rows (not transient)
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON predictions_dart_spread "
                "WHEN NEW.issue_time_utc LIKE '2024-08-20 10:05%' "
                "BEGIN SELECT RAISE(ABORT, 'hourly rows refused'); END"
            )
        )

    with pytest.raises(Exception, match="hourly rows refused"):
        publish(store, predictions(HOURLY))

    assert store.get(KEY) == before  # byte for byte
    assert set(hour_table()["issue_time_utc"]) == {DAILY}
    engine.dispose()
