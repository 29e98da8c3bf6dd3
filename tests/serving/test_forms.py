"""Rows sent as JSON columns or as an Arrow stream score exactly like rows sent as a list, and
are answered in their own form; requests scored together never see each other's rows."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from inference.bundle import load_bundle
from inference.decode import BundleCodec
from inference.pipeline import score_requests
from inference.scoring import score
from inference.state import Snapshot
from tests.serving.conftest import (
    ARROW,
    SCORED_FROM,
    arrow_body,
    bundle_features,
    columns_json,
    row_json,
)

MODELS = ["lightgbm", "xgboost", "lstm"]


@pytest.fixture(scope="module")
def loaded(trained_bundle):
    return load_bundle(trained_bundle)


def _rows(store_frame: pd.DataFrame, n: int) -> pd.DataFrame:
    scored = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM]
    return scored.iloc[::29].head(n).reset_index(drop=True)


def test_columns_are_answered_in_columns_with_the_numbers_of_rows(
    make_client, small_store, store_frame, trained_bundle
):
    client = make_client(serve_feature_store=small_store)
    features = bundle_features(trained_bundle)
    rows = _rows(store_frame, 30)
    by_rows = client.post(
        "/score", json={"rows": [row_json(r, features) for _, r in rows.iterrows()]}
    ).json()
    response = client.post("/score", json={"rows": columns_json(rows, features)})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["bundle_id"], answer["models"]) == (by_rows["bundle_id"], by_rows["models"])
    columns = answer["columns"]
    for i, row in enumerate(by_rows["predictions"]):
        for key in ("settlement_point", "interval_start_utc", "delivery_date", "dst_flag"):
            assert columns[key][i] == row[key]
        assert columns["hour_ending_local"][i] == row["hour_ending_local"]
        for name in MODELS:
            for key in ("prediction", "p10", "p90"):
                assert columns["models"][name][key][i] == row["models"][name][key]
        assert columns["models"]["lstm"]["note"][i] == row["models"]["lstm"].get("note")
        for key in ("prediction", "p10", "p90"):
            assert columns["ensemble"][key][i] == row["ensemble"][key]
        assert columns["ensemble_models"][i] == row["ensemble_models"]


def test_an_arrow_stream_is_answered_in_arrow_with_the_numbers_of_batch_inference(
    make_client, small_store, store_frame, trained_bundle, loaded
):
    client = make_client(serve_feature_store=small_store)
    features = bundle_features(trained_bundle)
    rows = _rows(store_frame, 40)
    response = client.post(
        "/score", content=arrow_body(rows, features), headers={"content-type": ARROW}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(ARROW)
    table = pa.ipc.open_stream(pa.py_buffer(response.content)).read_all()
    assert table.schema.metadata[b"bundle_id"] == loaded.bundle_id.encode()
    got = table.to_pandas()
    expected = score(loaded, rows, store_frame)
    assert got["settlement_point"].tolist() == rows["settlement_point"].tolist()
    assert (got["interval_start_utc"] == rows["interval_start_utc"]).all()
    for name in [*MODELS, "ensemble"]:
        for column in (name, f"{name}_p10", f"{name}_p90"):
            np.testing.assert_allclose(got[column], expected[column], rtol=0, atol=1e-9)
    assert got["ensemble_models"].tolist() == expected["ensemble_models"].tolist()
    assert got["lstm_note"].fillna("").tolist() == expected["lstm_note"].tolist()
    assert set(got["bundle_id"]) == {loaded.bundle_id}


@pytest.mark.parametrize("form", ["columns", "arrow"])
def test_history_rows_win_over_the_feature_store_in_every_form(
    make_client, small_store, store_frame, trained_bundle, loaded, form
):
    client = make_client(serve_feature_store=small_store)
    features = bundle_features(trained_bundle)
    row = _rows(store_frame, 1)
    point, hour = row.loc[0, "settlement_point"], row.loc[0, "interval_start_utc"]
    earlier = store_frame[
        (store_frame["settlement_point"] == point)
        & (store_frame["interval_start_utc"] < hour)
        & (store_frame["interval_start_utc"] >= hour - pd.Timedelta(hours=6))
    ].copy()
    earlier["dam_lag24h"] = earlier["dam_lag24h"] + 500.0
    if form == "columns":
        body = {"rows": columns_json(row, features), "history": columns_json(earlier, features)}
        got = client.post("/score", json=body).json()["columns"]["models"]["lstm"]["prediction"][0]
    else:
        response = client.post(
            "/score",
            content=arrow_body(row, features, history=earlier),
            headers={"content-type": ARROW},
        )
        got = pa.ipc.open_stream(pa.py_buffer(response.content)).read_all()["lstm"][0].as_py()
    merged = pd.concat([earlier, store_frame[~store_frame.index.isin(earlier.index)]])
    assert got == pytest.approx(score(loaded, row, merged).loc[0, "lstm"], abs=1e-9)


def test_requests_scored_together_do_not_see_each_others_rows(loaded, store_frame):
    codec = BundleCodec(loaded, 100)
    features = codec.features
    day = store_frame[store_frame["settlement_point"] == "HB_NORTH"].tail(30)

    def request(frame: pd.DataFrame):
        rows = [row_json(r, features) for _, r in frame.iterrows()]
        return codec.decode(msgspec.json.encode({"rows": rows}))

    snap = Snapshot(loaded, codec, None, datetime.now(UTC))
    together = score_requests(snap, [request(day.iloc[:29]), request(day.iloc[29:])], [])
    alone = score_requests(snap, [request(day.iloc[29:])], [])
    assert together[1].missing.tolist() == alone[0].missing.tolist() == [23]
    assert together[0].missing[-1] == 0  # its own earlier rows made its window
    np.testing.assert_array_equal(together[1].bands.value, alone[0].bands.value)
