"""Tasks of model training: prepare the splits, fit one model, evaluate, export, register."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from ercot_dart.models.base import DartModel
from ercot_dart.models.pipeline import register
from ercot_dart.models.training import (
    Evaluation,
    Prepared,
    TrainRequest,
    evaluate,
    export_bundle,
    fit,
    prepare,
    refit,
)
from ercot_dart.registry import Registry
from tasks.retry import RETRIES


@task(cache_policy=NO_CACHE)
def prepare_training(request: TrainRequest) -> Prepared:
    """Read the labelled rows, split them by time, fit the preprocessing on train."""
    prepared = prepare(request)
    get_run_logger().info(
        "train %s, valid %s, test %s rows; %d model columns",
        len(prepared.train),
        len(prepared.valid),
        len(prepared.test),
        len(prepared.data.pre.columns),
    )
    return prepared


@task(task_run_name="fit-{name}", cache_policy=NO_CACHE)
def fit_model(name: str, prepared: Prepared) -> DartModel:
    """Train one model (the three run as parallel tasks)."""
    return fit(name, prepared)


@task(task_run_name="refit-{name}", cache_policy=NO_CACHE)
def refit_model(name: str, prepared: Prepared, model: DartModel) -> DartModel:
    """The held-out fit's recipe on every labelled day up to the last (what the bundle deploys)."""
    refitted = refit(prepared, model)
    get_run_logger().info(
        "%s refitted on %d rows for %d rounds", name, refitted.info["rows"], refitted.rounds
    )
    return refitted


@task(cache_policy=NO_CACHE)
def evaluate_models(prepared: Prepared, models: dict[str, DartModel]) -> Evaluation:
    """Calibrate intervals on valid; metrics of models, ensemble and baselines on test."""
    evaluation = evaluate(prepared, models)
    publish_metrics_artifact(evaluation.metrics)
    return evaluation


@task(cache_policy=NO_CACHE)
def export_models(
    prepared: Prepared,
    models: dict[str, DartModel],
    evaluation: Evaluation,
    out_dir: Path,
    refits: dict[str, DartModel] | None = None,
) -> Path:
    """ONNX export of each model (and refit), parity on the whole test split, manifest and plots
    (shown by :func:`tasks.plots.plots_artifact` once the bundle is registered)."""
    bundle = export_bundle(prepared, models, evaluation, out_dir, refits)
    return bundle


@task(cache_policy=NO_CACHE, **RETRIES)
def register_bundle(
    registry: Registry, bundle_dir: Path, store: Path, metric: str
) -> tuple[str, bool, str]:
    """Publish the bundle; promote it if not worse than the champion on its recent window."""
    bundle_id, promoted, reason = register(registry, bundle_dir, store, metric)
    get_run_logger().info(
        "%s %s: %s", bundle_id, "promoted" if promoted else "not promoted", reason
    )
    return bundle_id, promoted, reason


def publish_metrics_artifact(metrics: dict[str, Any]) -> None:
    """The test metrics of every model and baseline as a Prefect table artifact."""
    rows = [
        {
            "model": name,
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()},
        }
        for name, values in metrics["test"].items()
    ]
    create_table_artifact(
        key="dart-model-metrics", table=rows, description="Test-split metrics ($/MWh)"
    )
