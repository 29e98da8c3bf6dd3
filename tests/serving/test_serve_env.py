"""The ``serve`` extra alone runs the service: a fresh venv with ``pip install '.[serve]'`` (a
real install, dependencies resolved) has no torch, LightGBM, XGBoost or Prefect, imports the
app, serves a bundle and scores with the numbers of the training environment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ercot_dart.registry import LocalRegistry
from inference.bundle import load_bundle
from inference.scoring import score
from tests.serving.conftest import (
    REPO,
    SCORED_FROM,
    bundle_features,
    env_of,
    row_json,
    serve_settings,
    start_server,
)

HEAVY = ["torch", "lightgbm", "xgboost", "prefect"]
PROBE = f"""
import importlib.util, json, sys
import inference.app
from inference.app import create_app
heavy = {HEAVY!r}
print(json.dumps({{
    "app": inference.app.__file__,
    "absent": {{m: importlib.util.find_spec(m) is None for m in heavy}},
    "loaded": sorted(m for m in heavy if m in sys.modules),
}}))
"""


@pytest.fixture(scope="module")
def serve_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding the project with its ``serve`` extra and nothing else."""
    venv = tmp_path_factory.mktemp("serve-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    started = time.monotonic()
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile",
         "--disable-pip-version-check", f"{REPO}[serve]"],
        check=True, cwd=venv.parent, timeout=600,
    )  # fmt: skip
    print(f"pip install '.[serve]': {time.monotonic() - started:.0f} s")
    return venv


def test_the_serve_extra_has_no_training_stack_and_imports_the_app(serve_venv):
    out = subprocess.run(
        [str(serve_venv / "bin" / "python"), "-c", PROBE],
        check=True, capture_output=True, text=True, cwd=serve_venv.parent,
    )  # fmt: skip
    probe = json.loads(out.stdout)
    assert probe["app"].startswith(str(serve_venv))  # the installed copy, not the checkout
    assert probe["absent"] == {m: True for m in HEAVY}
    assert probe["loaded"] == []


def test_the_serve_environment_scores_like_the_training_environment(
    serve_venv, trained_bundle, small_store, store_frame, tmp_path
):
    registry = LocalRegistry(tmp_path / "registry")
    registry.promote(registry.publish(trained_bundle), "serve-env test")
    settings = serve_settings(registry, tmp_path, serve_feature_store=small_store)
    features = bundle_features(trained_bundle)
    rows = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM].iloc[::11].head(60)
    rows = rows.reset_index(drop=True)
    expected = score(load_bundle(trained_bundle), rows, store_frame)  # the training venv
    server = start_server(
        env_of(settings), tmp_path / "server.log", python=str(serve_venv / "bin" / "python"),
        cwd=serve_venv.parent,
    )  # fmt: skip
    live = next(server)
    try:
        with live.client() as client:
            body = {"rows": [row_json(r, features) for _, r in rows.iterrows()]}
            response = client.post("/score", json=body)
    finally:
        server.close()
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    for name in ("lightgbm", "xgboost", "lstm"):
        got = np.array([p["models"][name]["prediction"] for p in predictions], "float64")
        assert np.abs(got - expected[name].to_numpy()).max() <= 1e-6
    got = np.array([p["ensemble"]["p90"] for p in predictions], "float64")
    assert np.abs(got - expected["ensemble_p90"].to_numpy()).max() <= 1e-6
