"""What the route modules share: the service state of a request, JSON responses."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response

from inference.state import ServiceState

encode = msgspec.json.Encoder().encode


def service(request: Request[Any, Any, Any]) -> ServiceState:
    return request.app.state.service  # type: ignore[no-any-return]


def json_response(body: Any, status: int = 200) -> Response[bytes]:
    """A pre-encoded JSON response (msgspec; Litestar then has nothing left to serialise)."""
    return Response(encode(body), status_code=status, media_type="application/json")
