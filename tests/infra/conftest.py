"""A local Prefect API for the work pool tests: ``prefect server start`` on 127.0.0.1, a free
port, a temporary PREFECT_HOME, analytics off; prefect-azure is installed in the venv, so the
server knows the ``azure-container-instance`` worker type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import prefect_server


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a process talking to a fresh local Prefect server."""
    with prefect_server(tmp_path_factory.mktemp("prefect")) as env:
        yield env
