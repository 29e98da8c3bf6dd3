"""Whether the Prefect API that deployments and work pools are written to can be used: a set
``PREFECT_API_URL`` (without it Prefect would start a temporary server that stops with the
command, taking what was registered with it), and one that answers."""

from __future__ import annotations

START_ONE = (
    "start one (PREFECT_HOME=$PWD/.prefect .venv/bin/prefect server start --host 127.0.0.1) and "
    "export PREFECT_API_URL=http://127.0.0.1:4200/api, or log in to Prefect Cloud "
    "(docs/pipeline.md)"
)


def api_problem() -> str | None:
    """Why the configured Prefect API cannot hold deployments; None when it can."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return (
            "PREFECT_API_URL is not set: what is registered would go to a temporary server that "
            f"stops with this command; {START_ONE}"
        )
    with get_client(sync_client=True) as client:
        error = client.api_healthcheck()
    if error is not None:
        return f"the Prefect API at {url} does not answer ({type(error).__name__}: {error}); {START_ONE}"
    return None
