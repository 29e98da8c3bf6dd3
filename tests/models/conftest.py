"""A small feature store (five real hubs, spring to autumn 2024) and a model trained on it, once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.pipeline import update_features
from ercot_dart.models.base import ModelConfig
from ercot_dart.models.training import TrainRequest

QUICK = ModelConfig(
    threads=2, max_rounds=200, early_stopping=20, epochs=2, samples_per_epoch=3000, hidden=16
)


@pytest.fixture(scope="session")
def small_store(real_engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("model-store")
    update_features(
        str(real_engine.url),
        root / "stage",
        root / "features",
        AsOfRules(),
        start=date(2024, 3, 1),
        end=date(2024, 8, 31),
    )
    return root / "features"


@pytest.fixture(scope="session")
def request_small(small_store: Path) -> TrainRequest:
    return TrainRequest(
        store=small_store,
        train_end=date(2024, 6, 30),
        valid_end=date(2024, 7, 31),
        gap_days=7,
        recent_days=10,
        config=QUICK,
    )
