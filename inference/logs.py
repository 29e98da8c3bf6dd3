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

    _second: tuple[int, str] = (-1, "")

    def _timestamp(self, created: float) -> str:
        second = int(created)
        if self._second[0] != second:  # one strftime a second, not one a line
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{self._second[1]}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
        }
        if type(record) is AccessRecord:  # its extra fields are known: no scan of the record
            entry.update(record._fields)
            return _encode(entry).decode()
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in _DROPPED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry).decode()


_RECORD = {
    **vars(logging.LogRecord("", logging.INFO, "(access log)", 0, "", (), None)),
    "funcName": "(access log)",
    "relativeCreated": 0.0,  # not tracked
}


class AccessRecord(logging.LogRecord):
    """A log record of one request, made without what :class:`logging.LogRecord` looks up for
    every record (the caller's source line, thread and process): one is made per request."""

    def __init__(self, name: str, message: str, fields: dict[str, object]) -> None:
        self.__dict__.update(_RECORD)  # every attribute formatters read, in one C call
        self.__dict__.update(fields)  # as attributes too, for other formatters
        self._fields = fields  # underscore: not an extra field of its own in the slow path
        self.name, self.msg = name, message
        self.created = time.time()
        self.msecs = (self.created - int(self.created)) * 1000


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
