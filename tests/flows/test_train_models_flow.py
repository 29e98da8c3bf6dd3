"""The ``train_models`` flow on a real Prefect API: parallel fits, a registered bundle, and the
metrics table and plot links left as artifacts."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from ercot_dart.registry import LocalRegistry
from ercot_dart.settings import get_settings
from flows.train_models import train_models


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ERCOT_DART_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


async def artifacts(key: str) -> list:
    async with get_client() as client:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )


def test_train_models_registers_a_bundle_and_leaves_artifacts(prefect_api, small_store, data_dir):
    result = train_models(
        train_end=date(2024, 6, 30),
        valid_end=date(2024, 7, 31),
        gap_days=7,
        models=["lightgbm", "xgboost"],
        store=str(small_store),
        quick=True,
        refit=True,
    )
    registry = LocalRegistry(data_dir / "registry")
    assert result["promoted"] and registry.champion() == result["bundle_id"]
    # the deployed models are the refits on every day up to the test end, the held-out fits
    # travel beside them
    manifest = registry.manifest(result["bundle_id"])
    window = manifest["training_window"]
    assert window["fitted_end"] == window["test_end"] == manifest["refit"]["days"][1]
    assert set(manifest["holdout_models"]) == set(manifest["models"]) == {"lightgbm", "xgboost"}
    table = asyncio.run(artifacts("dart-model-metrics"))
    assert table and "baseline_same_hour_median_7d" in table[0].data
    plots = asyncio.run(artifacts("dart-training-plots"))
    published = get_settings().blob_root / "plots" / result["bundle_id"]
    for name in ("predicted_vs_realized.png", "error_by_hour.png"):
        png = (published / name).read_bytes()
        assert (
            png.startswith(b"\x89PNG")
            and png
            == (data_dir / "registry").joinpath("bundles", result["bundle_id"], name).read_bytes()
        )
    newest = max(plots, key=lambda a: a.created)
    assert f"![MAE by hour ending (test split)]({(published / 'error_by_hour.png').as_uri()})" in (
        newest.data
    )
