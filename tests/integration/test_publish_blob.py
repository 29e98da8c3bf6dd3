"""The file of an issue hour holds every issue time published in it: publishing one replaces its
rows and keeps the others', in a deterministic order, through an update of the blob that no
concurrent update can lose (the local folder, and Azurite through the prefect-azure block)."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

from ercot_dart.publish.blob import (
    AzureBlobStore,
    BlobStore,
    BlobStoreUnavailable,
    LocalBlobStore,
    prediction_key,
    read_parquet_bytes,
)
from ercot_dart.publish.hour_file import ORDER, issue_rows, with_issue_rows
from inference.scoring import PREDICTION_COLUMNS
from tasks.retry import is_transient
from tests.conftest import azurite_connection_string
from tests.helpers import all_at_once, free_port

DAILY = pd.Timestamp("2024-08-20T10:00Z")  # dart-daily, 05:00 CDT
HOURLY = pd.Timestamp("2024-08-20T10:05Z")  # dart-hourly, 05:05 CDT: the same UTC hour
KEY = prediction_key(DAILY)


def predictions(issue: pd.Timestamp, shift: float = 0.0, points: int = 3) -> pd.DataFrame:
    """A seeded day of predictions of ``points`` settlement points and four models."""
    rng = np.random.default_rng(int(issue.timestamp()) % 10_000 + int(shift))
    hours = pd.date_range("2024-08-21T05:00Z", periods=24, freq="h")
    rows = [
        {
            "issue_time_utc": issue,
            "settlement_point": f"HB_{p}",
            "interval_start_utc": h,
            "hour_ending_local": f"{k + 1:02d}:00",
            "dst_flag": "N",
            "model": model,
            "prediction": float(rng.normal(0, 10)) + shift,
            "p10": -5.0,
            "p90": None if model == "lstm" else 5.0,
            "bundle_id": "dart-test",
        }
        # the points and models deliberately out of order: the file sorts them
        for p in reversed(range(points))
        for model in ("xgboost", "lightgbm", "lstm", "ensemble")
        for k, h in enumerate(hours)
    ]
    return pd.DataFrame(rows)[PREDICTION_COLUMNS]


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(ORDER, ignore_index=True)


def test_an_hours_file_keeps_each_issue_time_and_sorts_them():
    daily, hourly = predictions(DAILY), predictions(HOURLY)
    one = with_issue_rows(with_issue_rows(None, hourly, HOURLY), daily, DAILY)
    other = with_issue_rows(with_issue_rows(None, daily, DAILY), hourly, HOURLY)
    assert one == other  # the same file whichever run published first
    assert one is not None
    frame = read_parquet_bytes(one)
    assert list(frame.columns) == PREDICTION_COLUMNS
    pd.testing.assert_frame_equal(frame, sorted_rows(pd.concat([daily, hourly])), check_dtype=False)


def test_republishing_an_issue_time_replaces_only_its_rows():
    first = with_issue_rows(
        with_issue_rows(None, predictions(DAILY), DAILY), predictions(HOURLY), HOURLY
    )
    rerun = predictions(HOURLY, shift=100.0, points=2)  # a point fewer, new numbers
    frame = read_parquet_bytes(with_issue_rows(first, rerun, HOURLY))  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(
        frame, sorted_rows(pd.concat([predictions(DAILY), rerun])), check_dtype=False
    )
    assert len(issue_rows(first, DAILY)) == len(predictions(DAILY))  # type: ignore[arg-type]


def test_an_hour_without_rows_left_has_no_file():
    only = with_issue_rows(None, predictions(DAILY), DAILY)
    assert with_issue_rows(only, None, DAILY) is None


def test_rows_of_another_issue_time_are_refused():
    with pytest.raises(ValueError, match="other issue times"):
        with_issue_rows(None, predictions(HOURLY), DAILY)


# --- the stores: the local folder and Azurite ------------------------------------------------


@pytest.fixture(params=["local", "azurite"])
def store(request: pytest.FixtureRequest, tmp_path) -> BlobStore:  # type: ignore[no-untyped-def]
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blob")
    from azure.storage.blob import ContainerClient
    from prefect_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

    azurite = request.getfixturevalue("azurite")
    name = f"hour-{uuid.uuid4().hex[:12]}"
    ContainerClient.from_connection_string(azurite, name).create_container()
    block = AzureBlobStorageContainer(
        container_name=name,
        base_folder="prod",
        credentials=AzureBlobStorageCredentials(connection_string=azurite),
    )
    return AzureBlobStore(block)


def publish(store: BlobStore, frame: pd.DataFrame, issue: pd.Timestamp):  # type: ignore[no-untyped-def]
    return store.update(prediction_key(issue), lambda now: with_issue_rows(now, frame, issue))


def test_an_update_returns_the_file_before_and_after(store):
    before, after = publish(store, predictions(DAILY), DAILY)
    assert before is None and store.get(KEY) == after
    again_before, again_after = publish(store, predictions(HOURLY), HOURLY)
    assert again_before == after and store.get(KEY) == again_after
    assert set(read_parquet_bytes(store.get(KEY))["issue_time_utc"]) == {DAILY, HOURLY}  # type: ignore[arg-type]
    store.update(KEY, lambda now: None)
    assert store.get(KEY) is None


def test_concurrent_publications_in_one_hour_all_count(store):
    """Eight runs publish eight issue times of one hour at once: no update is lost."""
    issues = [DAILY + pd.Timedelta(minutes=5 * k) for k in range(8)]
    all_at_once(lambda issue: publish(store, predictions(issue, points=1), issue), issues)
    frame = read_parquet_bytes(store.get(KEY))  # type: ignore[arg-type]
    assert sorted(set(frame["issue_time_utc"])) == issues
    assert len(frame) == len(issues) * 24 * 4


def test_a_local_update_leaves_no_temporary_file(tmp_path):
    store = LocalBlobStore(tmp_path / "blob")
    publish(store, predictions(DAILY), DAILY)
    publish(store, predictions(HOURLY), HOURLY)
    assert [p.name for p in (tmp_path / "blob" / KEY).parent.iterdir()] == ["predictions.parquet"]


def test_an_unreachable_azure_store_is_named_and_transient():
    from prefect_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

    conn = azurite_connection_string(free_port())  # nothing listens there
    store = AzureBlobStore(
        AzureBlobStorageContainer(
            container_name="gone", credentials=AzureBlobStorageCredentials(connection_string=conn)
        )
    )
    with pytest.raises(
        BlobStoreUnavailable, match=r"blob store http://127\.0\.0\.1:\d+/\S+/gone"
    ) as err:
        publish(store, predictions(DAILY), DAILY)
    assert is_transient(err.value)


def test_a_listing_names_a_prefix_without_locks_or_files_being_written(store, tmp_path):
    before = pd.Timestamp.now("UTC").floor("s") - pd.Timedelta(seconds=1)
    for key in ["staging/2024/08/20/1000/predictions.parquet", "predictions/2024/08/20/10/x"]:
        store.put(key, b"x")
    if isinstance(store, LocalBlobStore):  # the lock and a file being written are not blobs
        (store.root / ".lock").touch()
        (store.root / "staging/2024/08/20/1000/.predictions.parquet.ab12.tmp").touch()
    listing = store.listing("staging/")
    assert list(listing) == ["staging/2024/08/20/1000/predictions.parquet"]
    written = listing["staging/2024/08/20/1000/predictions.parquet"]
    assert before <= written <= pd.Timestamp.now("UTC") + pd.Timedelta(seconds=5)
    assert store.listing("staging/2025/") == {} and store.listing("nowhere/") == {}
    assert len(store.listing("")) == 2


def test_staged_files_written_longer_ago_than_the_kept_days_are_pruned(store, monkeypatch):
    """Runs that failed before publishing left their staged files; a publication removes those
    written more than staging_keep_days ago, and nothing else: not a replay's fresh file named
    by a past issue time, not another kind of file."""
    import os

    from ercot_dart.publish.staging import staging_key
    from tasks import publish as tasks

    now = pd.Timestamp.now("UTC")
    replayed = staging_key(pd.Timestamp("2024-08-20T10:05Z"))  # a past issue time, staged now
    other = ["staging/notes.txt", prediction_key(pd.Timestamp("2024-08-20T10:05Z"))]
    for key in [replayed, *other]:
        store.put(key, b"x")
    monkeypatch.setattr(tasks, "open_blob_store", lambda _settings: store)
    assert tasks.prune_staged.fn(now, 7) == []  # all written just now
    if isinstance(store, LocalBlobStore):  # the folder's files can be aged; Azure's cannot
        abandoned = staging_key(now - pd.Timedelta(days=3))
        store.put(abandoned, b"x")
        old = (now - pd.Timedelta(days=8)).timestamp()
        os.utime(store.root / abandoned, (old, old))
        assert tasks.prune_staged.fn(now, 7) == [abandoned]
    # eight days on, every staging file is old, and only staging files go
    assert tasks.prune_staged.fn(now + pd.Timedelta(days=8), 7) == [replayed]
    assert list(store.listing("")) == sorted(other)
    assert tasks.prune_staged.fn(now + pd.Timedelta(days=8), 7) == []  # idempotent
