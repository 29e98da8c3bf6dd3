"""Micro-batching: small requests that are ready in the same event-loop turn share one
onnxruntime call per model (and one pass of the ensemble and P10/P90 arithmetic).

A single-row LSTM call costs about as much as one of eight rows (the per-call overhead
dominates), so at concurrency 8 this multiplies throughput. Rows are scored row by row by
every model (no cross-row state), so a row's prediction does not depend on its batch-mates.
Requests are grouped by bundle: during a reload, requests holding the old bundle are scored
with it. Large requests skip the queue and run in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio.to_thread
import numpy as np

from inference.bundle import LoadedBundle
from inference.metrics import ServiceMetrics
from inference.scoring import predict, summarize

INLINE_ROWS = 64
"""Requests up to this many rows are batched on the event loop; larger ones go to a thread."""

Columns = dict[str, np.ndarray]
_Item = tuple[LoadedBundle, np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any]


def score_arrays(
    bundle: LoadedBundle, x: np.ndarray, z: np.ndarray, index: np.ndarray, scale: np.ndarray
) -> Columns:
    """:func:`inference.scoring.summarize` of :func:`inference.scoring.predict`."""
    return summarize(bundle, predict(bundle, x, z, index), scale)


class Batcher:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics
        self._pending: list[_Item] = []
        self._scheduled = False

    async def score(
        self,
        bundle: LoadedBundle,
        x: np.ndarray,
        z: np.ndarray,
        index: np.ndarray,
        scale: np.ndarray,
    ) -> Columns:
        """:func:`score_arrays`, batched with whatever else is waiting."""
        if len(x) > INLINE_ROWS:
            self.metrics.batch_rows.observe(len(x))
            return await anyio.to_thread.run_sync(score_arrays, bundle, x, z, index, scale)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((bundle, x, z, index, scale, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        pending, self._pending, self._scheduled = self._pending, [], False
        groups: dict[int, list[Any]] = {}
        for item in pending:
            groups.setdefault(id(item[0]), []).append(item)
        for items in groups.values():
            futures = [item[5] for item in items]
            try:
                parts = _run_group(items)
                self.metrics.batch_rows.observe(sum(len(item[1]) for item in items))
            except Exception as exc:  # handed to each waiting request, which answers 500
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future, part in zip(futures, parts, strict=True):
                if not future.done():  # a cancelled request (client gone) is skipped
                    future.set_result(part)


def _run_group(items: list[_Item]) -> list[Columns]:
    bundle = items[0][0]
    if len(items) == 1:
        return [score_arrays(bundle, *items[0][1:5])]
    offsets = np.cumsum([0] + [len(item[2]) for item in items[:-1]])
    x = np.concatenate([item[1] for item in items])
    z = np.concatenate([item[2] for item in items])
    index = np.concatenate(
        [
            np.where(item[3] >= 0, item[3] + off, -1)
            for item, off in zip(items, offsets, strict=True)
        ]
    )
    scale = np.concatenate([item[4] for item in items])
    columns = score_arrays(bundle, x, z, index, scale)
    bounds = np.cumsum([0] + [len(item[1]) for item in items])
    return [
        {name: values[..., lo:hi] for name, values in columns.items()}
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]
