"""The floor under the service for benchmarks/serve.py: what reading a request and running the
three models costs, with nothing else. A Litestar ASGI route (as the service's ``/score``)
reads the body, joins the requests that arrive in the same event-loop turns (as the service's
micro-batches) and runs the bundle's three onnxruntime sessions (opened as the service opens
them) on that many real feature rows and LSTM windows from the store, then answers the bare
route's constant. No decoding, windows, bands, answer, log or metrics. ``GET /model-seconds``
tells each model's time in onnxruntime and rows so far (as the service's
``ercot_dart_onnx_model_seconds``), to compare the same calls in both.

Each micro-batch takes the next rows of a few thousand, as the service scores different rows
in each: run on the same rows again and again, the tree ensembles cost a third as much (the
branch predictor and the caches learn those rows' paths through the trees), which would put the
floor too low.

    ERCOT_DART_BENCH_BUNDLE=.../<bundle> ERCOT_DART_BENCH_STORE=.../features \
        uvicorn --factory benchmarks.models_floor:create_app

The gap between this and the bare route is what the models cost at this concurrency; the gap
between this and the service is everything the service does around them.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from litestar import Litestar, asgi, get
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

from benchmarks.bare_litestar import BODY
from ercot_dart.features.store import read_features
from inference.bundle import load_bundle
from inference.scoring import _run

ROWS = 4096
"""Different rows the micro-batches take in turn."""
DAY, DAYS = pd.Timedelta(hours=23), pd.Timedelta(days=2)
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


def _inputs(bundle: Any, store: Path) -> tuple[np.ndarray, np.ndarray]:
    """``ROWS`` rows of the last day, of different points and hours (as the benchmark's
    bodies; all of them if the day has fewer), as tree-matrix rows and, for each, its window of
    standardised hours."""
    frame = read_features(store)
    frame = frame[frame["interval_start_utc"] >= frame["interval_start_utc"].max() - DAYS]
    frame = frame.sort_values(["settlement_point", "interval_start_utc"], ignore_index=True)
    z = bundle.pre.standardize(bundle.pre.tree_matrix(frame))
    last_day = frame.index[frame["interval_start_utc"] > frame["interval_start_utc"].max() - DAY]
    picked = np.random.default_rng(7).choice(last_day, min(ROWS, len(last_day)), replace=False)
    windows = np.stack([z[i - bundle.window + 1 : i + 1] for i in picked])
    return bundle.pre.tree_matrix(frame.iloc[picked]), windows


def create_app() -> Litestar:
    bundle = load_bundle(Path(os.environ["ERCOT_DART_BENCH_BUNDLE"]))
    x, z = _inputs(bundle, Path(os.environ["ERCOT_DART_BENCH_STORE"]))
    pending: list[asyncio.Future[None]] = []
    waited = [False]
    taken = [0]  # rows used so far: each batch takes the next ones
    seconds = dict.fromkeys(bundle.kinds, 0.0)  # in onnxruntime, by model
    scored = [0]  # rows through each model

    def flush() -> None:
        if not waited[0]:  # one more loop turn, as the service's Batcher
            waited[0] = True
            asyncio.get_running_loop().call_soon(flush)
            return
        batch = pending[:]
        pending.clear()
        waited[0] = False
        n = min(len(batch), len(x))
        at = taken[0] % (len(x) - n + 1)
        taken[0] = at + n
        for name, kind in bundle.kinds.items():
            _run(bundle, name, (x if kind == "tabular" else z)[at : at + n], seconds)
        scored[0] += n
        for future in batch:
            future.set_result(None)

    @asgi("/score", copy_scope=False)
    async def score(scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if not pending:
            loop.call_soon(flush)
        pending.append(future)
        await future
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        await send({"type": "http.response.body", "body": BODY})

    @get("/ready", sync_to_thread=False)
    def ready() -> ASGIResponse:
        return ASGIResponse(body=b"{}", media_type="application/json")

    @get("/model-seconds", sync_to_thread=False)
    def model_seconds() -> dict[str, dict[str, float]]:
        return {name: {"seconds": s, "rows": scored[0]} for name, s in seconds.items()}

    return Litestar([score, ready, model_seconds], openapi_config=None, logging_config=None)
