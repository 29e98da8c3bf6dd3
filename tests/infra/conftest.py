"""A local Prefect API for the work pool tests: ``prefect server start`` on 127.0.0.1, a free
port, a temporary PREFECT_HOME, analytics off; prefect-azure is installed in the venv, so the
server knows the ``azure-container-instance`` worker type."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a process talking to a fresh local Prefect server."""
    home = tmp_path_factory.mktemp("prefect")
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
        deadline = time.monotonic() + 300
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
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
