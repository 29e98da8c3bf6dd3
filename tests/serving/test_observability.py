"""A request id on every response and log line, JSON logs, Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from inference.app import create_app
from inference.logs import JsonFormatter
from tests.serving.conftest import (
    SCORED_FROM,
    bundle_features,
    env_of,
    row_json,
    serve_settings,
    start_server,
    wait_ready,
)


@pytest.fixture
def client(registry, tmp_path) -> Iterator[TestClient]:
    with TestClient(create_app(serve_settings(registry, tmp_path))) as c:
        wait_ready(c.get)
        yield c


@pytest.fixture
def logs(client) -> Iterator[io.StringIO]:
    """What the service logs from now on, through its own JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("inference")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _logs(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_sent_request_id_is_echoed_and_one_is_generated_otherwise(client):
    assert (
        client.get("/health", headers={"X-Request-ID": "trace-42.a"}).headers["x-request-id"]
        == "trace-42.a"
    )
    generated = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/nowhere").headers["x-request-id"]  # errors and unknown routes too
    unsafe = client.get("/health", headers={"X-Request-ID": "a b c " + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])  # replaced, not echoed


def test_every_log_line_is_json_and_request_lines_carry_the_request_id(client, logs):
    client.post("/score", json={"rows": []}, headers={"X-Request-ID": "req-1"})
    client.get("/ready", headers={"X-Request-ID": "req-2"})
    lines = _logs(logs)
    assert lines and all(
        {"ts", "level", "logger", "message", "request_id"} <= set(x) for x in lines
    )
    access = {x["request_id"]: x for x in lines if x["logger"] == "inference.access"}
    assert access["req-1"]["status"] == 422 and access["req-1"]["route"] == "/score"
    assert access["req-2"]["status"] == 200 and access["req-2"]["duration_ms"] >= 0


def test_an_unhandled_error_is_logged_with_its_request_id_and_answers_500(
    client, logs, monkeypatch, store_frame, trained_bundle
):
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr("inference.routes.score.answer", broken)
    row = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM].iloc[0]
    body = {"rows": [row_json(row, bundle_features(trained_bundle))]}
    response = client.post("/score", json=body, headers={"X-Request-ID": "req-boom"})
    assert response.status_code == 500 and response.json()["type"].endswith(":internal-error")
    assert response.json()["detail"] == "the service failed; see its logs"  # no internals leak
    errors = [x for x in _logs(logs) if x["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "req-boom" and "boom" in errors[0]["exception"]


def test_metrics_count_requests_rows_errors_and_name_the_bundle(
    client, store_frame, trained_bundle
):
    features = bundle_features(trained_bundle)
    rows = store_frame[store_frame["interval_start_utc"] >= SCORED_FROM].head(3)
    client.post("/score", json={"rows": [row_json(r, features) for _, r in rows.iterrows()]})
    client.post("/score", content=b"{oops")
    client.get("/nowhere/at/all")
    text = client.get("/metrics").text
    bundle_id = client.get("/ready").json()["bundle_id"]
    assert 'ercot_dart_http_requests_total{method="POST",route="/score",status="200"} 1.0' in text
    assert 'ercot_dart_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert "ercot_dart_rows_scored_total 3.0" in text
    for model in ("lightgbm", "xgboost", "lstm"):  # one batch each, the LSTM with no rows to run
        assert f'ercot_dart_onnx_model_seconds_count{{model="{model}"}} 1.0' in text
    assert (
        'ercot_dart_rows_without_prediction_total{model="lstm"} 3.0' in text
    )  # no store, no history
    assert 'ercot_dart_errors_total{kind="malformed-json"} 1.0' in text
    assert (
        'ercot_dart_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/score"}'
        in text
    )
    assert f'ercot_dart_bundle_info{{bundle_id="{bundle_id}"' in text


def test_a_client_gone_before_its_answer_is_logged_and_counted_as_499(client, logs):
    """The body never arrives whole: nothing is sent, no error is logged, the access line and
    the metrics say 499 (client closed request)."""
    sent: list[Any] = []
    messages = iter([{"type": "http.request", "body": b'{"rows": [', "more_body": True},
                     {"type": "http.disconnect"}])  # fmt: skip

    async def receive() -> Any:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/score", "raw_path": b"/score", "root_path": "",
        "query_string": b"", "client": ("127.0.0.1", 1), "server": ("test", 80),
        "headers": [(b"content-type", b"application/json"), (b"x-request-id", b"gone-1")],
    }  # fmt: skip
    client.blocking_portal.call(client.app, scope, receive, send)
    assert sent == []
    lines = _logs(logs)
    access = [x for x in lines if x["request_id"] == "gone-1"]
    assert [(x["logger"], x["status"], x["route"]) for x in access] == [
        ("inference.access", 499, "/score")
    ]
    assert not [x for x in lines if x["level"] == "ERROR"]
    text = client.get("/metrics").text
    assert 'ercot_dart_http_requests_total{method="POST",route="/score",status="499"} 1.0' in text


class _Writes(io.StringIO):
    """A stream that counts its writes (one per system call, for a real file)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.fixture
def turn_log() -> Iterator[tuple[logging.Logger, _Writes, logging.Handler]]:
    """A logger writing through the service's handler to a stream that counts writes."""
    from inference.logs import TurnHandler

    stream = _Writes()
    handler = TurnHandler(stream)
    log = logging.getLogger("tests.turn")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    yield log, stream, handler
    log.removeHandler(handler)


def _access(log: logging.Logger, message: str) -> None:
    """An access line, as the request-context layer logs one."""
    from inference.logs import AccessRecord

    log.handle(AccessRecord(log.name, message, {"status": 200}))


def _messages(stream: io.StringIO) -> list[str]:
    return [line.split(" ", 1)[0] for line in stream.getvalue().splitlines()]


def test_access_lines_of_one_event_loop_turn_are_written_together_others_at_once(turn_log):
    import asyncio

    log, stream, _ = turn_log
    seen_in_turn: list[str] = []

    async def main() -> None:
        for i in range(8):
            _access(log, f"access-{i}")
        seen_in_turn.append(stream.getvalue())  # nothing written before the turn ends
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert stream.writes == 1  # the eight lines in one write
        _access(log, "access-8")
        log.warning("other")  # at once, after the access line before it
        _access(log, "access-9")
        await asyncio.to_thread(log.info, "thread")  # at once, after access-9

    asyncio.run(main())
    _access(log, "outside-loop")  # at once
    assert seen_in_turn == [""]
    assert _messages(stream) == [
        *(f"access-{i}" for i in range(9)), "other", "access-9", "thread", "outside-loop"
    ]  # fmt: skip
    assert stream.writes == 4  # 8 lines; access-8 + other; access-9 + thread; outside-loop


def _stopped_loop_with_a_line(log: logging.Logger) -> None:
    """A loop that logs an access line in its last turn: the write it schedules never runs."""
    import asyncio

    loop = asyncio.new_event_loop()

    def last() -> None:
        _access(log, "last-words")
        loop.stop()  # the loop ends with this turn

    loop.call_soon(last)
    loop.run_forever()
    loop.close()


def test_an_access_line_still_buffered_is_written_at_shutdown(turn_log):
    log, stream, handler = turn_log
    _stopped_loop_with_a_line(log)
    assert stream.getvalue() == ""
    logging.shutdown([lambda: handler])  # as at interpreter exit
    assert _messages(stream) == ["last-words"]


def test_a_write_left_on_a_closed_loop_does_not_hold_back_the_next_loops(turn_log):
    import asyncio

    log, stream, _ = turn_log
    _stopped_loop_with_a_line(log)

    async def next_loop() -> None:
        _access(log, "on-another-loop")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert _messages(stream) == ["last-words", "on-another-loop"]

    asyncio.run(next_loop())


def test_a_stopped_server_logs_its_last_lines_and_every_access_line(registry, tmp_path):
    """uvicorn re-raises SIGTERM once shut down, so no exit handler runs: the lines of its
    last turn must not wait for one."""
    log = tmp_path / "server.log"
    server = start_server(env_of(serve_settings(registry, tmp_path)), log)
    live = next(server)
    with live.client() as client:
        for i in range(5):
            assert client.get("/health", headers={"X-Request-ID": f"last-{i}"}).status_code == 200
    live.process.terminate()
    live.process.wait(timeout=30)
    server.close()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert {f"last-{i}" for i in range(5)} <= {x["request_id"] for x in lines}
    assert lines[-1]["message"].startswith("Finished server process")
