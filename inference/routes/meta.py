"""The OpenAPI document and the Prometheus metrics."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from inference.metrics import CONTENT_TYPE
from inference.openapi import document
from inference.routes.common import encode, service


@get(["/schema", "/schema/openapi.json"], sync_to_thread=False)
def schema(request: Request[Any, Any, Any]) -> Response[bytes]:
    """OpenAPI 3.1, with the loaded bundle's request schema."""
    state = service(request)
    snap = state.snapshot
    key = snap.codec if snap else None
    cached = state.openapi_cache
    if cached is None or cached[0] is not key:
        doc = document(
            state.settings,
            snap.codec.request_type if snap else None,
            snap.codec.points if snap else None,
        )
        cached = state.openapi_cache = (key, encode(doc))
    return Response(cached[1], media_type="application/json")


@get("/metrics", sync_to_thread=False)
def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text format."""
    return Response(service(request).metrics.render(), media_type=CONTENT_TYPE)
