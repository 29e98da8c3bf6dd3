"""Fault injection on ``dart-pipeline`` (a real Prefect API, the real five hubs): the database or
the blob store fails while the publication runs. Down on the first attempt, the task that hit it
retries and the run completes with the rows present once; down for good, the run fails with a
message naming what failed, nothing is half-published, and the failure notice goes out.

The faults are real: PostgreSQL refusing connections (``ALLOW_CONNECTIONS false``), a store's
port closed. :class:`Gate`, a TCP relay between the client and the real server, only times them
(the database refuses exactly the upsert's first connection; the store goes away at the first
request for a predictions file). Nothing in the code under test is replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from sqlalchemy.engine import make_url

from ercot_dart.db.engine import make_engine
from ercot_dart.publish.blob import prediction_key, read_parquet_bytes
from ercot_dart.publish.sql import read_predictions
from ercot_dart.settings import get_settings
from flows.dart_pipeline import dart_pipeline
from tests.conftest import azurite_connection_string

ISSUE = datetime(2024, 8, 20, 14, 0, tzinfo=UTC)  # 09:00 CDT: predicts 2024-08-21
KEY = prediction_key(pd.Timestamp(ISSUE))


class Gate:
    """A TCP relay on 127.0.0.1 to a real server on ``port``.

    ``around_next`` (a pair of callables) runs around the next connection only: the first before
    it is relayed, the second once it has ended. ``cut_on``: the first request holding these
    bytes is dropped and the port closed for good (later connections are refused).
    ``refusing``: while true, every connection is closed as soon as it is accepted (the server
    is down); set it false and the next connections reach the server.
    """

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.around_next: tuple[Callable[[], None], Callable[[], None]] | None = None
        self.cut_on: bytes | None = None
        self.refusing = False
        self.fired = 0
        self.is_cut = False
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # the gate was cut or closed
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        if self.refusing:
            client.close()
            return
        with self._lock:
            hooks, self.around_next = self.around_next, None
        if hooks:
            self.fired += 1
            hooks[0]()
        try:
            server = socket.create_connection(("127.0.0.1", self.target))
        except OSError:
            client.close()
            return
        self._open += [client, server]
        back = threading.Thread(target=self._pump, args=(server, client, False), daemon=True)
        back.start()
        self._pump(client, server, True)
        back.join(timeout=30)
        client.close()
        server.close()
        if hooks:
            hooks[1]()

    def _pump(self, src: socket.socket, dst: socket.socket, request: bool) -> None:
        try:
            while data := src.recv(65536):
                if request and self.cut_on is not None and self.cut_on in data:
                    self.cut()
                    return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        """The server is gone: open connections drop, new ones are refused."""
        self.is_cut = True
        for sock in [self.listener, *self._open]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.listener.close()

    def close(self) -> None:
        if not self.is_cut:
            self.cut()


def prefect(call: Callable[..., object]) -> object:
    """Run ``call(client)`` (a coroutine function) against the Prefect API."""

    async def run() -> object:
        async with get_client() as client:
            return await call(client)

    return asyncio.run(run())


def task_runs(name: str) -> list:
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    return prefect(  # type: ignore[return-value]
        lambda c: c.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=name))
        )
    )


def flow_running(name: str) -> bool:
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    runs = prefect(
        lambda c: c.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[name])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
            ),
        )
    )
    return bool(runs)


def retrying(task_name: str) -> bool:
    """Whether a run of the task ``task_name`` failed and waits for (or is in) a retry."""
    return any(r.state_name in ("AwaitingRetry", "Retrying") for r in task_runs(task_name))


class Watch:
    """A thread that runs ``then`` as soon as ``until()`` holds (polling the API); it stops
    polling when joined, so a test that ends early leaves nothing behind."""

    def __init__(self, until: Callable[[], bool], then: Callable[[], None]) -> None:
        self._stop = threading.Event()

        def run() -> None:
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline and not self._stop.is_set():
                if until():
                    then()
                    return
                time.sleep(0.1)

        self._thread = threading.Thread(
            target=contextvars.copy_context().run, args=(run,), daemon=True
        )
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for ``then`` to finish if it started, then stop polling."""
        self._thread.join(timeout=0.2)
        self._stop.set()
        self._thread.join(timeout=timeout)


def watch(until: Callable[[], bool], then: Callable[[], None]) -> Watch:
    """Run ``then`` as soon as ``until()`` holds, in the background."""
    return Watch(until, then)


def use_predictions_db(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("ERCOT_DART_PREDICTIONS_DB_URL", url)
    get_settings.cache_clear()


def use_blob_container(monkeypatch: pytest.MonkeyPatch, conn: str, container: str) -> None:
    from prefect_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

    block = f"dart-{container}"
    AzureBlobStorageContainer(
        container_name=container, credentials=AzureBlobStorageCredentials(connection_string=conn)
    ).save(block, overwrite=True)
    monkeypatch.setenv("ERCOT_DART_PREDICTIONS_BLOB_BLOCK", block)
    get_settings.cache_clear()


# --- the database ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_database_down_when_the_upsert_first_runs_is_retried(
    prefect_api, pipeline, pg_database, monkeypatch
):
    url = make_url(pg_database.url)
    gate = Gate(url.port or 5432)
    use_predictions_db(monkeypatch, url.set(port=gate.port).render_as_string(hide_password=False))
    before = {r.id for r in task_runs("upsert_predictions")}

    def arm() -> None:
        # the inference runs after every other use of the predictions database and before the
        # upsert: the next connection is the upsert's, and the database refuses it
        gate.around_next = (pg_database.down, pg_database.up)

    watcher = watch(lambda: flow_running("batch_inference"), arm)
    try:
        result = dart_pipeline(issue_time=ISSUE)
    finally:
        watcher.join(timeout=5)
        gate.close()

    assert gate.fired == 1  # the database refused one connection
    [upsert] = [r for r in task_runs("upsert_predictions") if r.id not in before]
    assert upsert.run_count == 2 and upsert.state_name == "Completed"
    table = read_predictions(make_engine(pg_database.url))
    assert len(table) == result["rows"] > 0
    assert not table.duplicated(["settlement_point", "interval_start_utc", "model"]).any()


@pytest.mark.postgres
def test_a_database_down_for_good_fails_the_run_and_publishes_nothing(
    prefect_api, pipeline, pg_database, monkeypatch
):
    hooks, box = pipeline
    use_predictions_db(monkeypatch, pg_database.url)
    pg_database.down()
    started = time.monotonic()
    with pytest.raises(Exception, match="does not allow connections|not currently accepting"):
        dart_pipeline(issue_time=ISSUE)
    assert time.monotonic() - started > 5  # it was retried first
    blob = get_settings().blob_root / KEY
    assert not blob.exists()  # the blob written before the upsert failed was taken back
    assert [s for s in box.subjects() if "FAILED" in s]
    assert "FAILED" in hooks.bodies("slack")[-1]["text"]


# --- the blob store -------------------------------------------------------------------------


def test_blob_storage_down_on_the_first_attempt_is_retried(
    prefect_api, pipeline, azurite, monkeypatch
):
    from azure.storage.blob import ContainerClient

    container = f"flaky-{uuid.uuid4().hex[:8]}"
    ContainerClient.from_connection_string(azurite, container).create_container()
    gate = Gate(int(azurite.split("127.0.0.1:", 1)[1].split("/", 1)[0]))
    gate.refusing = True  # the store is down when the run starts
    use_blob_container(monkeypatch, azurite_connection_string(gate.port), container)
    saw_retry: list = []

    def come_up() -> None:
        """The storage comes back once the first blob write has failed and waits to retry."""
        saw_retry.append(True)
        gate.refusing = False

    watcher = watch(lambda: retrying("stage_predictions"), come_up)
    try:
        result = dart_pipeline(issue_time=ISSUE)
        blob = ContainerClient.from_connection_string(azurite, container).download_blob(KEY)
        assert len(read_parquet_bytes(blob.readall())) == result["rows"] > 0
        assert saw_retry  # the first write failed and was retried
    finally:
        watcher.join(timeout=60)
        gate.close()


def test_blob_storage_down_for_good_fails_the_run_and_publishes_nothing(
    prefect_api, pipeline, azurite, monkeypatch
):
    from azure.storage.blob import ContainerClient

    hooks, box = pipeline
    container = f"gone-{uuid.uuid4().hex[:8]}"
    direct = ContainerClient.from_connection_string(azurite, container)
    direct.create_container()
    azurite_port = int(azurite.split("127.0.0.1:", 1)[1].split("/", 1)[0])
    gate = Gate(azurite_port)
    gate.cut_on = b"/predictions/"  # the store goes away when publishing first reaches for it
    use_blob_container(monkeypatch, azurite_connection_string(gate.port), container)
    store = f"blob store http://127.0.0.1:{gate.port}/devstoreaccount1/{container}"

    started = time.monotonic()
    try:
        with pytest.raises(Exception, match=f"{store} unreachable"):
            dart_pipeline(issue_time=ISSUE)
    finally:
        gate.close()
    assert time.monotonic() - started > 5  # it was retried first
    assert gate.is_cut

    # nothing half-published: no predictions file, no SQL rows of the issue time
    assert [b.name for b in direct.list_blobs(name_starts_with="predictions/")] == []
    table = read_predictions(make_engine(get_settings().predictions_url), pd.Timestamp(ISSUE))
    assert table.empty
    # the failure notice went out, naming the store
    assert [s for s in box.subjects() if "FAILED" in s]
    notice = hooks.bodies("slack")[-1]["text"]
    assert "FAILED" in notice and store in notice
