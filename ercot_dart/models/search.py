"""An optional, time-bounded random search over a few key hyper-parameters, scored on the
validation split (MAE). Off by default (and in the demo): ``--search-seconds N`` turns it on.

Trials are drawn from a small grid per model with a seeded generator; a new trial starts only
if the time left covers the slowest trial so far, so the budget is a bound, not a hint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from ercot_dart.models.base import DartModel, ModelConfig, model_class
from ercot_dart.models.data import Split

SPACE: dict[str, dict[str, list[Any]]] = {
    "lightgbm": {
        "num_leaves": [15, 31, 63, 127],
        "learning_rate": [0.02, 0.05, 0.1],
        "min_child_samples": [50, 200, 500],
    },
    "xgboost": {
        "max_depth": [4, 6, 8, 10],
        "learning_rate": [0.02, 0.05, 0.1],
        "min_child_samples": [50, 200, 500],
    },
    "lstm": {"hidden": [16, 32, 64], "samples_per_epoch": [30_000, 60_000]},
}


def search(
    name: str,
    config: ModelConfig,
    train: Split,
    valid: Split,
    budget_seconds: float,
    clock: Callable[[], float] = time.perf_counter,
) -> DartModel:
    """The best of the trials that fit in ``budget_seconds`` (the default configuration first),
    with the trial log in ``model.info["search"]``; ``clock`` is injectable for tests."""
    rng = np.random.default_rng(config.seed)
    space = SPACE.get(name, {})
    started = clock()
    trials: list[dict[str, Any]] = []
    best: tuple[float, DartModel] | None = None
    slowest = 0.0
    candidate = config
    while True:
        t0 = clock()
        model = model_class(name)(candidate)
        model.fit(train, valid)
        mae = float(np.mean(np.abs(model.predict(valid) - valid.y)))
        took = clock() - t0
        slowest = max(slowest, took)
        trials.append(
            {
                **{k: getattr(candidate, k) for k in space},
                "valid_mae": mae,
                "seconds": round(took, 1),
            }
        )
        if best is None or mae < best[0]:
            best = (mae, model)
        left = budget_seconds - (clock() - started)
        if not space or left < slowest:
            break
        candidate = replace(config, **{k: v[rng.integers(len(v))] for k, v in space.items()})
    model = best[1]
    model.info = {**model.info, "search": {"budget_seconds": budget_seconds, "trials": trials}}
    return model
