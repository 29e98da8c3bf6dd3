"""Small helpers shared by the tests (not fixtures)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ercot_dart.db.tables import TABLES

BIN = Path(sys.executable).parent


def table_counts(engine: sa.Engine) -> dict[str, int]:
    """Row count of each source table."""
    with engine.connect() as conn:
        return {
            name.value: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for name, t in TABLES.items()
        }


def table_dump(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every source table, sorted, for before/after comparisons."""
    with engine.connect() as conn:
        return {
            name.value: sorted(tuple(map(str, r)) for r in conn.execute(sa.select(t)))
            for name, t in TABLES.items()
        }


# --- local servers the tests start: free ports, stopping them, a real `prefect server start` ---


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (now)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate ``proc``, killing it if it does not stop within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def prefect_server(home: Path, startup_seconds: float = 300) -> Iterator[dict[str, str]]:
    """``prefect server start`` on 127.0.0.1 (a free port, PREFECT_HOME ``home``, analytics off);
    yields the environment of a process talking to it (PREFECT_API_URL set)."""
    import httpx

    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_KEY", None)
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        # a fresh server migrates its database first; slow on a loaded 2-core machine
        deadline = time.monotonic() + startup_seconds
        while True:
            if server.poll() is not None:
                pytest.fail(f"prefect server exited:\n{log.read_text()[-3000:]}", pytrace=False)
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"prefect server did not start:\n{log.read_text()[-3000:]}", pytrace=False
                )
            time.sleep(0.5)
        yield env
    finally:
        stop_process(server)


@contextmanager
def talking_to(api_url: str, **more: object) -> Iterator[None]:
    """This process talks to the Prefect API at ``api_url`` inside the block (further Prefect
    settings by name in ``more``, e.g. PREFECT_API_KEY="..."). On the way out the events this
    process queued (a block saved or loaded, a run's states) are sent while that API still
    answers, and the events worker is closed: otherwise it stays bound to this API, and a later
    test on another API loses its task-run states and its harness waits minutes to drain."""
    import prefect.settings as ps
    from prefect.events.worker import EventsWorker

    updates = {ps.PREFECT_API_URL: api_url, **{getattr(ps, k): v for k, v in more.items()}}
    try:
        with ps.temporary_settings(updates=updates):
            try:
                yield
            finally:
                EventsWorker.drain_all()
    finally:
        EventsWorker.drain_all()


def without_progress(stderr: str) -> str:
    """A command's stderr without its progress lines (``[HH:MM:SS] …``, ercot_dart.cli_progress,
    shown when stderr is not a terminal)."""
    import re

    return "".join(
        line for line in stderr.splitlines(keepends=True)
        if not re.match(r"^\[\d\d:\d\d:\d\d\] ", line)
    )  # fmt: skip


def all_at_once(work: Callable[[Any], None], items: list[Any], timeout: float = 120) -> None:
    """``work(item)`` for every item, each in its own thread, released together by a barrier;
    raises the first error any of them met."""
    import threading

    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def run(item: Any) -> None:
        try:
            start.wait()
            work(item)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    if errors:
        raise errors[0]
