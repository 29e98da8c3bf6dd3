"""``POST /score``: decode, score (micro-batched for small requests), answer in the request's
form.

The route is a Litestar ASGI route handler: routing, the exception handlers (problem details)
and the request-context layer are Litestar's and the service's as for every route, but the body
is read from ``receive`` and the answer sent with ``send`` directly. Litestar's request and
response objects, useful elsewhere, cost a single-row request about as much CPU as scoring it
(``benchmarks/RESULTS.md``); the OpenAPI document of this route is the service's own
(:mod:`inference.openapi`).
"""

from __future__ import annotations

from collections.abc import Iterable

import anyio.to_thread
from litestar import asgi
from litestar.exceptions import HTTPException, MethodNotAllowedException
from litestar.types import Receive, Scope, Send

from inference import arrow
from inference.batching import INLINE_ROWS, Batcher, record
from inference.history import HistoryIndex, older_hours
from inference.pipeline import Scored, score_requests
from inference.problems import Kind, ProblemError
from inference.respond import answer
from inference.rows import Form
from inference.rows import Request as Decoded
from inference.state import ServiceState, Snapshot

INLINE_BODY_BYTES = 256 * 1024
"""JSON bodies up to this size are decoded on the event loop; larger ones in a worker thread."""
_CONTENT_TYPE = b"content-type"
_CONTENT_LENGTH = b"content-length"
_ARROW = arrow.MEDIA_TYPE.encode()
_ALLOWED = "POST, OPTIONS"  # Litestar's wording on its own routes: in a 405 ...
_OPTIONS = (b"allow", b"OPTIONS, POST")  # ... and in the answer to OPTIONS


@asgi("/score", copy_scope=False)
async def score(scope: Scope, receive: Receive, send: Send) -> None:
    """Score rows with every model of the loaded bundle; see docs/serving.md."""
    if scope["method"] != "POST":
        if scope["method"] == "OPTIONS":  # as Litestar answers it on the other routes
            await send({"type": "http.response.start", "status": 204, "headers": [_OPTIONS]})
            await send({"type": "http.response.body", "body": b""})
            return
        raise MethodNotAllowedException(headers={"allow": _ALLOWED})
    app_state = scope["litestar_app"].state
    state: ServiceState = app_state.service
    snap = state.current()  # this request's bundle, whatever reloads happen meanwhile
    content_type, length = _headers(scope["headers"])
    body = await read_body(receive, length, state.settings.serve_max_body_bytes)
    if body is None:
        return  # the client went away: nobody to answer
    content, media_type = await _answer(state, app_state.batcher, snap, body, content_type)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (_CONTENT_TYPE, media_type),
                (_CONTENT_LENGTH, str(len(content)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


async def read_body(receive: Receive, length: int | None, limit: int) -> bytes | None:
    """The whole request body; None when the client disconnected first.

    Raises:
        HTTPException: 413 when the body (or its announced length) is over ``limit`` bytes.
    """
    if length is not None and length > limit:
        raise HTTPException(status_code=413)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_JSON_ALIKE = (b"", b"application/json", b"text/json", b"text/plain")
_CURL_DEFAULT = b"application/x-www-form-urlencoded"  # curl --data without -H: the body is JSON


def _is_json(media_type: bytes) -> bool:
    """Whether a body of this media type is read as JSON: JSON's own types, none given, plain
    text, and curl's default; not another format (XML, CSV, multipart, ...)."""
    return media_type in _JSON_ALIKE or media_type == _CURL_DEFAULT or media_type.endswith(b"+json")


def _headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, int | None]:
    """(media type, lower case, without parameters; announced content length)."""
    media, length = b"", None
    for name, value in headers:
        if name == _CONTENT_TYPE:
            media = value.split(b";", 1)[0].strip().lower()
        elif name == _CONTENT_LENGTH and value.isdigit():
            length = int(value)
    return media, length


async def _answer(
    state: ServiceState, batcher: Batcher, snap: Snapshot, body: bytes, content_type: bytes
) -> tuple[bytes, bytes]:
    """(body, media type) of the answer: small JSON requests are decoded here and scored in the
    event loop's micro-batch; large ones, Arrow streams and reads of older store hours go to a
    worker thread."""
    form = Form.ARROW if content_type == _ARROW else Form.ROWS
    if form is Form.ROWS and not _is_json(content_type):
        raise ProblemError(
            415,
            Kind.UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            f"a /score body is JSON (application/json) or an Arrow stream ({arrow.MEDIA_TYPE}), "
            f"not {content_type.decode('latin-1')}",
        )
    if form is Form.ROWS and len(body) <= INLINE_BODY_BYTES:
        decoded = snap.codec.decode(body)
        small = len(decoded.rows) + len(decoded.history) <= INLINE_ROWS
        if small and older_hours(decoded.rows, snap.bundle.window, snap.history) is None:
            return _encoded(state, snap, await batcher.score(snap, decoded))
        return await anyio.to_thread.run_sync(_score_blocking, state, snap, decoded)
    return await anyio.to_thread.run_sync(_score_blocking, state, snap, body, form)


def _score_blocking(
    state: ServiceState, snap: Snapshot, body: bytes | Decoded, form: Form = Form.ROWS
) -> tuple[bytes, bytes]:
    """The whole request in a worker thread: large batches, and reads of older store hours."""
    decoded = snap.codec.decode(body, form) if isinstance(body, bytes) else body
    stores = [snap.history] if snap.history is not None else []
    older = older_hours(decoded.rows, snap.bundle.window, snap.history)
    if older is not None and state.store is not None:
        frame = state.store.hours(*older, sorted(set(decoded.rows.points)))
        stores.append(HistoryIndex.build(frame, snap.codec, snap.bundle.pre))
    seconds: dict[str, float] = {}
    scored = score_requests(snap, [decoded], stores, seconds)
    record(state.metrics, snap.bundle.models, scored, seconds)
    return _encoded(state, snap, scored[0])


def _encoded(state: ServiceState, snap: Snapshot, scored: Scored) -> tuple[bytes, bytes]:
    content, media_type = answer(snap.bundle, scored, state.labels)
    return content, media_type.encode()
