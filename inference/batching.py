"""Micro-batching: small requests that are ready in the same event-loop turn are scored
together, on the event loop (no thread hand-off), with one onnxruntime call per model.

A single-row LSTM call costs about a third of an eight-row one (the per-call overhead
dominates), and the numpy work around the models is paid once per batch instead of once per
request. Requests are grouped by snapshot: during a reload, requests holding the old bundle are
scored with it. Large requests skip the queue and run in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from inference.metrics import ServiceMetrics
from inference.pipeline import Scored, score_requests
from inference.rows import Request
from inference.state import Snapshot

INLINE_ROWS = 64
"""Requests up to this many rows (history included) are batched on the event loop."""


def record(
    metrics: ServiceMetrics, models: list[str], batch: list[Scored], seconds: dict[str, float]
) -> None:
    """Rows per onnxruntime call, each model's time in onnxruntime, rows scored, rows a model
    made no prediction for."""
    rows = sum(len(s.missing) for s in batch)
    metrics.batch_rows.observe(rows)
    for name, spent in seconds.items():
        metrics.model_seconds.labels(name).observe(spent)
    metrics.rows.inc(rows)
    have = (
        np.concatenate([s.bands.have for s in batch], axis=1)
        if len(batch) > 1
        else batch[0].bands.have
    )
    for name, made in zip(models, have.sum(axis=1).tolist(), strict=True):
        if made < rows:
            metrics.rows_without.labels(name).inc(rows - made)


class Batcher:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics
        self._pending: list[tuple[Snapshot, Request, asyncio.Future[Scored]]] = []
        self._scheduled = False
        self._waited = False

    async def score(self, snap: Snapshot, request: Request) -> Scored:
        """:func:`inference.pipeline.score_requests` of this request, batched with whatever
        else is waiting."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Scored] = loop.create_future()
        self._pending.append((snap, request, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        if not self._waited:  # one more turn of the loop: requests that arrived meanwhile join
            self._waited = True
            asyncio.get_running_loop().call_soon(self._flush)
            return
        pending, self._pending, self._scheduled, self._waited = self._pending, [], False, False
        groups: dict[int, list[Any]] = {}
        for item in pending:
            groups.setdefault(id(item[0]), []).append(item)
        for items in groups.values():
            snap = items[0][0]
            futures = [future for _, _, future in items]
            try:
                stores = [snap.history] if snap.history is not None else []
                seconds: dict[str, float] = {}
                requests = [request for _, request, _ in items]
                scored = score_requests(snap, requests, stores, seconds)
                record(self.metrics, snap.bundle.models, scored, seconds)
            except Exception as exc:  # handed to each waiting request, which answers 500
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future, result in zip(futures, scored, strict=True):
                if not future.done():  # a cancelled request (client gone) is skipped
                    future.set_result(result)
