"""Structured logs: one JSON object per line on stderr, each with the request id of the request
it belongs to (null outside requests)."""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar

import msgspec

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_DROPPED = {"color_message"}  # uvicorn's ANSI-coloured copy of the message
_encode = msgspec.json.Encoder(enc_hook=str).encode


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id", ...extra fields}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in _DROPPED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry).decode()


def configure_logging(level: str = "INFO") -> None:
    """Send the service's, uvicorn's and Litestar's logs through one JSON handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("inference", "ercot_dart", "uvicorn", "litestar", "granian"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True  # the service writes its own access log
