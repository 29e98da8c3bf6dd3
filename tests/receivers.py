"""Local receivers for notification tests: an HTTP server standing in for Slack and Teams
incoming webhooks, and an SMTP server (aiosmtpd), both on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Webhooks:
    """Requests received per path; ``fail`` holds status codes to answer first (then 200)."""

    port: int = 0
    received: dict[str, list[Any]] = field(default_factory=dict)
    fail: list[int] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def bodies(self, path: str) -> list[Any]:
        return self.received.get("/" + path.lstrip("/"), [])


@contextmanager
def webhooks() -> Iterator[Webhooks]:
    state = Webhooks()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status = state.fail.pop(0) if state.fail else 200
                if status == 200:
                    state.received.setdefault(self.path, []).append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    port: int
    messages: list[Any]

    def subjects(self) -> list[str]:
        return [m["Subject"] for m in self.messages]


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """An SMTP server on a free loopback port keeping every message it receives."""
    import socket
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    box = Mailbox(0, [])

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            box.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        box.port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
