"""POST /admin/reload switches to the newly promoted champion atomically, under load, and
refuses a bundle that fails its checks while the old one keeps serving."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from litestar.testing import TestClient

from ercot_dart.registry import LocalRegistry
from inference.app import create_app
from inference.metrics import ServiceMetrics
from inference.scoring import predict
from inference.state import ServiceState
from tests.serving.conftest import (
    API_KEY,
    SCORED_FROM,
    LiveServer,
    bundle_features,
    env_of,
    rebrand,
    row_json,
    serve_settings,
    start_server,
    wait_ready,
)

KEY = {"X-API-Key": API_KEY}


@pytest.fixture
def live(registry, small_store, tmp_path) -> Iterator[LiveServer]:
    settings = serve_settings(
        registry, tmp_path, serve_feature_store=small_store, serve_log_level="WARNING"
    )
    yield from start_server(env_of(settings), tmp_path / "server.log")


@pytest.fixture
def bodies(store_frame, trained_bundle) -> list[dict[str, Any]]:
    """Single-row bodies and one of 48 rows (scored in a worker thread)."""
    features = bundle_features(trained_bundle)
    rows = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM]
    singles = [{"rows": [row_json(r, features)]} for _, r in rows.iloc[::50].head(6).iterrows()]
    return [*singles, {"rows": [row_json(r, features) for _, r in rows.head(100).iterrows()]}]


def _second_bundle(registry: LocalRegistry, trained_bundle, tmp_path, bundle_id: str) -> str:
    folder = rebrand(trained_bundle, tmp_path / "copies", bundle_id, "2030-01-01T00:00:00Z")
    return registry.publish(folder)


def test_reloads_under_load_fail_no_request_and_answer_with_the_old_or_the_new_bundle(
    live, registry, trained_bundle, tmp_path, bodies
):
    first = registry.champion()
    second = _second_bundle(registry, trained_bundle, tmp_path, "dart-second")
    stop = threading.Event()
    seen: Counter[str] = Counter()
    errors: list[str] = []

    def fire(worker: int) -> None:
        with live.client() as client:
            i = worker
            while not stop.is_set():
                try:
                    response = client.post("/score", json=bodies[i % len(bodies)])
                    body = response.json()
                    if response.status_code != 200:
                        errors.append(f"{response.status_code}: {response.text[:200]}")
                        continue
                    ids = {p["bundle_id"] for p in body["predictions"]} | {body["bundle_id"]}
                    if len(ids) != 1:
                        errors.append(f"one response, several bundles: {ids}")
                    seen[body["bundle_id"]] += 1
                except Exception as exc:  # a dropped connection is a failed request too
                    errors.append(repr(exc))
                i += 1

    workers = [threading.Thread(target=fire, args=(w,)) for w in range(4)]
    for w in workers:
        w.start()
    try:
        with live.client() as admin:
            time.sleep(0.5)
            for target in [second, first] * 3:
                registry.promote(target, "switch under load")
                before = sum(seen.values())
                reloaded = admin.post("/admin/reload", headers=KEY)
                assert reloaded.status_code == 200, reloaded.text
                assert reloaded.json()["bundle_id"] == target and reloaded.json()["changed"]
                while sum(seen.values()) < before + 20 and not errors:
                    time.sleep(0.01)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
    assert errors == []
    assert set(seen) == {first, second} and sum(seen.values()) >= 6 * 20


def test_a_tampered_bundle_is_refused_and_the_old_one_keeps_serving(
    live, registry, trained_bundle, tmp_path, bodies
):
    first = registry.champion()
    bad = _second_bundle(registry, trained_bundle, tmp_path, "dart-tampered")
    model = registry.root / "bundles" / bad / "lightgbm.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    registry.promote(bad, "a bundle altered after publication")
    with live.client() as client:
        refused = client.post("/admin/reload", headers=KEY)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"].endswith(":bundle-rejected") and "lightgbm.onnx" in problem["detail"]
        assert client.get("/ready").json()["bundle_id"] == first
        scored = client.post("/score", json=bodies[0])
        assert scored.status_code == 200 and scored.json()["bundle_id"] == first
        metrics = client.get("/metrics").text
        assert 'ercot_dart_bundle_reloads_total{outcome="rejected"} 1.0' in metrics
        assert f'ercot_dart_bundle_info{{bundle_id="{first}"' in metrics


def test_a_request_keeps_the_bundle_it_started_with(registry, trained_bundle, tmp_path, bodies):
    state = ServiceState(serve_settings(registry, tmp_path), ServiceMetrics())
    state.load_champion()
    held = state.current()  # what a request in flight holds
    registry.promote(_second_bundle(registry, trained_bundle, tmp_path, "dart-next"), "next")
    result = state.load_champion()
    assert result.changed and state.current().bundle.bundle_id == "dart-next"
    assert held.bundle.bundle_id == result.previous_bundle_id
    x = held.bundle.pre.tree_matrix(pd.DataFrame({"settlement_point": ["HB_NORTH"]}))
    x[0, 0] = 30.0  # one feature known (a row with none gets no prediction at all)
    preds = predict(held.bundle, x, held.bundle.pre.standardize(x), np.full((1, 24), -1))
    assert np.isfinite(preds["lightgbm"]).all()  # its sessions still score


def test_reloading_the_same_champion_changes_nothing(registry, tmp_path):
    with TestClient(create_app(serve_settings(registry, tmp_path))) as client:
        wait_ready(client.get)
        answer = client.post("/admin/reload", headers=KEY).json()
        assert answer["changed"] is False and answer["bundle_id"] == registry.champion()


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": API_KEY + "x"}])
def test_reload_needs_the_api_key(registry, tmp_path, headers):
    with TestClient(create_app(serve_settings(registry, tmp_path))) as client:
        wait_ready(client.get)
        response = client.post("/admin/reload", headers=headers)
        assert response.status_code == 401 and response.json()["type"].endswith(":unauthorized")
        assert response.headers["www-authenticate"].startswith("ApiKey")


def test_reload_is_disabled_without_a_configured_key(registry, tmp_path):
    settings = serve_settings(registry, tmp_path, serve_api_key="")
    with TestClient(create_app(settings)) as client:
        wait_ready(client.get)
        response = client.post("/admin/reload", headers={"X-API-Key": ""})
        assert (
            response.status_code == 403 and "ERCOT_DART_SERVE_API_KEY" in response.json()["detail"]
        )


def test_without_a_champion_the_service_is_alive_but_not_ready(tmp_path):
    registry = LocalRegistry(tmp_path / "empty-registry")
    with TestClient(create_app(serve_settings(registry, tmp_path))) as client:
        assert client.get("/health").status_code == 200
        deadline = time.monotonic() + 10
        while "no champion" not in (ready := client.get("/ready")).json()["detail"]:
            assert time.monotonic() < deadline, ready.text
            time.sleep(0.05)
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        assert client.post("/score", json={"rows": []}).status_code == 503
        assert client.get("/schema").status_code == 200


def test_every_worker_follows_a_promotion_without_being_told(registry, trained_bundle, tmp_path):
    settings = serve_settings(registry, tmp_path, serve_champion_poll_seconds=0.3)
    server = start_server(env_of(settings), tmp_path / "server.log", workers=2)
    live = next(server)

    def serving() -> set[str | None]:
        """The bundle of each of 20 answers on new connections (either worker may answer);
        None from a worker not ready yet."""
        answers = [httpx.get(live.url + "/ready") for _ in range(20)]
        return {a.json()["bundle_id"] if a.status_code == 200 else None for a in answers}

    def until(wanted: set[str | None], why: str) -> None:
        deadline = time.monotonic() + 30
        while (seen := serving()) != wanted:
            assert time.monotonic() < deadline, f"{why}: serving {seen}"
            time.sleep(0.2)

    try:
        first = wait_ready(lambda path: httpx.get(live.url + path))["bundle_id"]
        until({first}, "both workers up")  # the second may still be loading the bundle
        second = _second_bundle(registry, trained_bundle, tmp_path, "dart-promoted")
        registry.promote(second, "the daily run promoted it")
        until({second}, f"every worker on {second}")
    finally:
        server.close()


def test_a_polled_champion_that_fails_its_checks_is_refused_once(
    registry, trained_bundle, tmp_path
):
    settings = serve_settings(registry, tmp_path, serve_champion_poll_seconds=0.05)
    with TestClient(create_app(settings)) as client:
        first = wait_ready(client.get)["bundle_id"]
        bad = _second_bundle(registry, trained_bundle, tmp_path, "dart-tampered")
        model = registry.root / "bundles" / bad / "xgboost.onnx"
        model.write_bytes(model.read_bytes()[:-10])
        registry.promote(bad, "altered after publication")
        deadline = time.monotonic() + 10
        while 'reloads_total{outcome="rejected"} 1.0' not in client.get("/metrics").text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # ten more polls
        metrics = client.get("/metrics").text
        assert 'ercot_dart_bundle_reloads_total{outcome="rejected"} 1.0' in metrics
        assert 'outcome="unchanged"' not in metrics  # polls are not reloads
        assert client.get("/ready").json()["bundle_id"] == first
