"""End to end, as a user runs it: ``prefect server start`` on 127.0.0.1 with a temporary
PREFECT_HOME, a local process pool and the deployments of ``prefect.yaml`` (infra/deploy_local.py),
a worker, ``prefect deployment run 'dart-pipeline/dart-hourly' --watch``; predictions land in
Azurite (through a prefect-azure block) and PostgreSQL, and a Slack message (its URL in a Prefect
Secret block) arrives. Then a run fails on a database that is down, the database comes back, the
run is retried through the API as the UI's Retry does, and it completes without redoing the
subflows that had finished."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ercot_dart.db.engine import make_engine
from ercot_dart.publish.blob import prediction_key, read_parquet_bytes
from ercot_dart.publish.sql import read_predictions
from ercot_dart.registry import LocalRegistry
from tests.helpers import prefect_server, stop_process, talking_to
from tests.receivers import webhooks

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONTAINER = "dart-e2e"

pytestmark = pytest.mark.postgres


def prefect(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "prefect"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


async def subflow_runs(parent_id: str) -> dict[str, list]:
    """The subflow runs of a flow run, by flow name, and the task runs of each."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        TaskRunFilter,
        TaskRunFilterFlowRunId,
    )

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])
            )
        )
        flows = {f.id: f.name for f in await client.read_flows()}
        out: dict[str, list] = {}
        for run in runs:
            tasks = await client.read_task_runs(
                task_run_filter=TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[run.id]))
            )
            out.setdefault(flows[run.flow_id], []).append((run, tasks))
        return out


async def retry_from_the_ui(flow_run_id: str) -> None:
    """What the UI's Retry button does: the failed run goes back to Scheduled (AwaitingRetry)."""
    from prefect.client.orchestration import get_client
    from prefect.states import AwaitingRetry

    async with get_client() as client:
        await client.set_flow_run_state(flow_run_id, AwaitingRetry(), force=True)


async def final_state(flow_run_id: str, timeout: float = 600):  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = await client.read_flow_run(flow_run_id)
            if run.state is not None and run.state.is_final() and run.run_count > 1:
                return run
            await asyncio.sleep(1)
    raise AssertionError(f"flow run {flow_run_id} did not finish its retry")


def flow_run_id_of(output: str) -> str:
    for line in output.splitlines():
        if "UUID:" in line:
            return line.split("UUID:")[1].strip()
    raise AssertionError(f"no flow run id in:\n{output}")


def test_deployed_pipeline_publishes_and_resumes_after_a_retry(
    tmp_path, azurite, pg_database, pipeline_source, champion_bundle
):
    from azure.storage.blob import ContainerClient
    from prefect.blocks.system import Secret
    from prefect_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

    data = tmp_path / "data"
    source = tmp_path / "source.sqlite"
    shutil.copy(pipeline_source, source)
    registry = LocalRegistry(data / "registry")
    registry.promote(registry.publish(champion_bundle), "e2e champion")
    ContainerClient.from_connection_string(azurite, CONTAINER).create_container()

    with webhooks() as hooks, prefect_server(tmp_path / "prefect-home") as server_env:
        api = server_env["PREFECT_API_URL"]
        env = {
            **server_env,
            "PREFECT_LOGGING_LEVEL": "INFO",
            "ERCOT_DART_DATA_DIR": str(data),
            "ERCOT_DART_DB_URL": f"sqlite:///{source}",
            "ERCOT_DART_PREDICTIONS_DB_URL": pg_database.url,
            "ERCOT_DART_PREDICTIONS_BLOB_BLOCK": "dart-predictions",
            "ERCOT_DART_NOTIFY_SLACK_WEBHOOK": "prefect-secret:dart-slack-webhook",
            "ERCOT_DART_TASK_RETRIES": "1",
            "ERCOT_DART_RETRY_DELAY_SECONDS": "[0.5]",
        }
        worker = None
        try:
            with talking_to(api):
                AzureBlobStorageContainer(
                    container_name=CONTAINER,
                    credentials=AzureBlobStorageCredentials(connection_string=azurite),
                ).save("dart-predictions", overwrite=True)
                Secret(value=hooks.url("slack")).save("dart-slack-webhook", overwrite=True)

            deployed = subprocess.run(
                [sys.executable, "infra/deploy_local.py", "--paused"],
                env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert deployed.returncode == 0, deployed.stdout + deployed.stderr
            worker_log = tmp_path / "worker.log"
            with open(worker_log, "wb") as out:
                worker = subprocess.Popen(
                    [str(BIN / "prefect"), "worker", "start", "--pool", "dart-local"],
                    env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                )  # fmt: skip

            # 1. the hourly deployment, run ad hoc
            ran = prefect(
                env, "deployment", "run", "dart-pipeline/dart-hourly",
                "--param", "issue_time=2024-08-20T13:05:00Z", "--watch", timeout=600,
            )  # fmt: skip
            assert ran.returncode == 0, ran.stdout + ran.stderr + worker_log.read_text()[-5000:]
            key = prediction_key(pd.Timestamp("2024-08-20T13:05Z"))
            blob = ContainerClient.from_connection_string(azurite, CONTAINER).download_blob(key)
            frame = read_parquet_bytes(blob.readall())
            assert len(frame) == 5 * 24 * 4
            table = read_predictions(make_engine(pg_database.url))
            assert len(table) == len(frame)
            assert any("bundle" in b["text"] for b in hooks.bodies("slack"))

            # 2. the database goes down: the run fails, and is retried once it is back
            pg_database.down()
            failed = prefect(
                env, "deployment", "run", "dart-pipeline/dart-hourly",
                "--param", "issue_time=2024-08-20T12:05:00Z", "--watch", timeout=600,
            )  # fmt: skip
            assert failed.returncode != 0
            run_id = flow_run_id_of(failed.stdout)
            assert "FAILED" in hooks.bodies("slack")[-1]["text"]
            pg_database.up()
            with talking_to(api):
                before = asyncio.run(subflow_runs(run_id))
                asyncio.run(retry_from_the_ui(run_id))
                run = asyncio.run(final_state(run_id))
                after = asyncio.run(subflow_runs(run_id))
            assert run.state.is_completed(), worker_log.read_text()[-5000:]
            for name in ("build_features", "batch_inference"):  # finished before: not redone
                assert len(before[name]) == len(after[name]) == 1
                assert len(after[name][0][1]) == len(before[name][0][1])
            assert len(after["publish_predictions"]) == 2  # the failed step ran again
            assert len(read_predictions(make_engine(pg_database.url))) == 2 * len(frame)
        finally:
            if worker is not None:
                stop_process(worker)
