"""Bad input never yields a 500: each kind gets a 4xx problem-details body naming the field
(a JSON pointer into the body) and the value sent."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from inference.app import create_app
from tests.serving.conftest import (
    SCORED_FROM,
    bundle_features,
    row_json,
    serve_settings,
    wait_ready,
)

PROBLEM = "application/problem+json"


@pytest.fixture
def client(registry, tmp_path) -> Iterator[TestClient]:
    settings = serve_settings(registry, tmp_path, serve_max_rows=5, serve_max_body_bytes=200_000)
    with TestClient(create_app(settings)) as c:
        wait_ready(c.get)
        yield c


@pytest.fixture
def good(store_frame, trained_bundle) -> dict[str, Any]:
    """A valid body of two rows."""
    rows = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM].head(2)
    features = bundle_features(trained_bundle)
    return {"rows": [row_json(r, features) for _, r in rows.iterrows()]}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status and body["instance"] == "/score"
    assert body["type"].startswith("tag:ercot-dart,2024:problem:")
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def errors_of(response: Any, status: int = 422) -> dict[str, dict[str, Any]]:
    return {e["pointer"]: e for e in problem(response, status)["errors"]}


def test_the_valid_body_is_accepted(client, good):
    assert client.post("/score", json=good).status_code == 200


def test_a_missing_feature_is_named(client, good):
    del good["rows"][1]["features"]["dam_lag24h"]
    errors = errors_of(client.post("/score", json=good))
    assert errors["/rows/1/features/dam_lag24h"]["detail"].startswith("missing")
    assert "value" not in errors["/rows/1/features/dam_lag24h"]


def test_an_unknown_feature_is_named_with_its_value(client, good):
    good["rows"][0]["features"]["dam_lag_7_years"] = 3.5
    errors = errors_of(client.post("/score", json=good))
    assert errors["/rows/0/features/dam_lag_7_years"]["value"] == 3.5
    assert "unknown feature" in errors["/rows/0/features/dam_lag_7_years"]["detail"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinite_literals_are_named_with_their_field(client, good, literal):
    text = json.dumps(good)
    start = text.index('"dam_lag24h": ') + len('"dam_lag24h": ')
    doc = text[:start] + literal + text[text.index(",", start) :]  # JSON has no such literal
    errors = errors_of(client.post("/score", content=doc.encode()))
    assert list(errors) == ["/rows/0/features/dam_lag24h"]
    assert errors["/rows/0/features/dam_lag24h"]["value"] == literal
    assert "NaN or infinite" in errors["/rows/0/features/dam_lag24h"]["detail"]


def test_a_nan_literal_in_a_body_malformed_otherwise_is_malformed_json(client, good):
    text = json.dumps(good).replace('"dam_lag24h": ', '"dam_lag24h": NaN, ', 1)  # no value
    assert problem(client.post("/score", content=text.encode()), 400)["type"].endswith(
        ":malformed-json"
    )


@pytest.mark.parametrize("depth", [1_000, 60_000])  # the body limit here is 200 kB
def test_a_body_nested_too_deeply_is_refused(client, depth):
    for doc in ("[" * depth + "]" * depth, '{"rows": ' + "[" * depth + "]" * depth + "}"):
        body = problem(client.post("/score", content=doc.encode()), 400)
        assert body["type"].endswith(":malformed-json") and "too deeply" in body["detail"]


def test_long_values_are_shown_cut_and_large_ones_summarised(client, good):
    row = copy.deepcopy(good["rows"][0])
    good["rows"][0]["settlement_point"] = "X" * 5000
    good["rows"][1]["features"]["dam_lag24h"] = list(range(1000))
    errors = errors_of(client.post("/score", json=good))
    point = errors["/rows/0/settlement_point"]["value"]
    assert len(point) == 201 and point.endswith("…")
    assert errors["/rows/1/features/dam_lag24h"]["value"] == "(an array of 1000 values)"
    good["rows"][1]["features"]["Y" * 100_000] = 1.0
    errors = problem(client.post("/score", json=good), 422)["errors"]
    assert max(len(e["pointer"]) for e in errors) <= 201
    whole = problem(client.post("/score", json=[row] * 30), 422)
    assert len(json.dumps(whole)) < 2_000  # the body is not echoed back whole


@pytest.mark.parametrize("value", ["1e400", "-1e39", "1" + "0" * 400])
def test_numbers_beyond_what_the_models_take_are_refused(client, good, value):
    text = json.dumps(good)
    start = text.index('"dam_lag24h": ') + len('"dam_lag24h": ')
    end = text.index(",", start)
    doc = text[:start] + value + text[end:]  # the same body, one value replaced
    errors = errors_of(client.post("/score", content=doc.encode()))
    assert "/rows/0/features/dam_lag24h" in errors


def test_an_unknown_settlement_point_is_named(client, good):
    good["rows"][1]["settlement_point"] = "HB_ATLANTIS"
    error = errors_of(client.post("/score", json=good))["/rows/1/settlement_point"]
    assert error["value"] == "HB_ATLANTIS" and "HB_NORTH" in error["detail"]


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        ("2024-08-25T05:00:00", "naive"),
        ("1999-12-31T05:00:00Z", "2000–2100"),
        ("2101-01-01T00:00:00Z", "2000–2100"),
        ("0001-01-01T00:00:00+05:00", "2000–2100"),
        ("2024-08-25T05:30:00Z", "start of an hour"),
        ("tomorrow", "ISO 8601"),
        (1724562000, "ISO 8601"),
    ],
)
def test_timestamps_out_of_range_naive_or_malformed_are_refused(client, good, stamp, reason):
    good["rows"][0]["interval_start_utc"] = stamp
    error = errors_of(client.post("/score", json=good))["/rows/0/interval_start_utc"]
    assert reason in error["detail"] and error["value"] == stamp


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("settlement_point", 17, "/rows/0/settlement_point"),
        ("features", [1, 2], "/rows/0/features"),
        ("hour_ending", True, "/rows/0/hour_ending"),
        ("hour_ending", 25, "/rows/0/hour_ending"),
        ("dst_flag", "yes", "/rows/0/dst_flag"),
        ("delivery_date", "08/25/2024", "/rows/0/delivery_date"),
        ("colour", "blue", "/rows/0/colour"),
    ],
)
def test_wrong_types_are_named_with_their_value(client, good, field, value, pointer):
    good["rows"][0][field] = value
    error = errors_of(client.post("/score", json=good))[pointer]
    assert error["value"] == value


def test_a_string_where_a_number_belongs_is_named(client, good):
    good["rows"][1]["features"]["rt_lag48h"] = "42"
    error = errors_of(client.post("/score", json=good))["/rows/1/features/rt_lag48h"]
    assert error == {
        "pointer": "/rows/1/features/rt_lag48h",
        "detail": "must be a number or null",
        "value": "42",
    }


def test_every_error_of_a_body_is_listed(client, good):
    good["rows"][0]["settlement_point"] = "NOWHERE"
    good["rows"][1]["features"]["dam_lag24h"] = "high"
    good["rows"][1]["interval_start_utc"] = "2024-08-25T05:00:00"
    errors = errors_of(client.post("/score", json=good))
    assert {
        "/rows/0/settlement_point",
        "/rows/1/features/dam_lag24h",
        "/rows/1/interval_start_utc",
    } <= errors.keys()


@pytest.mark.parametrize(
    ("change", "pointer", "reason"),
    [
        (
            {"delivery_date": "2024-03-10", "hour_ending": 3},
            "/rows/0/hour_ending",
            "does not exist",
        ),
        (
            {"delivery_date": "2024-08-25", "hour_ending": 2, "dst_flag": "Y"},
            "/rows/0/hour_ending",
            "repeated hour",
        ),
        ({"delivery_date": "2024-08-25"}, "/rows/0/hour_ending", "required"),
        (
            {"delivery_date": "2024-08-20", "hour_ending": 1},
            "/rows/0/interval_start_utc",
            "disagrees",
        ),
    ],
)
def test_local_delivery_hours_must_exist_and_agree(client, good, change, pointer, reason):
    good["rows"][0].update(change)
    assert reason in errors_of(client.post("/score", json=good))[pointer]["detail"]


def test_a_row_without_a_delivery_hour_is_refused(client, good):
    del good["rows"][0]["interval_start_utc"]
    assert (
        "names no delivery hour"
        in errors_of(client.post("/score", json=good))["/rows/0/interval_start_utc"]["detail"]
    )


def test_two_rows_for_the_same_point_and_hour_are_refused(client, good):
    good["rows"][1] = copy.deepcopy(good["rows"][0])
    assert "/rows/0" in errors_of(client.post("/score", json=good))["/rows/1"]["detail"]


def test_an_empty_batch_is_refused(client):
    assert "empty" in errors_of(client.post("/score", json={"rows": []}))["/rows"]["detail"]


def test_a_batch_over_the_row_limit_is_refused(client, good):
    good["rows"] = [
        dict(good["rows"][0], interval_start_utc=f"2024-08-2{d}T05:00:00Z") for d in range(6)
    ]
    assert "limit of 5" in errors_of(client.post("/score", json=good))["/rows"]["detail"]


def test_a_body_over_the_size_limit_gets_413(client):
    body = problem(client.post("/score", content=b" " * 200_001), 413)
    assert "200000 bytes" in body["detail"]


def test_a_chunked_body_over_the_size_limit_gets_413(client):
    """No Content-Length to refuse it by: the limit is counted while the body is read."""
    chunks = iter([b" " * 100_000, b" " * 100_000, b"{}"])
    body = problem(client.post("/score", content=chunks), 413)
    assert "200000 bytes" in body["detail"]


@pytest.mark.parametrize(
    "content", [b"{bad", b"", b'{"rows": [', '{"rows": "\u00e9"}'.encode("latin-1")]
)
def test_malformed_json_gets_400(client, content):
    assert problem(client.post("/score", content=content), 400)["type"].endswith(":malformed-json")


@pytest.mark.parametrize("doc", [[], "rows", 3, None, {"row": []}, {"rows": {"a": 1}}])
def test_a_body_of_the_wrong_shape_is_refused(client, doc):
    response = client.post("/score", content=json.dumps(doc).encode())
    assert problem(response, 422)["errors"]


def test_unknown_routes_and_methods_get_problem_details(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    response = client.get("/score")
    assert response.status_code == 405 and response.headers["allow"].startswith("POST")
    assert response.json()["type"].endswith(":method-not-allowed")
    assert "(allowed: POST, OPTIONS)" in client.put("/score").json()["detail"]
    options = client.options("/score")  # as on every other route
    assert options.status_code == 204 and options.headers["allow"] == "OPTIONS, POST"
