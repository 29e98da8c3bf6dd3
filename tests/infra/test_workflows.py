"""The GitHub workflows' guards (actionlint checks their syntax, in tests/unit/test_ci_files.py):
deploy runs with Azure credentials only for a successful ci run of a push to main in this
repository, never for a fork's pull request whose branch is named main; ci installs on its own
the Debian packages .ci/run installs, so no test depends on what a runner image holds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"

# each must hold for a workflow_run to deploy
DEPLOY_GUARDS = [
    "github.event.workflow_run.conclusion == 'success'",
    "github.event.workflow_run.event == 'push'",
    "github.event.workflow_run.head_branch == 'main'",
    "github.event.workflow_run.head_repository.full_name == github.repository",
]
# what the deploy job's condition was before: a fork's branch named main passed it
UNGUARDED = (
    "github.event_name == 'workflow_dispatch' || github.event.workflow_run.conclusion == 'success'"
)


def workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def missing_guards(condition: str) -> list[str]:
    """The guards a job condition lacks on its workflow_run branch (the part that is not the
    manual dispatch)."""
    condition = " ".join(condition.split())
    branches = [b for b in re.split(r"\|\|", condition) if "workflow_dispatch" not in b]
    if len(branches) != 1:
        return DEPLOY_GUARDS
    return [guard for guard in DEPLOY_GUARDS if guard not in branches[0]]


def test_deploy_runs_only_for_a_successful_push_to_main_of_this_repository() -> None:
    job = workflow("deploy.yml")["jobs"]["deploy"]
    assert missing_guards(job["if"]) == []
    assert "github.ref == 'refs/heads/main'" in " ".join(job["if"].split())  # manual runs too
    assert job["environment"] == "production"


def test_the_guard_check_catches_the_unguarded_condition() -> None:
    assert set(missing_guards(UNGUARDED)) == set(DEPLOY_GUARDS[1:])


def test_deploy_checks_out_without_keeping_the_token() -> None:
    steps = workflow("deploy.yml")["jobs"]["deploy"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["persist-credentials"] is False


def ci_run_packages() -> set[str]:
    return set(re.findall(r"need\+=\((\w[\w.-]*)\)", (REPO / ".ci" / "run").read_text()))


def test_ci_installs_the_debian_packages_ci_run_installs_on_debian() -> None:
    job = workflow("ci.yml")["jobs"]["test"]
    assert "bookworm" in job["container"]["image"]
    installs = " ".join(
        s.get("run", "") for s in job["steps"] if "apt-get install" in s.get("run", "")
    )
    installed = set(re.findall(r"[\w.-]+", installs.split("apt-get install", 1)[1]))
    assert {"unixodbc", "chromium"} <= ci_run_packages() <= installed
