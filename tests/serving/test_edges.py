"""What load balancers, scrapers and odd clients meet at the edges of the service: HEAD probes,
media types, the metrics' content type, a corrupt champion record, times in other offsets and
at the end of the accepted years."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.serving.conftest import (
    API_KEY,
    SCORED_FROM,
    bundle_features,
    row_json,
)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture
def body(store_frame, trained_bundle) -> dict[str, Any]:
    row = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM].iloc[0]
    return {"rows": [row_json(row, bundle_features(trained_bundle))]}


def test_head_probes_answer_without_a_body(client):
    for path in ("/health", "/ready"):
        answer = client.head(path)
        assert answer.status_code == 200 and answer.content == b""


@pytest.mark.parametrize(
    "media_type", ["application/json", "application/json; charset=utf-8", "text/plain", "",
                   "application/x-www-form-urlencoded", "application/problem+json"],
)  # fmt: skip
def test_json_and_its_usual_stand_ins_are_read_as_json(client, body, media_type):
    headers = {"content-type": media_type} if media_type else {}
    answer = client.post("/score", content=json.dumps(body).encode(), headers=headers)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("media_type", ["application/xml", "text/csv", "multipart/form-data"])
def test_a_body_in_another_format_gets_415_naming_it(client, body, media_type):
    answer = client.post(
        "/score", content=json.dumps(body).encode(), headers={"content-type": media_type}
    )
    assert answer.status_code == 415 and answer.json()["type"].endswith(":unsupported-media-type")
    assert media_type in answer.json()["detail"]


def test_metrics_say_their_charset_once_and_count_a_405_under_its_route(client):
    assert client.post("/health").status_code == 405
    answer = client.get("/metrics")
    assert answer.headers["content-type"].count("charset") == 1
    assert 'route="/health",status="405"' in answer.text.replace('method="POST",', "")


def test_an_issue_time_in_another_offset_is_answered_in_utc(client, body):
    body["rows"][0]["issue_time_utc"] = "2024-08-01T09:00:00-05:00"
    answer = client.post("/score", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"][0]["issue_time_utc"] == "2024-08-01T14:00:00Z"


def test_the_last_local_hour_of_2100_is_out_of_range_as_its_utc_hour_is(client, body):
    row = body["rows"][0]
    del row["interval_start_utc"]
    row |= {"delivery_date": "2100-12-31", "hour_ending": 24}
    errors = client.post("/score", json=body).json()["errors"]
    assert "outside 2000–2100" in errors[0]["detail"]
    row["hour_ending"] = 17  # 2100-12-31T23:00Z: still in range
    errors = client.post("/score", json=body).json().get("errors", [])
    assert not any("outside" in e["detail"] for e in errors)


def test_a_corrupt_champion_record_is_the_registry_unreadable(client, registry):
    (registry.root / "champion.json").write_text("{not json")
    answer = client.post("/admin/reload", headers={"X-API-Key": API_KEY})
    assert answer.status_code == 503 and answer.json()["type"].endswith(":registry-unavailable")
    assert client.get("/ready").status_code == 200  # still serving what it had
