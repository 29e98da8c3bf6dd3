"""The worker's custom role (infra/modules/aci-launcher.bicep) against what the installed
prefect-azure ACI worker calls: every Azure SDK operation the worker makes maps to an action the
role allows, an operation not in the map fails the test (a new prefect-azure version may need a
new action), and the role lets ARM prune the deployment history the worker fills."""

from __future__ import annotations

import re
from pathlib import Path

import prefect_azure.workers.container_instance as worker

REPO = Path(__file__).resolve().parents[2]
ROLE = (REPO / "infra" / "modules" / "aci-launcher.bicep").read_text()

# SDK operation -> the actions ARM checks for it (the LRO polls included)
ACTIONS = {
    ("deployments", "begin_create_or_update"): [
        "Microsoft.Resources/deployments/write",
        "Microsoft.Resources/deployments/read",
        "Microsoft.Resources/deployments/operationstatuses/read",
        "Microsoft.ContainerInstance/containerGroups/write",
    ],
    ("container_groups", "get"): ["Microsoft.ContainerInstance/containerGroups/read"],
    ("container_groups", "stop"): ["Microsoft.ContainerInstance/containerGroups/stop/action"],
    ("container_groups", "begin_delete"): ["Microsoft.ContainerInstance/containerGroups/delete"],
    ("containers", "list_logs"): [
        "Microsoft.ContainerInstance/containerGroups/containers/logs/read"
    ],
}


def role_actions() -> set[str]:
    block = re.search(r"\bactions: \[(.*?)\]", ROLE, re.S)
    assert block, "no actions in aci-launcher.bicep"
    return set(re.findall(r"^\s*'([^']+)'", block.group(1), re.M))


def worker_operations() -> set[tuple[str, str]]:
    source = Path(worker.__file__).read_text()
    # called, or handed to run_sync_in_worker_thread: client.<operations>.<method>
    return set(re.findall(r"client\.(deployments|container_groups|containers)\.(\w+)\b", source))


def test_every_operation_of_the_worker_is_known() -> None:
    assert worker_operations() - ACTIONS.keys() == set()
    assert ("deployments", "begin_create_or_update") in worker_operations()


def test_the_role_allows_every_operation_of_the_worker() -> None:
    needed = {a for op in worker_operations() for a in ACTIONS[op]}
    assert needed - role_actions() == set()


def test_the_role_lets_arm_prune_the_deployment_history() -> None:
    # the worker never deletes its deployments: ARM's pruning past 700 runs as the worker
    assert ("deployments", "begin_delete") not in worker_operations()
    assert "Microsoft.Resources/deployments/delete" in role_actions()


def test_the_role_grants_no_wildcard() -> None:
    assert not any("*" in action for action in role_actions())
