"""Flow ``train_models``: the three models train in parallel (one task each), then evaluation
(beside, with ``refit``, their refits on every day up to the last, in parallel again), ONNX
export with parity, registration and promotion."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow

from ercot_dart.models.base import ModelConfig
from ercot_dart.models.training import MODEL_NAMES, TrainRequest
from ercot_dart.registry import open_registry
from ercot_dart.settings import get_settings
from tasks.plots import plots_artifact
from tasks.training import (
    evaluate_models,
    export_models,
    fit_model,
    prepare_training,
    refit_model,
    register_bundle,
)


@flow(name="train_models", log_prints=True)
def train_models(
    train_end: date | None = None,
    valid_end: date | None = None,
    test_end: date | None = None,
    gap_days: int | None = None,
    models: list[str] | None = None,
    store: str | None = None,
    registry: str | None = None,
    quick: bool = False,
    refit: bool | None = None,
) -> dict:
    """Train, evaluate, export and register a bundle; returns its id, whether it was promoted and why.

    Args:
        train_end, valid_end, test_end: split boundaries (default 80/10/10).
        gap_days: days left out between splits (default 7).
        models: which models (default all three).
        store, registry: feature store folder and registry location (default from settings).
        quick: small LSTM and fewer boosting rounds (demo and tests).
        refit: deploy each model refitted on every labelled day up to the last, for the rounds
            its held-out fit chose (the held-out fits stay in the bundle: its metrics are
            theirs); false deploys the held-out fits; default ERCOT_DART_TRAIN_REFIT (false).
    """
    settings = get_settings()
    refit = settings.train_refit if refit is None else refit
    config = ModelConfig(threads=settings.train_threads)
    if quick:
        config = ModelConfig(
            threads=settings.train_threads,
            max_rounds=300,
            early_stopping=20,
            epochs=2,
            samples_per_epoch=4000,
            hidden=16,
        )
    request = TrainRequest(
        store=Path(store) if store else settings.feature_store_dir,
        train_end=train_end,
        valid_end=valid_end,
        test_end=test_end,
        gap_days=gap_days,
        models=models or list(MODEL_NAMES),
        config=config,
        refit=refit,
    )
    prepared = prepare_training(request)
    futures = {name: fit_model.submit(name, prepared) for name in request.models}
    fitted = {name: f.result() for name, f in futures.items()}
    refitting = {n: refit_model.submit(n, prepared, m) for n, m in fitted.items()} if refit else {}
    evaluation = evaluate_models(prepared, fitted)
    refits = {name: f.result() for name, f in refitting.items()} or None
    bundle = export_models(prepared, fitted, evaluation, settings.data_dir / "bundles", refits)
    bundle_id, promoted, reason = register_bundle(
        open_registry(settings, registry), bundle, request.store, settings.promotion_metric
    )
    plots_artifact("dart-training-plots", bundle, bundle_id)
    return {
        "bundle_id": bundle_id,
        "promoted": promoted,
        "reason": reason,
        "bundle_dir": str(bundle),
    }
