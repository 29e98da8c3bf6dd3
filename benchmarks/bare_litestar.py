"""The framework's ceiling for benchmarks/serve.py: Litestar answering POST /score with a
constant, on the same server and under the same requests as the scoring service."""

from __future__ import annotations

from litestar import Litestar, Response, get, post

BODY = b'{"bundle_id":"constant","predictions":[]}'


@post("/score", status_code=200, sync_to_thread=False)
def score() -> Response[bytes]:
    return Response(BODY, media_type="application/json")


@get("/ready", sync_to_thread=False)
def ready() -> Response[bytes]:
    return Response(b"{}", media_type="application/json")


app = Litestar([score, ready], openapi_config=None, logging_config=None)
