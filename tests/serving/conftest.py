"""Fixtures of the scoring-service tests: a bundle trained on the five real hubs, a local
registry with it promoted, request bodies made from the feature store, and live servers.

The environment the service reads (``ERCOT_DART_*``) is passed as an explicit ``Settings``
object or, for a live server, as the child process's environment: nothing global is changed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow as pa
import pytest

from ercot_dart.features.store import read_features
from ercot_dart.registry import LocalRegistry, write_manifest
from ercot_dart.registry.bundle import MANIFEST
from ercot_dart.settings import Settings

REPO = Path(__file__).resolve().parents[2]
ARROW = "application/vnd.apache.arrow.stream"
API_KEY = "test-key-0123456789"
SCORED_FROM = pd.Timestamp("2024-08-25T05:00:00Z")  # rows scored in the tests: the last week


@pytest.fixture(scope="session")
def trained_bundle(request_small, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle of LightGBM, XGBoost and the LSTM trained on the small store (quick config)."""
    from ercot_dart.models.training import evaluate, export_bundle, fit, prepare

    prepared = prepare(request_small)
    models = {name: fit(name, prepared) for name in ("lightgbm", "xgboost", "lstm")}
    evaluation = evaluate(prepared, models)
    return export_bundle(prepared, models, evaluation, tmp_path_factory.mktemp("bundles"))


def rebrand(bundle: Path, parent: Path, bundle_id: str, created_at: str) -> Path:
    """A copy of ``bundle`` published under another id (same models): a second champion."""
    folder = parent / bundle_id
    shutil.copytree(bundle, folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest.update(bundle_id=bundle_id, created_at=created_at)
    write_manifest(folder, manifest)
    return folder


@pytest.fixture
def registry(trained_bundle: Path, tmp_path: Path) -> LocalRegistry:
    """A fresh local registry holding the trained bundle as its champion."""
    reg = LocalRegistry(tmp_path / "registry")
    reg.promote(reg.publish(trained_bundle), "the test bundle")
    return reg


def serve_settings(registry: LocalRegistry, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "registry_dir": registry.root,
        "serve_cache_dir": tmp_path / "cache",
        "serve_api_key": API_KEY,
        "serve_champion_poll_seconds": 0,  # switches on /admin/reload only, unless a test says
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_client(registry: LocalRegistry, tmp_path: Path) -> Iterator[Any]:
    """Test clients of apps made with these setting overrides (ready when returned)."""
    from litestar.testing import TestClient

    from inference.app import create_app

    clients = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(create_app(serve_settings(registry, tmp_path, **overrides)))
        client.__enter__()
        clients.append(client)
        wait_ready(client.get)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def wait_ready(get: Any, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GET /ready until 200; the body."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = get("/ready")
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the service did not become ready")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def store_frame(small_store: Path) -> pd.DataFrame:
    """The small store's last ten days: rows to score and their history."""
    return read_features(small_store, start=SCORED_FROM - pd.Timedelta(days=3))


def row_json(row: pd.Series, features: list[str]) -> dict[str, Any]:
    """A feature-store row as a /score row (UTC form)."""
    return {
        "settlement_point": row["settlement_point"],
        "interval_start_utc": row["interval_start_utc"].isoformat().replace("+00:00", "Z"),
        "features": {f: (None if pd.isna(row[f]) else float(row[f])) for f in features},
    }


def columns_json(rows: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    """Feature-store rows as /score columns (UTC form)."""
    return {
        "settlement_point": rows["settlement_point"].tolist(),
        "interval_start_utc": [
            t.isoformat().replace("+00:00", "Z") for t in rows["interval_start_utc"]
        ],
        "features": {f: [None if pd.isna(v) else float(v) for v in rows[f]] for f in features},
    }


def arrow_body(
    rows: pd.DataFrame,
    features: list[str],
    history: pd.DataFrame | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """Feature-store rows (and history rows) as an Arrow IPC stream /score body; ``extra``
    columns (arrays) are added or replace the built ones."""
    both = rows if history is None else pd.concat([rows, history], ignore_index=True)
    columns: dict[str, Any] = {
        "settlement_point": pa.array(both["settlement_point"].astype(str)),
        "interval_start_utc": pa.array(both["interval_start_utc"], pa.timestamp("us", tz="UTC")),
        "features": pa.StructArray.from_arrays(
            [pa.array(both[f].to_numpy("float64"), from_pandas=True) for f in features],
            names=features,
        ),
    }
    if history is not None:
        columns["history"] = pa.array([False] * len(rows) + [True] * len(history))
    columns.update(extra or {})
    table = pa.table(columns)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def bundle_features(bundle: Path) -> list[str]:
    return json.loads((bundle / MANIFEST).read_text())["preprocessing"]["features"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def start_server(
    settings_env: dict[str, str],
    log: Path,
    python: str = sys.executable,
    cwd: Path = REPO,
    workers: int = 1,
) -> Iterator[LiveServer]:
    """uvicorn (one worker, or ``workers``) on 127.0.0.1 and a free port, until the generator is
    closed."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERCOT_DART_")}
    env.update(settings_env)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [python, "-m", "uvicorn", "--factory", "inference.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log"],
            stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env,
        )  # fmt: skip
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        with server.client() as client:
            wait_ready(client.get, timeout=120)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def env_of(settings: Settings) -> dict[str, str]:
    """``ERCOT_DART_*`` variables that make a child process read these settings."""
    out = {}
    for name in ("data_dir", "registry_dir", "serve_cache_dir", "serve_api_key",
                 "serve_feature_store", "serve_max_rows", "serve_log_level",
                 "serve_champion_poll_seconds"):  # fmt: skip
        value = getattr(settings, name)
        if value is not None:
            out[f"ERCOT_DART_{name.upper()}"] = str(value)
    return out
