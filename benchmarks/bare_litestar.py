"""The framework's ceiling for benchmarks/serve.py: Litestar answering POST /score with a
constant, on the same server and under the same requests as the scoring service. It answers
with Litestar's low-level response (``ASGIResponse``), as the service's ``/score`` does: the
cheapest way the framework has to send a body."""

from __future__ import annotations

from litestar import Litestar, get, post
from litestar.response.base import ASGIResponse

BODY = b'{"bundle_id":"constant","predictions":[]}'


@post("/score", status_code=200, sync_to_thread=False)
def score() -> ASGIResponse:
    return ASGIResponse(body=BODY, media_type="application/json")


@get("/ready", sync_to_thread=False)
def ready() -> ASGIResponse:
    return ASGIResponse(body=b"{}", media_type="application/json")


app = Litestar([score, ready], openapi_config=None, logging_config=None)
