"""Flow ``batch_inference``: the champion bundle scores every settlement point and hour of the
next delivery day whose DAM is still open (or a given day, or a backfill range), as of the
run's issue time; the predictions are staged in the blob store for ``publish_predictions``."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import (
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

from ercot_dart.predict import plan_targets, utc
from ercot_dart.publish.staging import staging_key
from ercot_dart.registry.bundle import verify_bundle
from ercot_dart.settings import get_settings
from tasks.inference import fetch_champion, predict_day, stage_predictions
from tasks.plots import plots_artifact


def run_issue_time() -> pd.Timestamp:
    """The issue time of the current flow run: its scheduled start, to the minute (the same on
    every retry of the run), or now outside a run."""
    from prefect.runtime import flow_run

    scheduled = flow_run.scheduled_start_time
    moment = pd.Timestamp(scheduled) if scheduled is not None else pd.Timestamp.now("UTC")
    return utc(moment).floor("min")


@flow(name="batch_inference", log_prints=True, persist_result=True)
def batch_inference(
    issue_time: datetime | None = None,
    delivery_date: date | None = None,
    backfill_start: date | None = None,
    backfill_end: date | None = None,
    registry: str | None = None,
    store: str | None = None,
    stage_dir: str | None = None,
) -> dict:
    """Predict with the champion bundle and stage the predictions.

    Args:
        issue_time: what the features are as of (default: this run's scheduled start).
        delivery_date: a given local delivery day instead of the next one still open.
        backfill_start, backfill_end: every day of this range (each as of its own issue time).
        registry, store, stage_dir: default from settings.

    Returns:
        ``staged`` (blob key of the predictions), ``issue_time_utc``, ``bundle_id``, ``days``, ``rows``.
    """
    settings = get_settings()
    log = get_run_logger()
    issue = utc(issue_time) if issue_time is not None else run_issue_time()
    rules = settings.asof_rules
    targets = plan_targets(issue, rules, delivery_date, backfill_start, backfill_end)
    log.info("issue time %s: predicting %s", issue, ", ".join(map(str, targets)))
    bundle_dir = fetch_champion(registry, settings.data_dir / "bundles")
    manifest = verify_bundle(bundle_dir)

    progress = create_progress_artifact(0.0, description="Delivery days predicted")
    futures = predict_day.map(
        unmapped(settings.stage_root),
        unmapped(settings.feature_store_dir if store is None else store),
        unmapped(bundle_dir),
        targets,
        unmapped(rules),
    )
    frames = []
    for done, future in enumerate(futures, start=1):
        frames.append(future.result())
        update_progress_artifact(progress, 100.0 * done / len(targets))
    staged = stage_predictions(staging_key(issue), frames)
    rows = sum(len(f) for f in frames)

    model_metrics_artifact(manifest)
    plots_artifact("dart-bundle-plots", bundle_dir, manifest["bundle_id"])
    return {
        "staged": staged,
        "issue_time_utc": issue.isoformat(),
        "bundle_id": manifest["bundle_id"],
        "days": [str(t.delivery_day) for t in targets],
        "targets": [str(t) for t in targets],  # each day as of its issue time
        "rows": rows,
    }


def model_metrics_artifact(manifest: dict) -> None:
    """The scoring bundle's test metrics (models, ensemble, baselines) as a table artifact."""
    test = manifest.get("metrics", {}).get("test", {})
    rows = [
        {"model": name, **{k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}}
        for name, m in test.items()
        if isinstance(m, dict)
    ]
    if rows:
        create_table_artifact(
            key="dart-bundle-metrics",
            table=rows,
            description=f"Test metrics of bundle {manifest['bundle_id']} ($/MWh)",
        )
