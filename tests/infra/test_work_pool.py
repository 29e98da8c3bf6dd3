"""infra/create_work_pool.py against a local Prefect server: the pool it creates is of type
azure-container-instance, carries the template's variables with this installation's values, and
renders the container group the prefect-azure worker would submit to ARM."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import talking_to

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "infra" / "create_work_pool.py"
SUBSCRIPTION = str(uuid.UUID(int=7))
GROUP = "rg-ercot-dart"
RUNTIME_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/id-ercotdart-runtime"
)
CLIENT_ID = str(uuid.UUID(int=11))
REGISTRY = "ercotdartq3x.azurecr.io"
SHARE_ACCOUNT = "ercotdartfq3x"
IMAGE = f"{REGISTRY}/ercot-dart-flows:3f2c1ab"
DB_URL = (
    f"mssql+pyodbc://{CLIENT_ID}@sql-dart.database.windows.net:1433/ercot"
    "?driver=ODBC+Driver+18+for+SQL+Server&Authentication=ActiveDirectoryMsi&Encrypt=yes"
)


def bicep_outputs() -> dict[str, Any]:
    """What ``az deployment group show ... --query properties.outputs.workPool.value`` prints."""
    return {
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": GROUP,
        "identities": [RUNTIME_ID],
        "image_registry": {"registry_url": REGISTRY, "identity": RUNTIME_ID},
        "data_storage_account": SHARE_ACCOUNT,
        "data_share_name": "dart-data",
        "env": {
            "AZURE_CLIENT_ID": CLIENT_ID,
            "ERCOT_DART_REGISTRY_URL": "https://ercotdartq3x.blob.core.windows.net/models/registry/",
        },
    }


def create_pool(env: dict[str, str], values: Path, *extra: str) -> None:
    ran = subprocess.run(
        [sys.executable, str(SCRIPT), "--values", str(values),
         "--env", f"ERCOT_DART_DB_URL={DB_URL}", "--env", f"ERCOT_DART_PREDICTIONS_DB_URL={DB_URL}",
         "--env", "ERCOT_DART_NOTIFY_SLACK_WEBHOOK=prefect-secret:dart-slack-webhook", *extra],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr


async def read_pool(name: str):  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        return await client.read_work_pool(name)


async def worker_job(template: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The job configuration the ACI worker builds for a run of a deployment whose
    job variables are prefect.yaml's (the image only), prepared for a flow run."""
    from prefect.client.schemas.objects import FlowRun
    from prefect_azure.workers.container_instance import AzureContainerJobConfiguration

    job = await AzureContainerJobConfiguration.from_template_and_values(template, {"image": IMAGE})
    job.prepare_for_flow_run(FlowRun(flow_id=uuid.uuid4(), name="dart-hourly-run"))
    return job


@pytest.fixture(scope="module")
def pool(prefect_api: dict[str, str], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The pool as read back through the API, after the script ran twice (create, then update)."""
    values = tmp_path_factory.mktemp("values") / "work-pool.json"
    values.write_text(json.dumps(bicep_outputs()))
    create_pool(prefect_api, values, "--memory", "4")
    create_pool(prefect_api, values)  # again, as after a change: --overwrite updates in place
    with talking_to(prefect_api["PREFECT_API_URL"]):
        return asyncio.run(read_pool("dart-aci"))


def test_the_pool_is_an_aci_pool_sized_for_training(pool) -> None:  # type: ignore[no-untyped-def]
    props = pool.base_job_template["variables"]["properties"]
    assert pool.type == "azure-container-instance"
    assert (props["cpu"]["default"], props["memory"]["default"]) == (2.0, 8.0)
    assert props["entrypoint"]["default"] == ""  # None would bring back /opt/prefect/entrypoint.sh


def test_the_pool_carries_the_azure_names_of_the_bicep_outputs(pool) -> None:  # type: ignore[no-untyped-def]
    props = pool.base_job_template["variables"]["properties"]
    assert props["subscription_id"]["default"] == SUBSCRIPTION
    assert props["resource_group_name"]["default"] == GROUP
    assert props["identities"]["default"] == [RUNTIME_ID]
    assert props["image_registry"]["default"] == {"registry_url": REGISTRY, "identity": RUNTIME_ID}
    assert props["data_storage_account"]["default"] == SHARE_ACCOUNT


def test_the_pool_environment_persists_results_and_holds_no_secret(pool) -> None:  # type: ignore[no-untyped-def]
    env = pool.base_job_template["variables"]["properties"]["env"]["default"]
    assert env["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"
    assert (
        env["PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK"] == "azure-blob-storage-container/dart-results"
    )
    assert env["ERCOT_DART_PREDICTIONS_BLOB_BLOCK"] == "dart-predictions"
    assert env["ERCOT_DART_NOTIFY_SLACK_WEBHOOK"] == "prefect-secret:dart-slack-webhook"
    assert env["ERCOT_DART_DB_URL"] == DB_URL
    assert env["AZURE_CLIENT_ID"] == CLIENT_ID


def test_the_worker_submits_a_container_group_with_identity_share_and_secure_api_key(
    pool, prefect_api: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    # the worker's own API key reaches the flow run as an ACI secure value, never a plain one
    with talking_to(prefect_api["PREFECT_API_URL"], PREFECT_API_KEY="pnu_test"):
        job = asyncio.run(worker_job(pool.base_job_template))
    group = job.arm_template["resources"][0]
    container = group["properties"]["containers"][0]["properties"]
    env = {e["name"]: e for e in container["environmentVariables"]}

    assert "{{" not in json.dumps(job.arm_template)
    assert group["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {RUNTIME_ID: {}}}
    assert group["properties"]["imageRegistryCredentials"] == [
        {"server": REGISTRY, "identity": RUNTIME_ID}
    ]
    assert container["image"] == IMAGE
    assert container["command"] == ["prefect", "flow-run", "execute"]
    assert container["resources"]["requests"] == {"cpu": 2.0, "memoryInGB": 8.0}
    assert env["PREFECT_API_KEY"] == {"name": "PREFECT_API_KEY", "secureValue": "pnu_test"}
    (volume,) = group["properties"]["volumes"]
    (mount,) = container["volumeMounts"]
    assert mount["name"] == volume["name"]
    assert env["ERCOT_DART_DATA_DIR"]["value"] == mount["mountPath"]
    assert volume["azureFile"]["storageAccountName"] == SHARE_ACCOUNT
    # the key is an ARM expression evaluated at deployment, never a value stored in Prefect
    assert volume["azureFile"]["storageAccountKey"] == (
        f"[listKeys(resourceId('Microsoft.Storage/storageAccounts', '{SHARE_ACCOUNT}'), "
        "'2023-05-01').keys[0].value]"
    )
