"""The outermost ASGI layer: a request id on every response and log line, the access log and
the request metrics — also for requests no route matches, which Litestar's own middleware
never sees."""

from __future__ import annotations

import logging
import re
import time
from random import getrandbits
from typing import Any

from inference.logs import REQUEST_ID, AccessRecord
from inference.metrics import ServiceMetrics

HEADER = b"x-request-id"
CLIENT_CLOSED = 499
"""Status logged and counted for a request whose client disconnected before the answer (nginx's
convention; nothing is sent)."""
_VALID_ID = re.compile(rb"^[A-Za-z0-9._:@/+=-]{1,128}$")
access = logging.getLogger("inference.access")


class RequestContext:
    """Echo a well-formed ``X-Request-ID`` (≤ 128 token characters) or generate one (128
    random bits, as 32 hex digits: an identifier, not a secret, so not from the OS's entropy
    source, which costs a system call)."""

    def __init__(self, app: Any, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), None)
        rid = (
            given.decode()
            if given is not None and _VALID_ID.match(given)
            else getrandbits(128).to_bytes(16).hex()
        )
        token = REQUEST_ID.set(rid)
        header = (HEADER, rid.encode())
        status, answered = 500, False  # 500: an error that escaped every handler
        started = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
            if not answered:
                status = CLIENT_CLOSED  # returned without answering: the client went away first
        finally:
            seconds = time.perf_counter() - started
            # a 405 matched a route's path but none of its methods: the path is that route
            route = scope.get("path_template") or (scope["path"] if status == 405 else "unmatched")
            self.metrics.observe(route, scope["method"], status, seconds)
            if access.isEnabledFor(logging.INFO):
                fields = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                }
                message = f"{scope['method']} {scope['path']} {status}"
                access.handle(AccessRecord(access.name, message, fields))
            REQUEST_ID.reset(token)
