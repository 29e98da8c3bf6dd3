"""Tasks of batch inference: fetch the champion bundle, predict one delivery day, stage the
predictions for publishing. Idempotent: rerun, each gives the same output for the same inputs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task

from ercot_dart.features.asof import AsOfRules
from ercot_dart.predict import Target, predict_target
from ercot_dart.publish.blob import open_blob_store, to_parquet_bytes
from ercot_dart.registry import open_registry
from ercot_dart.settings import get_settings
from inference.bundle import load_bundle
from tasks.retry import RETRIES


class NoChampionError(RuntimeError):
    """The registry holds no champion bundle: nothing to predict with."""


@task(**RETRIES)
def fetch_champion(registry_url: str | None, dest: Path) -> Path:
    """The champion bundle of the registry (default from settings), downloaded and verified
    (sha256 of every file) into ``dest``."""
    registry = open_registry(get_settings(), registry_url)
    champion = registry.champion()
    if champion is None:
        raise NoChampionError(
            f"no champion bundle in {registry.location}: train one first "
            "(`ercot-dart train`, or run the pipeline with retrain=true)"
        )
    return registry.fetch(champion, dest)


@task(task_run_name="predict-{target.delivery_day}")
def predict_day(
    stage_dir: Path, store: Path, bundle_dir: Path, target: Target, rules: AsOfRules
) -> pd.DataFrame:
    """Every settlement point and hour of the target day, all models, ensemble, P10 and P90."""
    bundle = load_bundle(bundle_dir)
    frame = predict_target(stage_dir, store, bundle, target, rules)
    get_run_logger().info(
        "%s: %d prediction rows, %d settlement points, bundle %s",
        target,
        len(frame),
        frame["settlement_point"].nunique(),
        bundle.bundle_id,
    )
    return frame


@task(**RETRIES)
def stage_predictions(key: str, frames: list[pd.DataFrame]) -> str:
    """Write the run's predictions where ``publish_predictions`` reads them (one parquet file)."""
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if frame.empty:
        raise ValueError("batch inference produced no predictions")
    open_blob_store(get_settings()).put(key, to_parquet_bytes(frame))
    return key
