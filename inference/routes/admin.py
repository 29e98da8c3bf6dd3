"""``POST /admin/reload``: switch to the registry's current champion, atomically."""

from __future__ import annotations

import hmac
from typing import Any

import anyio.to_thread
from litestar import Request, Response, post

from inference.problems import Kind, ProblemError
from inference.routes.common import json_response, service

API_KEY_HEADER = "x-api-key"


def check_api_key(request: Request[Any, Any, Any]) -> None:
    """401 unless the request carries the configured key (constant-time comparison)."""
    expected = service(request).settings.serve_api_key
    if not expected:
        raise ProblemError(
            403,
            Kind.RELOAD_DISABLED,
            "Reload disabled",
            "no API key is configured (ERCOT_DART_SERVE_API_KEY): reloading is disabled",
        )
    given = request.headers.get(API_KEY_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8")):
        raise ProblemError(
            401,
            Kind.UNAUTHORIZED,
            "Unauthorized",
            "missing or wrong X-API-Key header",
            headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'},
        )


@post("/admin/reload", status_code=200)
async def reload(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Load the champion now in the registry; requests in flight finish on the old bundle.

    A bundle failing its checks is refused (422 naming the file) and the old one keeps serving.
    """
    check_api_key(request)
    result = await anyio.to_thread.run_sync(service(request).load_champion)
    return json_response(result)
