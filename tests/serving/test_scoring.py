"""POST /score answers with the numbers of inference.scoring.score, for each way of giving the
delivery hour and each source of the LSTM's earlier hours."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from inference.bundle import load_bundle
from inference.scoring import score
from tests.serving.conftest import SCORED_FROM, bundle_features, columns_json, row_json

MODELS = ["lightgbm", "xgboost", "lstm"]


@pytest.fixture(scope="module")
def loaded(trained_bundle):
    return load_bundle(trained_bundle)


def _rows(store_frame: pd.DataFrame, n: int, step: int = 37) -> pd.DataFrame:
    scored = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM]
    return scored.iloc[::step].head(n).reset_index(drop=True)


def _assert_same(response: dict[str, Any], expected: pd.DataFrame, tolerance: float = 1e-9) -> None:
    predictions = response["predictions"]
    assert len(predictions) == len(expected)
    for got, (_, want) in zip(predictions, expected.iterrows(), strict=True):
        assert got["settlement_point"] == want["settlement_point"]
        for name in MODELS:
            band = got["models"][name]
            for key, column in (
                ("prediction", name),
                ("p10", f"{name}_p10"),
                ("p90", f"{name}_p90"),
            ):
                if np.isnan(want[column]):
                    assert band[key] is None
                else:
                    assert band[key] == pytest.approx(want[column], abs=tolerance)
        assert got["ensemble"]["prediction"] == pytest.approx(want["ensemble"], abs=tolerance)
        assert got["ensemble"]["p10"] == pytest.approx(want["ensemble_p10"], abs=tolerance)
        assert got["ensemble"]["p90"] == pytest.approx(want["ensemble_p90"], abs=tolerance)
        assert ",".join(got["ensemble_models"]) == want["ensemble_models"]


def test_rows_with_history_from_the_feature_store_score_as_in_batch_inference(
    make_client, small_store, store_frame, trained_bundle, loaded
):
    client = make_client(serve_feature_store=small_store)
    rows = _rows(store_frame, 40)
    features = bundle_features(trained_bundle)
    response = client.post(
        "/score", json={"rows": [row_json(r, features) for _, r in rows.iterrows()]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bundle_id"] == loaded.bundle_id and body["models"] == MODELS
    assert {p["bundle_id"] for p in body["predictions"]} == {loaded.bundle_id}
    expected = score(loaded, rows, store_frame)
    assert (expected["lstm_note"] == "").all()  # every row has its window in the store
    _assert_same(body, expected)


def test_a_single_row_and_a_large_batch_get_the_same_predictions(
    make_client, small_store, store_frame, trained_bundle
):
    client = make_client(serve_feature_store=small_store)
    features = bundle_features(trained_bundle)
    rows = _rows(store_frame, 120, step=5)  # more than the micro-batch limit: a worker thread
    batch = client.post(
        "/score", json={"rows": [row_json(r, features) for _, r in rows.iterrows()]}
    )
    for i in (0, 57, 119):
        one = client.post("/score", json={"rows": [row_json(rows.iloc[i], features)]})
        assert one.json()["predictions"][0] == batch.json()["predictions"][i]


def test_request_history_wins_over_the_feature_store_for_the_hours_it_carries(
    make_client, small_store, store_frame, trained_bundle, loaded
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
    earlier["dam_lag24h"] = earlier["dam_lag24h"] + 500.0  # six hours the request overrides
    body = {
        "rows": [row_json(row.iloc[0], features)],
        "history": [row_json(r, features) for _, r in earlier.iterrows()],
    }
    got = client.post("/score", json=body).json()["predictions"][0]
    store_only = score(loaded, row, store_frame)
    merged = pd.concat([earlier, store_frame[~store_frame.index.isin(earlier.index)]])
    expected = score(loaded, row, merged)
    assert got["models"]["lstm"]["prediction"] == pytest.approx(expected.loc[0, "lstm"], abs=1e-9)
    assert abs(expected.loc[0, "lstm"] - store_only.loc[0, "lstm"]) > 1e-3  # the history counted


def test_without_history_the_row_has_no_lstm_prediction_and_says_why(
    make_client, store_frame, trained_bundle, loaded
):
    client = make_client()  # no feature store configured
    features = bundle_features(trained_bundle)
    rows = _rows(store_frame, 3)
    body = client.post("/score", json={"rows": [row_json(r, features) for _, r in rows.iterrows()]})
    assert body.status_code == 200
    expected = score(loaded, rows)
    for got, (_, want) in zip(body.json()["predictions"], expected.iterrows(), strict=True):
        assert got["models"]["lstm"] == {
            "prediction": None,
            "p10": None,
            "p90": None,
            "note": "23 of the previous 23 hours of this point are unknown",
        }
        assert got["ensemble_models"] == ["lightgbm", "xgboost"]
        mean = (
            got["models"]["lightgbm"]["prediction"] + got["models"]["xgboost"]["prediction"]
        ) / 2
        assert got["ensemble"]["prediction"] == pytest.approx(mean, abs=1e-9)
        assert got["ensemble"]["prediction"] == pytest.approx(want["ensemble"], abs=1e-9)


def test_a_day_of_one_point_carries_its_own_window(
    make_client, store_frame, trained_bundle, loaded
):
    client = make_client()
    features = bundle_features(trained_bundle)
    day = store_frame[store_frame["settlement_point"] == "HB_NORTH"].tail(30).reset_index(drop=True)
    response = client.post(
        "/score", json={"rows": [row_json(r, features) for _, r in day.iterrows()]}
    )
    predictions = response.json()["predictions"]
    lstm = [p["models"]["lstm"]["prediction"] for p in predictions]
    assert all(v is None for v in lstm[:23]) and all(v is not None for v in lstm[23:])
    assert predictions[22]["models"]["lstm"]["note"] == (
        "1 of the previous 23 hours of this point are unknown"
    )
    _assert_same(response.json(), score(loaded, day))


def test_the_local_delivery_hour_with_its_dst_flag_names_the_same_hour_as_utc(
    make_client, store_frame, trained_bundle
):
    client = make_client()
    features = bundle_features(trained_bundle)
    row = row_json(_rows(store_frame, 1).iloc[0], features)
    by_utc = client.post("/score", json={"rows": [row]}).json()["predictions"][0]
    local = {k: v for k, v in row.items() if k != "interval_start_utc"}
    local.update(
        delivery_date=by_utc["delivery_date"], hour_ending=int(by_utc["hour_ending_local"][:2])
    )
    local["dst_flag"] = by_utc["dst_flag"]
    by_local = client.post("/score", json={"rows": [local]}).json()["predictions"][0]
    assert by_local == by_utc
    both = {**row, "delivery_date": by_utc["delivery_date"], "hour_ending": local["hour_ending"]}
    assert client.post("/score", json={"rows": [both]}).json()["predictions"][0] == by_utc


def test_the_repeated_fall_back_hour_is_told_apart_by_its_flag(
    make_client, store_frame, trained_bundle
):
    client = make_client()
    features = bundle_features(trained_bundle)
    row = row_json(_rows(store_frame, 1).iloc[0], features)
    del row["interval_start_utc"]
    answers = {}
    for flag in ("N", "Y"):
        body = {
            "rows": [{**row, "delivery_date": "2024-11-03", "hour_ending": 2, "dst_flag": flag}]
        }
        answers[flag] = client.post("/score", json=body).json()["predictions"][0]
    assert answers["N"]["interval_start_utc"] == "2024-11-03T06:00:00Z"
    assert answers["Y"]["interval_start_utc"] == "2024-11-03T07:00:00Z"
    assert (answers["N"]["hour_ending_local"], answers["Y"]["dst_flag"]) == ("02:00", "Y")


def test_model_info_describes_the_loaded_bundle(make_client, trained_bundle, loaded):
    info = make_client().get("/model/info").json()
    manifest = loaded.manifest
    assert info["bundle_id"] == loaded.bundle_id and info["created_at"] == manifest["created_at"]
    assert info["training_window"] == manifest["training_window"]
    assert info["features"] == bundle_features(trained_bundle)
    assert info["settlement_points"] == sorted(manifest["preprocessing"]["encoding"])
    assert (
        info["metrics"]["test"]["ensemble"]["mae"] == manifest["metrics"]["test"]["ensemble"]["mae"]
    )
    assert set(info["models"]) == set(MODELS)
    assert info["models"]["lstm"]["sha256"] == manifest["files"]["lstm.onnx"]


def test_health_is_alive_and_ready_names_the_bundle(make_client, loaded):
    client = make_client()
    assert client.get("/health").json() == {"status": "alive"}
    assert client.get("/ready").json()["bundle_id"] == loaded.bundle_id


def test_a_row_with_no_feature_known_gets_no_prediction_and_says_why(
    make_client, small_store, store_frame, trained_bundle, loaded
):
    """The trees would answer it with their default paths alone: a number that means nothing."""
    from inference.scoring import BLANK_NOTE

    client = make_client(serve_feature_store=small_store)
    features = bundle_features(trained_bundle)
    rows = _rows(store_frame, 3)
    blank = rows.copy()
    blank.loc[1, features] = np.nan
    body = [row_json(r, features) for _, r in blank.iterrows()]
    assert set(body[1]["features"].values()) == {None}
    response = client.post("/score", json={"rows": body})
    assert response.status_code == 200, response.text
    got = response.json()["predictions"]
    for name in MODELS:
        assert got[1]["models"][name] == {
            "prediction": None, "p10": None, "p90": None, "note": BLANK_NOTE,
        }  # fmt: skip
    assert got[1]["ensemble"] == {"prediction": None, "p10": None, "p90": None}
    assert got[1]["ensemble_models"] == []
    # its neighbours are scored as if it were not there, as in batch inference
    expected = score(loaded, blank, store_frame)
    _assert_same({"predictions": [got[0], got[2]]}, expected.iloc[[0, 2]])
    assert expected.loc[1, "lstm_note"] == BLANK_NOTE
    assert np.isnan(
        expected.loc[1, ["lightgbm", "xgboost", "lstm", "ensemble"]].astype(float)
    ).all()
    # the columns form says the same
    columns = client.post("/score", json={"rows": columns_json(blank, features)}).json()["columns"]
    for name in MODELS:
        assert columns["models"][name]["prediction"][1] is None
        assert columns["models"][name]["note"][1] == BLANK_NOTE
