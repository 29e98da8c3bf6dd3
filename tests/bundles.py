"""Small model bundles for the registry tests: seeded dummy bytes stand in for ONNX models
(the registry never parses them)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ercot_dart.registry.bundle import write_manifest

MODELS = ("lightgbm", "xgboost", "lstm")


def make_bundle(
    parent: Path,
    bundle_id: str,
    created_at: str = "2024-11-01T06:00:00Z",
    seed: int = 0,
    mae: float = 8.0,
) -> Path:
    """A verified bundle folder ``parent/<bundle_id>``: three dummy models, metrics.json, manifest."""
    rng = random.Random(seed)
    folder = Path(parent) / bundle_id
    folder.mkdir(parents=True)
    for name in MODELS:
        (folder / f"{name}.onnx").write_bytes(rng.randbytes(2048 + rng.randrange(512)))
    metrics: dict[str, Any] = {
        "test": {"ensemble": {"mae": mae + 0.5, "rmse": 2 * mae}},
        "recent": {"window": ["2024-10-01", "2024-10-31"], "ensemble": {"mae": mae}},
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    write_manifest(
        folder,
        {
            "bundle_id": bundle_id,
            "created_at": created_at,
            "code_version": "0.1.0+test",
            "training_window": {
                "train": ["2024-01-01", "2024-08-31"],
                "test": ["2024-09-01", "2024-10-31"],
            },
            "features": [{"name": "dam_spp_lag_24", "dtype": "float32"}],
            "preprocessing": {"columns": ["dam_spp_lag_24"]},
            "models": {name: {"file": f"{name}.onnx", "kind": "tabular"} for name in MODELS},
            "metrics": metrics,
            "parity": {name: {"max_abs_diff": 0.0} for name in MODELS},
            "libraries": {"onnx": "1.16.0"},
        },
    )
    return folder
