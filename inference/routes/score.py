"""``POST /score``: decode, score (micro-batched for small requests), answer in the request's
form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio.to_thread
from litestar import Request, post
from litestar.response.base import ASGIResponse

from inference import arrow
from inference.batching import INLINE_ROWS, record
from inference.history import HistoryIndex, older_hours
from inference.pipeline import Scored, score_requests
from inference.respond import answer
from inference.routes.common import service
from inference.rows import Form
from inference.rows import Request as Decoded
from inference.state import ServiceState, Snapshot

INLINE_BODY_BYTES = 256 * 1024
"""JSON bodies up to this size are decoded on the event loop; larger ones in a worker thread."""
_CONTENT_TYPE = b"content-type"
_ARROW = arrow.MEDIA_TYPE.encode()


@post("/score", status_code=200)
async def score(request: Request[Any, Any, Any]) -> ASGIResponse:
    """Score rows with every model of the loaded bundle; see docs/serving.md."""
    state = service(request)
    snap = state.current()  # this request's bundle, whatever reloads happen meanwhile
    body = await request.body()
    form = Form.ARROW if _is_arrow(request.scope["headers"]) else Form.ROWS
    if form is Form.ROWS and len(body) <= INLINE_BODY_BYTES:
        decoded = snap.codec.decode(body)
        small = len(decoded.rows) + len(decoded.history) <= INLINE_ROWS
        if small and older_hours(decoded.rows, snap.bundle.window, snap.history) is None:
            scored = await request.app.state.batcher.score(snap, decoded)
            return _response(state, snap, scored)
        return await anyio.to_thread.run_sync(_score_blocking, state, snap, decoded)
    return await anyio.to_thread.run_sync(_score_blocking, state, snap, body, form)


def _is_arrow(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == _CONTENT_TYPE:
            return value.split(b";", 1)[0].strip().lower() == _ARROW
    return False


def _score_blocking(
    state: ServiceState, snap: Snapshot, body: bytes | Decoded, form: Form = Form.ROWS
) -> ASGIResponse:
    """The whole request in a worker thread: large batches, and reads of older store hours."""
    decoded = snap.codec.decode(body, form) if isinstance(body, bytes) else body
    stores = [snap.history] if snap.history is not None else []
    older = older_hours(decoded.rows, snap.bundle.window, snap.history)
    if older is not None and state.store is not None:
        frame = state.store.hours(*older, sorted(set(decoded.rows.points)))
        stores.append(HistoryIndex.build(frame, snap.codec, snap.bundle.pre))
    scored = score_requests(snap, [decoded], stores)
    record(state.metrics, snap.bundle.models, scored)
    return _response(state, snap, scored[0])


def _response(state: ServiceState, snap: Snapshot, scored: Scored) -> ASGIResponse:
    """The answer as Litestar's low-level response (the body is already encoded)."""
    content, media_type = answer(snap.bundle, scored, state.labels)
    return ASGIResponse(body=content, media_type=media_type)
