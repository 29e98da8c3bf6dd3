"""``POST /score``: decode, gather the LSTM windows, predict (batched), answer."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import Request, Response, post

from inference.batching import score_arrays
from inference.decode import Batch
from inference.history import HistoryIndex, older_hours, windows
from inference.respond import to_response
from inference.routes.common import service
from inference.state import ServiceState, Snapshot

INLINE_BODY_BYTES = 256 * 1024
"""Bodies up to this size are decoded on the event loop; larger ones in a worker thread."""


@post("/score", status_code=200)
async def score(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Score rows with every model of the loaded bundle; see docs/serving.md."""
    state = service(request)
    snap = state.current()  # this request's bundle, whatever reloads happen meanwhile
    body = await request.body()
    if len(body) <= INLINE_BODY_BYTES:
        batch = snap.codec.decode(body)
        if older_hours(batch.rows, snap.bundle.window, snap.history) is None:
            stores = [snap.history] if snap.history is not None else []
            z, index = windows(
                snap.bundle.pre, snap.bundle.window, batch.rows, batch.history, stores
            )
            columns = await request.app.state.batcher.score(
                snap.bundle, batch.rows.x, z, index, batch.rows.scale
            )
            return _answer(state, snap, batch, columns, index)
        return await anyio.to_thread.run_sync(_score_blocking, state, snap, batch)
    return await anyio.to_thread.run_sync(_score_blocking, state, snap, body)


def _score_blocking(state: ServiceState, snap: Snapshot, body: bytes | Batch) -> Response[bytes]:
    """The whole request in a worker thread: large batches, and reads of older store hours."""
    batch = snap.codec.decode(body) if isinstance(body, bytes) else body
    stores = [snap.history] if snap.history is not None else []
    older = older_hours(batch.rows, snap.bundle.window, snap.history)
    if older is not None and state.store is not None:
        frame = state.store.hours(*older, sorted(set(batch.rows.points)))
        stores.append(HistoryIndex.build(frame, snap.codec, snap.bundle.pre))
    z, index = windows(snap.bundle.pre, snap.bundle.window, batch.rows, batch.history, stores)
    state.metrics.batch_rows.observe(len(index))
    columns = score_arrays(snap.bundle, batch.rows.x, z, index, batch.rows.scale)
    return _answer(state, snap, batch, columns, index)


def _answer(
    state: ServiceState, snap: Snapshot, batch: Batch, columns: Any, index: Any
) -> Response[bytes]:
    missing = (index < 0).sum(axis=1)
    state.metrics.rows.inc(len(missing))
    have = columns["_have"]
    for name, scored in zip(snap.bundle.kinds, have, strict=True):
        if gaps := len(scored) - int(scored.sum()):
            state.metrics.rows_without.labels(name).inc(gaps)
    content = to_response(snap.bundle, batch.rows, columns, missing, state.labels)
    return Response(content, media_type="application/json")
