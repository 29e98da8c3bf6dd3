"""The ``dart-pipeline`` flow on a real Prefect API, on two months of the real five hubs:
features → batch inference with the champion → publishing to the local blob folder and a SQL
table, and notifications to local Slack/Teams/SMTP receivers. Reruns change nothing; a database
down on the first attempt is retried; down for good, the run fails whole and says so."""

from __future__ import annotations

import asyncio
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


def test_a_bad_secret_silences_its_channel_only(prefect_api, pipeline, monkeypatch):
    hooks, box = pipeline
    monkeypatch.setenv("ERCOT_DART_NOTIFY_SLACK_WEBHOOK", "prefect-secret:no-such-block")
    get_settings.cache_clear()
    result = dart_pipeline(issue_time=ISSUE)  # published, and the run completes
    assert result["rows"] == HUBS * 24 * 4
    assert hooks.bodies("slack") == [] and len(hooks.bodies("teams")) == 1
    assert [s for s in box.subjects() if "published" in s]


def test_a_failure_notice_links_to_the_run(prefect_api, pipeline, monkeypatch, tmp_path):
    hooks, _ = pipeline
    monkeypatch.setenv("ERCOT_DART_REGISTRY_DIR", str(tmp_path / "empty-registry"))
    get_settings.cache_clear()
    with pytest.raises(Exception, match="champion"):
        dart_pipeline(issue_time=ISSUE)
    [notice] = [b["text"] for b in hooks.bodies("slack") if "FAILED" in b["text"]]
    assert "Details: http" in notice and "/runs/flow-run/" in notice


def test_a_day_too_far_ahead_is_refused_before_any_work(prefect_api, pipeline):
    """A mistyped delivery_date fails at once: no features built, no training, no promotion."""
    registry_before = sorted(p.name for p in (get_settings().registry_root).iterdir())
    with pytest.raises(ValueError, match="2024-09-02 is 13 days after its issue time"):
        dart_pipeline(retrain=True, issue_time=ISSUE, delivery_date=date(2024, 9, 2))
    assert sorted(p.name for p in get_settings().registry_root.iterdir()) == registry_before
    assert not get_settings().feature_store_dir.exists()
    with pytest.raises(ValueError, match="backfill_end 2024-08-01 is before backfill_start"):
        dart_pipeline(
            issue_time=ISSUE, backfill_start=date(2024, 8, 5), backfill_end=date(2024, 8, 1)
        )
