"""Train, register and (maybe) promote a bundle, in one process: what ``ercot-dart train`` runs.

The Prefect flow ``train_models`` runs the same steps with the three fits as parallel tasks.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ercot_dart.features.store import read_features
from ercot_dart.models.base import DartModel
from ercot_dart.models.metrics import metrics
from ercot_dart.models.training import (
    TrainRequest,
    evaluate,
    export_bundle,
    fit,
    prepare,
    refit,
)
from ercot_dart.registry import Registry, should_promote


@dataclass
class TrainOutcome:
    """What a training run produced."""

    bundle_id: str
    bundle_dir: Path
    promoted: bool
    reason: str
    metrics: dict[str, Any]
    fitted_end: str | None = None
    """With a refit, the last day the deployed models were fitted on."""

    def summary(self) -> str:
        test = self.metrics["test"]
        ens, base = test["ensemble"], test["baseline_same_hour_median_7d"]
        verdict = "promoted to champion" if self.promoted else "kept as challenger"
        return (
            f"bundle {self.bundle_id}: test MAE {ens['mae']:.2f} $/MWh (7-day same-hour median "
            f"{base['mae']:.2f}), sign accuracy {ens['sign_accuracy']:.1%}; {verdict} ({self.reason})"
            + (
                f"; the deployed models were refitted on every day up to {self.fitted_end}"
                if self.fitted_end
                else ""
            )
        )


def ensemble_on_window(bundle_dir: Path, store: Path, window: list[str]) -> dict[str, float]:
    """A bundle's ensemble metrics on a window of delivery days (first, last; local), scored
    with onnxruntime exactly as the service would, on the store's labelled rows, by the models
    that were scored on held-out days (a refitted bundle's ``holdout_models``: its deployed
    refits have seen the window)."""
    from inference.bundle import load_bundle
    from inference.scoring import score

    bundle = load_bundle(bundle_dir, held_out=True)
    start = pd.Timestamp(window[0], tz="America/Chicago")
    end = pd.Timestamp(window[1], tz="America/Chicago") + pd.Timedelta(days=1)
    history = read_features(store, start=start - pd.Timedelta(days=2), end=end)
    rows = history[(history["interval_start_utc"] >= start) & history["dart"].notna()].reset_index(
        drop=True
    )
    scored = score(bundle, rows, history)
    return metrics(rows["dart"].to_numpy("float64"), scored["ensemble"].to_numpy("float64"))


def champion_on_window(
    registry: Registry, store: Path, window: list[str], scratch: Path
) -> dict[str, Any] | None:
    """The current champion's ensemble metrics on a window of delivery days, scored with
    onnxruntime exactly as the service would; None when there is no champion."""
    champion = registry.champion()
    if champion is None:
        return None
    folder = registry.fetch(champion, scratch)
    result = ensemble_on_window(folder, store, window)
    # the held-out models' training and validation (early stopping, calibration) end
    seen = registry.manifest(champion).get("training_window", {}).get("valid_end")
    return {
        "bundle_id": champion,
        "metrics": {"recent": {"window": window, "ensemble": result}},
        "fitted_until": seen,
    }


def register(
    registry: Registry, bundle_dir: Path, store: Path, metric: str = "mae"
) -> tuple[str, bool, str]:
    """Publish the bundle; promote it if it is not worse than the champion on its recent window,
    both scored the same way (onnxruntime, the service's code, the same rows)."""
    from ercot_dart.registry.bundle import verify_bundle

    manifest = verify_bundle(bundle_dir)
    bundle_id = registry.publish(bundle_dir)
    window = manifest["metrics"]["recent"]["window"]
    with tempfile.TemporaryDirectory() as scratch:
        champion = champion_on_window(registry, store, window, Path(scratch))
    candidate = manifest
    if champion is not None:
        # the manifest's recent metrics come from the native models: they differ from an
        # onnxruntime score by float noise (within the parity tolerance), enough to make the
        # champion itself, published again, look "worse" than itself
        scored = ensemble_on_window(bundle_dir, store, window)
        candidate = {"metrics": {"recent": {"window": window, "ensemble": scored}}}
    ok, reason = should_promote(candidate, champion, metric)
    seen = (champion or {}).get("fitted_until")
    if seen and str(seen) >= str(window[0]):
        reason += (
            f" (the champion was fitted on days up to {seen}, inside this window: its score is "
            "in-sample and flatters it)"
        )
    if ok:
        registry.promote(bundle_id, reason)
    return bundle_id, ok, reason


def train_and_register(
    request: TrainRequest, registry: Registry, bundles_dir: Path, metric: str = "mae"
) -> TrainOutcome:
    """Prepare → fit the models → evaluate → refit (when asked) → export with parity → publish →
    promote if not worse."""
    prepared = prepare(request)
    models: dict[str, DartModel] = {name: fit(name, prepared) for name in request.models}
    evaluation = evaluate(prepared, models)
    refits = {n: refit(prepared, m) for n, m in models.items()} if request.refit else None
    bundle_dir = export_bundle(prepared, models, evaluation, bundles_dir, refits)
    bundle_id, promoted, reason = register(registry, bundle_dir, request.store, metric)
    fitted_end = str(prepared.days.test[1]) if refits else None
    return TrainOutcome(bundle_id, bundle_dir, promoted, reason, evaluation.metrics, fitted_end)


def rows_needed(store: Path) -> int:
    """Labelled rows in the store (for a clear error before training on an empty store)."""
    frame = read_features(store, columns=["dart"])
    return int(np.isfinite(frame["dart"].to_numpy("float64")).sum())
