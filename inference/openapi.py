"""The OpenAPI 3.1 document of the service, generated from the msgspec Structs that decode and
encode its bodies. ``POST /score``'s request schema is the loaded bundle's own: its features
(all required, numbers within float32 range or null) and its settlement points (an enum), so
the document says exactly what the service accepts; it changes when a reload changes them.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ercot_dart.settings import Settings
from inference.arrow import MEDIA_TYPE as ARROW_MEDIA
from inference.schemas import (
    ColumnarScoreResponse,
    Health,
    ModelInfo,
    Problem,
    Ready,
    ReloadResult,
    ScoreRequest,
    ScoreResponse,
)

REF = "#/components/schemas/{name}"
ARROW_BODY = (
    "An Apache Arrow IPC stream of one table, one row per row: the fields of a row as columns "
    "(settlement_point string; interval_start_utc timestamp with a time zone; delivery_date "
    "date32, hour_ending integer, dst_flag string; issue_time_utc timestamp with a time zone), "
    "one number column per feature and an optional boolean history column; the answer is an "
    "Arrow stream too (see docs/serving.md)."
)
PROBLEM_MEDIA = "application/problem+json"


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problems(problem: dict[str, Any], *codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "problem details (RFC 9457)",
            "content": {PROBLEM_MEDIA: {"schema": problem}},
        }
        for code in codes
    }


def document(
    settings: Settings, request_type: type | None, points: list[str] | None
) -> dict[str, Any]:
    """The OpenAPI document; ``request_type``/``points`` from the loaded bundle, if any."""
    types = [
        request_type or ScoreRequest,
        ScoreResponse,
        ColumnarScoreResponse,
        Health,
        Ready,
        ModelInfo,
        ReloadResult,
        Problem,
    ]
    refs, components = msgspec.json.schema_components(types, ref_template=REF)
    request, response, columnar, health, ready, info, reloaded, problem = refs
    if points is not None and "Row" in components:
        components["Row"]["properties"]["settlement_point"]["enum"] = points
        components["Columns"]["properties"]["settlement_point"]["items"]["enum"] = points
    arrow = {"type": "string", "format": "binary", "description": ARROW_BODY}
    common = _problems(problem, 404, 405)
    paths = {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Liveness",
                "responses": {"200": _ok(health, "alive"), **common},
            }
        },
        "/ready": {
            "get": {
                "operationId": "ready",
                "summary": "Readiness: a bundle is loaded",
                "responses": {"200": _ok(ready, "ready"), **_problems(problem, 503), **common},
            }
        },
        "/model/info": {
            "get": {
                "operationId": "modelInfo",
                "summary": "The loaded bundle",
                "responses": {"200": _ok(info, "the bundle"), **_problems(problem, 503), **common},
            }
        },
        "/score": {
            "post": {
                "operationId": "score",
                "summary": "Predict DART ($/MWh) with each model, the ensemble, P10 and P90",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": request},
                        ARROW_MEDIA: {"schema": arrow},
                    },
                },
                "responses": {
                    "200": {
                        "description": "one prediction per row, in order, in the request's form",
                        "content": {
                            "application/json": {"schema": {"anyOf": [response, columnar]}},
                            ARROW_MEDIA: {"schema": arrow},
                        },
                    },
                    **_problems(problem, 400, 413, 415, 422, 503),
                    **common,
                },
            }
        },
        "/admin/reload": {
            "post": {
                "operationId": "reload",
                "summary": "Switch to the registry's champion bundle",
                "security": [{"ApiKey": []}],
                "responses": {
                    "200": _ok(reloaded, "the bundle now served"),
                    **_problems(problem, 401, 403, 422, 503),
                    **common,
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "text exposition format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **common,
                },
            }
        },
        "/schema": {
            "get": {
                "operationId": "schema",
                "summary": "This document",
                "responses": {"200": _ok({"type": "object"}, "OpenAPI 3.1"), **common},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ercot-dart scoring service",
            "version": "1",
            "description": f"DART spread predictions; at most {settings.serve_max_rows} rows per request, bodies up to {settings.serve_max_body_bytes} bytes.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        },
    }
