"""RFC 9457 problem details for every error the service returns, and the Litestar exception
handlers that produce them (``application/problem+json``, one ``type`` URI per kind).

Kinds are documented in docs/serving.md; ``errors`` lists invalid fields as JSON pointers
into the request body with the value sent.
"""

from __future__ import annotations

import logging
import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from msgspec import UNSET

from inference.logs import REQUEST_ID
from inference.schemas import FieldError, Problem

if TYPE_CHECKING:
    from inference.metrics import ServiceMetrics

log = logging.getLogger("inference.problems")
MEDIA_TYPE = "application/problem+json"
_encode = msgspec.json.Encoder().encode


class Kind(StrEnum):
    """Problem kinds; each is the last segment of its ``type`` URI."""

    MALFORMED_JSON = "malformed-json"
    MALFORMED_ARROW = "malformed-arrow"
    INVALID_REQUEST = "invalid-request"
    PAYLOAD_TOO_LARGE = "payload-too-large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"
    NOT_FOUND = "not-found"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    BAD_REQUEST = "bad-request"
    UNAUTHORIZED = "unauthorized"
    RELOAD_DISABLED = "reload-disabled"
    NOT_READY = "not-ready"
    BUNDLE_REJECTED = "bundle-rejected"
    REGISTRY_UNAVAILABLE = "registry-unavailable"
    INTERNAL = "internal-error"

    @property
    def uri(self) -> str:
        return f"tag:ercot-dart,2024:problem:{self.value}"


class ProblemError(Exception):
    """An error answered with a problem-details body."""

    def __init__(
        self,
        status: int,
        kind: Kind,
        title: str,
        detail: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.errors = errors or []
        self.headers = headers or {}


def malformed_json(reason: str) -> ProblemError:
    return ProblemError(
        400, Kind.MALFORMED_JSON, "Malformed JSON", f"the body is not JSON: {reason}"
    )


SHOWN_CHARS = 200
"""Longest value an error echoes; a longer string is cut, a longer array or object summarised."""


def shown_value(value: Any) -> Any:
    """A value sent as an error shows it: NaN and ±Infinity by name (JSON has no such numbers),
    long strings cut to :data:`SHOWN_CHARS`, large arrays and objects by their size."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return value[:SHOWN_CHARS] + "…"
    if isinstance(value, list | dict) and len(_encode(value)) > SHOWN_CHARS:
        what = "an array of" if isinstance(value, list) else "an object of"
        return f"({what} {len(value)} {'values' if isinstance(value, list) else 'members'})"
    return value


def _shown(error: FieldError) -> FieldError:
    """``error`` as the answer shows it: its value by :func:`shown_value`, a pointer longer than
    :data:`SHOWN_CHARS` (an absurdly long field name) cut."""
    pointer = error.pointer
    if len(pointer) > SHOWN_CHARS:
        pointer = pointer[:SHOWN_CHARS] + "…"
    if error.value is UNSET and pointer is error.pointer:
        return error
    value = error.value if error.value is UNSET else shown_value(error.value)
    return FieldError(pointer=pointer, detail=error.detail, value=value)


def too_deep() -> ProblemError:
    """A body nested deeper than the JSON readers go (a /score body nests a few levels)."""
    return ProblemError(
        400,
        Kind.MALFORMED_JSON,
        "Malformed JSON",
        "the body nests arrays or objects too deeply to read (a /score body nests a few levels)",
    )


def invalid_request(errors: list[FieldError], reason: str) -> ProblemError:
    """422 listing ``errors``; ``reason`` (msgspec's first complaint) when none was itemised.
    Each is shown as :func:`_shown` makes it."""
    if not errors:
        errors = [FieldError(pointer="", detail=reason)]
    errors = [_shown(e) for e in errors]
    shown = "; ".join(f"{e.pointer or '/'}: {e.detail}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return ProblemError(
        422,
        Kind.INVALID_REQUEST,
        "Invalid request body",
        f"{len(errors)} invalid field(s): {shown}{more}",
        errors,
    )


def not_ready(reason: str) -> ProblemError:
    return ProblemError(
        503, Kind.NOT_READY, "No bundle loaded", reason, headers={"Retry-After": "5"}
    )


def problem_response(request: Request[Any, Any, Any], exc: ProblemError) -> Response[bytes]:
    metrics: ServiceMetrics | None = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.errors.labels(exc.kind.value).inc()
    body = Problem(
        type=exc.kind.uri,
        title=exc.title,
        status=exc.status,
        detail=exc.detail,
        instance=request.url.path,
        request_id=REQUEST_ID.get(),
        errors=exc.errors,
    )
    return Response(
        _encode(body), status_code=exc.status, media_type=MEDIA_TYPE, headers=exc.headers
    )


_HTTP_KINDS = {
    400: (Kind.BAD_REQUEST, "Bad request"),
    404: (Kind.NOT_FOUND, "Not found"),
    405: (Kind.METHOD_NOT_ALLOWED, "Method not allowed"),
    413: (Kind.PAYLOAD_TOO_LARGE, "Request body too large"),
}


def handle_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[bytes]:
    return problem_response(request, exc)


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Litestar's own errors (unknown route, wrong method, body over the limit, ...)."""
    status = exc.status_code
    if status >= 500:
        return handle_internal(request, exc)
    kind, title = _HTTP_KINDS.get(status, (Kind.BAD_REQUEST, "Bad request"))
    detail = exc.detail
    if status == 413:
        limit = request.app.state.settings.serve_max_body_bytes
        detail = f"the body is larger than {limit} bytes (ERCOT_DART_SERVE_MAX_BODY_BYTES)"
    elif status == 404:
        detail = f"no route {request.url.path}; see /schema"
    elif status == 405:
        allowed = (exc.headers or {}).get("allow", "")
        detail = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return problem_response(request, ProblemError(status, kind, title, detail, headers=headers))


def handle_internal(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.exception("unhandled error: %s", exc)
    return problem_response(
        request,
        ProblemError(500, Kind.INTERNAL, "Internal error", "the service failed; see its logs"),
    )
