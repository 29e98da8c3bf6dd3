"""Liveness, readiness and what is being served."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, route

from inference.routes.common import json_response, service
from inference.schemas import Health, ModelInfo, ModelSpec, Ready


@route("/health", http_method=["GET", "HEAD"], sync_to_thread=False)  # HEAD: load balancers
def health() -> Response[bytes]:
    """Alive: the process answers (whether or not a bundle is loaded)."""
    return json_response(Health(status="alive"))


@route("/ready", http_method=["GET", "HEAD"], sync_to_thread=False)
def ready(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Ready when a bundle is loaded; 503 problem details otherwise."""
    snap = service(request).current()
    return json_response(
        Ready(status="ready", bundle_id=snap.bundle.bundle_id, loaded_at=snap.loaded_at)
    )


@get("/model/info", sync_to_thread=False)
def model_info(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The loaded bundle: id, creation time, training window, features, models, metrics."""
    state = service(request)
    snap = state.current()
    manifest = snap.bundle.manifest
    files = manifest["files"]
    return json_response(
        ModelInfo(
            bundle_id=snap.bundle.bundle_id,
            created_at=str(manifest["created_at"]),
            code_version=str(manifest.get("code_version", "")),
            loaded_at=snap.loaded_at,
            training_window=manifest["training_window"],
            window=snap.bundle.window,
            features=snap.codec.features,
            settlement_points=snap.codec.points,
            models={
                name: ModelSpec(file=spec["file"], kind=spec["kind"], sha256=files[spec["file"]])
                for name, spec in manifest["models"].items()
            },
            metrics=manifest["metrics"],
            libraries=manifest.get("libraries", {}),
            history_source=(
                f"request history, then the feature store {state.settings.serve_feature_store}"
                if state.store
                else "request history only (no feature store configured)"
            ),
        )
    )
