"""Training produces a registered, verified bundle whose ONNX models score like the natives."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest

from ercot_dart.models.base import ModelConfig
from ercot_dart.models.data import SplitError, min_days, plan_split
from ercot_dart.models.pipeline import ensemble_on_window, register
from ercot_dart.models.training import evaluate, export_bundle, fit, prepare, refit
from ercot_dart.registry import BundleError, LocalRegistry, verify_bundle, write_manifest
from inference.bundle import load_bundle
from inference.scoring import score, to_predictions
from onnx_export.parity import ParityError, check_parity
from tests.models.tamper import shift_first_tree


@pytest.fixture(scope="module")
def trained(request_small, tmp_path_factory):
    prepared = prepare(request_small)
    models = {name: fit(name, prepared) for name in ("lightgbm", "xgboost", "lstm")}
    evaluation = evaluate(prepared, models)
    refits = {name: refit(prepared, model) for name, model in models.items()}
    bundle = export_bundle(prepared, models, evaluation, tmp_path_factory.mktemp("bundles"), refits)
    return prepared, refits, evaluation, bundle, models


@pytest.fixture(scope="module")
def held_out_only(trained, tmp_path_factory):
    """A bundle of the same held-out models, deployed as they are (no refit)."""
    prepared, _, evaluation, _, models = trained
    return export_bundle(prepared, models, evaluation, tmp_path_factory.mktemp("plain"))


def test_the_bundle_holds_three_verified_models_and_its_evaluation(trained):
    _, _, _, bundle, _ = trained
    manifest = verify_bundle(bundle)
    assert set(manifest["models"]) == {"lightgbm", "xgboost", "lstm"}
    assert {p["max_abs_diff"] <= 1e-3 for p in manifest["parity"].values()} == {True}
    assert all(
        p["rows"] == manifest["metrics"]["rows"]["test"] for p in manifest["parity"].values()
    )
    test = manifest["metrics"]["test"]
    for name in (
        "lightgbm",
        "xgboost",
        "lstm",
        "ensemble",
        "baseline_zero",
        "baseline_same_hour_median_7d",
    ):
        assert {"rmse", "mae", "r2", "smape", "sign_accuracy", "pnl_per_mwh"} <= set(test[name])
    assert 0.4 < test["ensemble"]["coverage_p10_p90"] <= 1.0
    assert (bundle / "predicted_vs_realized.png").stat().st_size > 10_000
    assert (bundle / "error_by_hour.png").stat().st_size > 10_000
    by_point = json.loads((bundle / "metrics.json").read_text())["by_point"]
    assert set(by_point) == set(test)  # every model, the ensemble and both baselines
    for name, points in by_point.items():
        assert points.keys() >= {"HB_NORTH"}, name
        assert {"mae", "sign_accuracy", "pnl_per_mwh"} <= set(points["HB_NORTH"]), name


def test_onnx_scoring_reproduces_the_native_models(trained):
    prepared, models, _, bundle, _ = trained
    loaded = load_bundle(bundle)
    test = prepared.test
    rows = test.frame.reset_index(drop=True)
    history = prepared.data.frame  # the LSTM's earlier hours
    scored = score(loaded, rows, history)
    for name, model in models.items():
        native = model.predict(test)
        onnx_pred = scored[name].to_numpy()
        full = np.isfinite(onnx_pred)
        assert full.mean() > 0.95
        assert np.abs(onnx_pred[full] - native[full]).max() < 1e-3
    long = to_predictions(scored, loaded.bundle_id, loaded.models)
    assert set(long["model"]) == {"lightgbm", "xgboost", "lstm", "ensemble"}
    assert long.columns.tolist()[:5] == [
        "issue_time_utc",
        "settlement_point",
        "interval_start_utc",
        "hour_ending_local",
        "dst_flag",
    ]


def test_the_deployed_models_are_refitted_on_every_day_up_to_the_last(trained, held_out_only):
    prepared, refits, _, bundle, models = trained
    manifest = verify_bundle(bundle)
    days = prepared.days
    assert manifest["training_window"]["fitted_end"] == str(days.test[1])
    assert manifest["refit"]["days"] == [str(days.train[0]), str(days.test[1])]
    everything = prepared.everything
    # every labelled day up to the test end: the training, validation and test splits, and
    # the days of the gaps between them
    assert (
        manifest["refit"]["rows"]
        == len(everything)
        > (len(prepared.train) + len(prepared.valid) + len(prepared.test))
    )
    for name, model in models.items():
        # the recipe of the held-out fit: its rounds (or epochs), on all the rows
        assert refits[name].rounds == model.rounds == manifest["refit"]["rounds"][name]
        assert refits[name].info["rows"] == len(everything)
        assert not np.allclose(refits[name].predict(prepared.test), model.predict(prepared.test))
    assert refits["lightgbm"].booster.num_trees() == models["lightgbm"].rounds
    assert refits["xgboost"].booster.num_boosted_rounds() == models["xgboost"].rounds
    # the held-out fits travel beside them, each checked against its native model
    holdout = manifest["holdout_models"]
    assert {s["file"] for s in holdout.values()} == {
        "holdout-lightgbm.onnx",
        "holdout-xgboost.onnx",
        "holdout-lstm.onnx",
    }
    assert {s["parity"]["max_abs_diff"] <= 1e-3 for s in holdout.values()} == {True}
    loaded = load_bundle(bundle, held_out=True)
    rows = prepared.test.frame.reset_index(drop=True)
    scored = score(loaded, rows, prepared.data.frame)
    for name, model in models.items():
        onnx_pred = scored[name].to_numpy()
        full = np.isfinite(onnx_pred)
        assert np.abs(onnx_pred[full] - model.predict(prepared.test)[full]).max() < 1e-3
    # a bundle deployed without a refit: its models are the held-out ones, fitted up to the
    # end of validation (early stopping, calibration)
    plain = verify_bundle(held_out_only)
    assert plain["training_window"]["fitted_end"] == str(days.valid[1])
    assert plain["refit"] is None and plain["holdout_models"] is None


def test_promotion_compares_the_held_out_models_not_the_refits(trained, held_out_only):
    """The refits have seen the recent window: scored on it they would flatter the bundle."""
    prepared, _, _, bundle, _ = trained
    window = verify_bundle(bundle)["metrics"]["recent"]["window"]
    store = prepared.request.store
    assert ensemble_on_window(bundle, store, window) == ensemble_on_window(
        held_out_only, store, window
    )


def test_the_parity_check_fails_on_a_tampered_model(trained, tmp_path):
    prepared, models, _, bundle, _ = trained
    tampered = tmp_path / "lightgbm.onnx"
    # the first tree's leaves moved by $50 (one leaf alone may be reached by no test row)
    shift_first_tree(bundle / "lightgbm.onnx", tampered)
    test = prepared.test
    with pytest.raises(ParityError, match="differs from the native model"):
        check_parity(tampered, iter([test.X]), models["lightgbm"].predict_inputs)
    # and the bundle itself refuses an altered file
    copy = tmp_path / "bundle"
    copy.mkdir()
    for f in bundle.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    (copy / "lightgbm.onnx").write_bytes(tampered.read_bytes())
    with pytest.raises(BundleError, match="lightgbm.onnx"):
        verify_bundle(copy)


def test_registration_promotes_the_first_bundle_and_compares_the_next_with_the_champion(
    trained, request_small, tmp_path
):
    _, _, _, bundle, _ = trained
    registry = LocalRegistry(tmp_path / "registry")
    bundle_id, promoted, reason = register(registry, bundle, request_small.store)
    assert promoted and "no champion" in reason and registry.champion() == bundle_id
    # the same models again: scored by onnxruntime on the same window, not worse
    again_id, promoted_again, reason_again = register(registry, bundle, request_small.store)
    assert again_id == bundle_id and promoted_again and "champion" in reason_again
    assert "in-sample" not in reason_again  # it was fitted before the window


def test_a_champion_fitted_on_the_window_is_said_to_be_scored_in_sample(
    trained, request_small, tmp_path
):
    from tests.serving.conftest import rebrand

    _, _, _, bundle, _ = trained
    manifest = json.loads((bundle / "manifest.json").read_text())
    window = manifest["metrics"]["recent"]["window"]
    late = rebrand(bundle, tmp_path / "copies", "dart-late", "2030-01-01T00:00:00Z")
    changed = json.loads((late / "manifest.json").read_text())
    changed["training_window"]["valid_end"] = window[-1]  # as if fitted on the whole window
    write_manifest(late, changed)
    registry = LocalRegistry(tmp_path / "registry")
    registry.promote(registry.publish(late), "fitted late")
    _, _, reason = register(registry, bundle, request_small.store)
    assert f"fitted on days up to {window[-1]}" in reason and "in-sample" in reason


def test_preprocessing_is_fitted_on_the_training_split_only(trained):
    prepared, _, _, _, _ = trained
    pre = prepared.data.pre
    train = prepared.train.frame
    means = train.groupby("settlement_point")["dart"].agg(["sum", "count"])
    prior = train["dart"].mean()
    expected = (means["sum"] + pre.smoothing * prior) / (means["count"] + pre.smoothing)
    for point, value in expected.items():
        assert pre.encoding[point] == pytest.approx(value)


def test_splits_leave_a_gap_and_refuse_impossible_boundaries():
    days = [date(2024, 1, 1) + (date(2024, 1, 2) - date(2024, 1, 1)) * i for i in range(200)]
    split = plan_split(days, gap_days=10)
    assert (split.valid[0] - split.train[1]).days == 11 and (
        split.test[0] - split.valid[1]
    ).days == 11
    with pytest.raises(
        SplitError, match="is empty once the 40 days before the next split are left out"
    ):
        plan_split(days, train_end=date(2024, 5, 1), valid_end=date(2024, 5, 20), gap_days=40)
    with pytest.raises(SplitError, match="train end"):
        plan_split(days, train_end=date(2024, 6, 1), valid_end=date(2024, 5, 1))


def test_the_default_split_says_how_much_history_it_needs():
    """`ercot-dart run --retrain` splits by default: its error names the history needed and
    what this store has, not an option `run` does not take."""
    assert min_days((1.0, 0.0, 0.0), 7) is None  # all for training: no history is enough
    needed = min_days((0.8, 0.1, 0.1), 7)
    assert needed is not None
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(needed)]
    plan_split(days)  # enough
    with pytest.raises(SplitError) as caught:
        plan_split(days[:-1])
    assert f"the default split needs at least {needed} days of history with a 7-day gap" in str(
        caught.value
    )
    assert f"(this store has {needed - 1})" in str(caught.value)


def test_the_hyperparameter_search_stays_within_its_budget_and_keeps_the_best(request_small):
    from dataclasses import replace

    from ercot_dart.models.search import search

    prepared = prepare(replace(request_small, models=["lightgbm"]))
    ticks = iter(range(1000))

    def clock() -> float:  # every call advances a fake second: a trial "takes" 2 s
        return float(next(ticks))

    config = replace(request_small.config, max_rounds=40)
    model = search(
        "lightgbm", config, prepared.train, prepared.valid, budget_seconds=7.0, clock=clock
    )
    trials = model.info["search"]["trials"]
    assert len(trials) == 3  # at 2, 4 and 6 s; 1 s left then, less than the slowest trial
    assert trials[0]["num_leaves"] == config.num_leaves  # the default configuration first
    mae = float(np.mean(np.abs(model.predict(prepared.valid) - prepared.valid.y)))
    assert mae == pytest.approx(min(t["valid_mae"] for t in trials))


def test_the_model_config_refuses_an_unknown_lstm_loss_and_names_the_known_ones():
    assert ModelConfig().lstm_loss == "l1"
    with pytest.raises(ValueError, match="l1, smooth_l1, mse"):
        ModelConfig(lstm_loss="huber")
