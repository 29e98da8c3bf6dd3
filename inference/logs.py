"""Structured logs: one JSON object per line on stderr, each with the request id of the request
it belongs to (null outside requests).

Access lines (one a request) logged on the event loop are written together when the loop's
turn ends: one system call for a micro-batch's access lines instead of one a line, which under
load cost about as much as formatting them. Every other line is written at once, after the
access lines buffered before it (so the order holds): a line logged just before the process
ends (uvicorn re-raises SIGTERM after its shutdown, and no exit handler runs) is not lost. A
process killed outright loses at most the access lines of its last turn.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from contextvars import ContextVar
from typing import TextIO

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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class TurnHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes the access lines logged in one turn of an event loop
    together, when the turn ends; any other line at once (with the access lines before it)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._flushing_loop: asyncio.AbstractEventLoop | None = None  # has a flush scheduled

    def emit(self, record: logging.LogRecord) -> None:  # called with the handler's lock held
        try:
            self._lines.append(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        loop = _running_loop() if type(record) is AccessRecord else None
        if loop is None:  # not an access line, or not on an event loop: now
            self.flush()
        elif self._flushing_loop is not loop:  # (another loop's flush may never run: stopped)
            self._flushing_loop = loop
            loop.call_soon(self.flush)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._flushing_loop = None
            if self._lines:
                lines, self._lines = self._lines, []
                try:
                    self.stream.write("".join(lines))
                except Exception:
                    self.handleError(logging.makeLogRecord({"msg": lines[0]}))
            super().flush()


def configure_logging(level: str = "INFO") -> None:
    """Send the service's, uvicorn's and Litestar's logs through one JSON handler on stderr."""
    handler = TurnHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("inference", "ercot_dart", "uvicorn", "litestar", "granian"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True  # the service writes its own access log
