"""Bad input in the columnar forms (JSON columns, Arrow streams) gets the same 4xx problem
details as in rows: each error names the column, the row and the value sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from litestar.testing import TestClient

from inference.app import create_app
from tests.serving.conftest import (
    ARROW,
    SCORED_FROM,
    arrow_body,
    bundle_features,
    columns_json,
    serve_settings,
    wait_ready,
)
from tests.serving.test_bad_input import errors_of, problem


@pytest.fixture
def client(registry, tmp_path) -> Iterator[TestClient]:
    settings = serve_settings(registry, tmp_path, serve_max_rows=5, serve_max_body_bytes=200_000)
    with TestClient(create_app(settings)) as c:
        wait_ready(c.get)
        yield c


@pytest.fixture
def rows(store_frame) -> pd.DataFrame:
    return store_frame[store_frame["interval_start_utc"] >= SCORED_FROM].head(2).copy()


@pytest.fixture
def features(trained_bundle) -> list[str]:
    return bundle_features(trained_bundle)


def _arrow(client: TestClient, body: bytes) -> Any:
    return client.post("/score", content=body, headers={"content-type": ARROW})


def test_valid_columns_and_streams_are_accepted(client, rows, features):
    assert client.post("/score", json={"rows": columns_json(rows, features)}).status_code == 200
    assert _arrow(client, arrow_body(rows, features)).status_code == 200


def test_a_bad_value_in_a_column_is_named_by_column_and_row(client, rows, features):
    columns = columns_json(rows, features)
    columns["settlement_point"][1] = "HB_ATLANTIS"
    columns["features"]["rt_lag48h"][0] = "42"
    errors = errors_of(client.post("/score", json={"rows": columns}))
    assert errors["/rows/settlement_point/1"]["value"] == "HB_ATLANTIS"
    assert errors["/rows/features/rt_lag48h/0"]["detail"] == "must be a number or null"


def test_a_null_in_a_time_column_means_not_given(client, rows, features):
    columns = columns_json(rows, features)
    columns["dst_flag"] = ["N", None]
    columns["issue_time_utc"] = [None, None]
    answer = client.post("/score", json={"rows": columns})
    assert answer.status_code == 200, answer.text


def test_missing_unknown_and_short_columns_are_named(client, rows, features):
    columns = columns_json(rows, features)
    del columns["features"]["dam_lag24h"]
    columns["features"]["dam_lag_7_years"] = [1.0, 2.0]
    columns["features"]["rt_lag48h"] = [1.0]
    errors = errors_of(client.post("/score", json={"rows": columns}))
    assert errors["/rows/features/dam_lag24h"]["detail"].startswith("missing")
    assert "unknown feature" in errors["/rows/features/dam_lag_7_years"]["detail"]
    assert "1 values where settlement_point has 2" in errors["/rows/features/rt_lag48h"]["detail"]


def test_duplicate_rows_empty_columns_and_too_many_rows_are_refused(client, rows, features):
    twice = columns_json(pd.concat([rows.head(1)] * 2), features)
    duplicate = errors_of(client.post("/score", json={"rows": twice}))
    assert list(duplicate) == ["/rows/settlement_point/1"]  # the cell of the row, not /rows
    assert duplicate["/rows/settlement_point/1"]["detail"] == (
        "row 1: the same settlement point and hour as row 0"
    )
    assert duplicate["/rows/settlement_point/1"]["value"] == str(rows["settlement_point"].iloc[0])
    hourless = columns_json(rows, features)
    hourless["interval_start_utc"] = [hourless["interval_start_utc"][0], None]
    errors = errors_of(client.post("/score", json={"rows": hourless}))
    assert list(errors) == ["/rows/interval_start_utc/1"]  # the cell that is missing
    assert errors["/rows/interval_start_utc/1"]["detail"].startswith("names no delivery hour")
    empty = columns_json(rows.head(0), features)
    assert "empty" in errors_of(client.post("/score", json={"rows": empty}))["/rows"]["detail"]
    many = rows.iloc[[0] * 6].copy()
    many["interval_start_utc"] = pd.date_range("2024-08-25T05:00Z", periods=6, freq="h")
    errors = errors_of(client.post("/score", json={"rows": columns_json(many, features)}))
    assert any("limit of 5" in e["detail"] for e in errors.values())


@pytest.mark.parametrize("content", [b"", b"not arrow at all", b"\xff\xff\xff\xff\x10\x00"])
def test_a_body_that_is_not_an_arrow_stream_gets_400(client, content):
    body = problem(_arrow(client, content), 400)
    assert body["type"].endswith(":malformed-arrow")


def test_nan_and_infinite_values_in_a_stream_are_refused_naming_the_row(client, rows, features):
    changed = rows.copy()
    changed["dam_lag24h"] = [float("nan"), float("inf")]
    body = arrow_body(changed, features)
    errors = errors_of(_arrow(client, body))
    assert "NaN or infinite" in errors["/features/dam_lag24h/1"]["detail"]
    # pandas' NaN is read as null by arrow_body (from_pandas): row 0 is an unknown value
    assert "/features/dam_lag24h/0" not in errors


def test_column_types_names_and_time_zones_of_a_stream_are_checked(client, rows, features):
    naive = pa.array(rows["interval_start_utc"].dt.tz_localize(None), pa.timestamp("us"))
    errors = errors_of(
        _arrow(client, arrow_body(rows, features, extra={"interval_start_utc": naive}))
    )
    assert "naive" in errors["/interval_start_utc"]["detail"]
    errors = errors_of(
        _arrow(client, arrow_body(rows, features, extra={"colour": pa.array(["b", "r"])}))
    )
    assert "unknown column" in errors["/colour"]["detail"]
    points = pa.array(["HB_NORTH", "HB_ATLANTIS"])
    errors = errors_of(
        _arrow(client, arrow_body(rows, features, extra={"settlement_point": points}))
    )
    assert errors["/settlement_point/1"]["value"] == "HB_ATLANTIS"
    struct = pa.StructArray.from_arrays(
        [pa.array([1.0, 2.0]) for _ in features[1:]], names=features[1:]
    )
    errors = errors_of(_arrow(client, arrow_body(rows, features, extra={"features": struct})))
    assert errors[f"/features/{features[0]}"]["detail"].startswith("missing")


def test_a_stream_row_off_the_hour_is_named_by_its_row_in_the_stream(client, rows, features):
    history = rows.copy()
    history["interval_start_utc"] = history["interval_start_utc"] - pd.Timedelta(hours=1)
    history.iloc[1, history.columns.get_loc("interval_start_utc")] += pd.Timedelta(minutes=30)
    errors = errors_of(_arrow(client, arrow_body(rows, features, history=history)))
    assert "start of an hour" in errors["/interval_start_utc/3"]["detail"]
