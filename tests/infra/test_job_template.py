"""infra/aci-job-template.json and infra/create_work_pool.py without a server: the template
agrees with prefect-azure's default, with main.bicep's output and with prefect.yaml, and the
script refuses what would put a secret in the pool or leave it unusable."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.create_work_pool import TemplateError, fill_template, read_values

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((REPO / "infra" / "aci-job-template.json").read_text())
DB_URL = (
    "mssql+pyodbc://1b2c@sql-dart.database.windows.net:1433/ercot?Authentication=ActiveDirectoryMsi"
)


def outputs(**env: str) -> dict[str, Any]:
    return {
        "subscription_id": "sub",
        "resource_group_name": "rg",
        "identities": ["/id/runtime"],
        "image_registry": {"registry_url": "r.azurecr.io", "identity": "/id/runtime"},
        "data_storage_account": "files",
        "env": {"ERCOT_DART_DB_URL": DB_URL, "ERCOT_DART_PREDICTIONS_DB_URL": DB_URL, **env},
    }


def bicep_output_keys(name: str) -> set[str]:
    """Top-level keys of an object output of infra/main.bicep."""
    text = (REPO / "infra" / "main.bicep").read_text()
    block = re.search(rf"^output {name} object = \{{\n(.*?)^\}}", text, re.S | re.M)
    assert block, f"no output {name} in main.bicep"
    return set(re.findall(r"^  (\w+):", block.group(1), re.M))


def test_the_template_keeps_prefect_azures_job_configuration() -> None:
    default = json.loads(
        subprocess.run(
            [
                str(Path(sys.executable).with_name("prefect")),
                "work-pool",
                "get-default-base-job-template",
                "--type",
                "azure-container-instance",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout  # fmt: skip
    )
    ours = TEMPLATE["job_configuration"]
    assert ours.keys() == default["job_configuration"].keys()
    assert default["variables"]["properties"].keys() <= TEMPLATE["variables"]["properties"].keys()


def test_the_bicep_output_names_template_variables() -> None:
    assert bicep_output_keys("workPool") <= TEMPLATE["variables"]["properties"].keys()
    assert set(TEMPLATE["variables"]["required"]) <= bicep_output_keys("workPool")


def test_the_data_dir_is_the_mounted_share() -> None:
    container = TEMPLATE["job_configuration"]["arm_template"]["resources"][0]["properties"][
        "containers"
    ][0]["properties"]
    env = TEMPLATE["variables"]["properties"]["env"]["default"]
    assert [m["mountPath"] for m in container["volumeMounts"]] == [env["ERCOT_DART_DATA_DIR"]]


def test_prefect_yaml_deploys_to_this_pool_type() -> None:
    project = yaml.safe_load((REPO / "prefect.yaml").read_text())
    pools = {d["work_pool"]["name"] for d in project["deployments"]}
    assert pools == {"dart-aci"}
    worker = (REPO / "infra" / "modules" / "worker-app.bicep").read_text()
    assert "param workPool string = 'dart-aci'" in worker


def test_fill_template_sets_the_defaults_and_merges_the_environment() -> None:
    filled = fill_template(
        TEMPLATE, outputs(AZURE_CLIENT_ID="c1"), {"ERCOT_DART_TRAIN_THREADS": ""}
    )
    props = filled["variables"]["properties"]
    assert props["identities"]["default"] == ["/id/runtime"]
    assert props["env"]["default"]["AZURE_CLIENT_ID"] == "c1"
    assert props["env"]["default"]["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"
    assert "ERCOT_DART_TRAIN_THREADS" not in props["env"]["default"]  # an empty value removes
    assert "default" not in TEMPLATE["variables"]["properties"]["identities"] or (
        TEMPLATE["variables"]["properties"]["identities"]["default"] is None
    )  # the file itself is left as it was


@pytest.mark.parametrize(
    "env",
    [
        {"ERCOT_DART_NOTIFY_SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/x"},
        {"ERCOT_DART_SMTP_PASSWORD": "hunter2"},
        {"ERCOT_DART_DB_URL": "mssql+pyodbc://dart:hunter2@sql-dart.database.windows.net/ercot"},
        {"ERCOT_DART_PREDICTIONS_DB_URL": ""},
    ],
    ids=["webhook", "smtp-password", "db-password", "no-database"],
)
def test_fill_template_refuses_secrets_and_missing_databases(env: dict[str, str]) -> None:
    with pytest.raises(TemplateError):
        fill_template(TEMPLATE, outputs(), env)


def test_fill_template_accepts_secret_block_references() -> None:
    ref = {"ERCOT_DART_NOTIFY_TEAMS_WEBHOOK": "prefect-secret:dart-teams-webhook"}
    filled = fill_template(TEMPLATE, outputs(), ref)
    assert filled["variables"]["properties"]["env"]["default"][
        "ERCOT_DART_NOTIFY_TEAMS_WEBHOOK"
    ] == ("prefect-secret:dart-teams-webhook")


def test_fill_template_names_what_is_missing() -> None:
    values = outputs()
    del values["data_storage_account"]
    with pytest.raises(TemplateError, match="data_storage_account"):
        fill_template(TEMPLATE, values)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such file"),
        ("null", "holds null, not the object of the Bicep output workPool"),
        ("{x", "not a JSON file"),
        ("[1, 2]", "holds [1, 2], not the object"),
    ],
    ids=["missing", "null", "not-json", "a-list"],
)
def test_a_values_file_that_cannot_be_used_is_named(tmp_path, content, says) -> None:
    path = tmp_path / "work-pool.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(TemplateError, match=re.escape(f"--values {path}")) as caught:
        read_values(path)
    assert says in str(caught.value)


def test_a_database_url_that_is_not_one_is_named() -> None:
    env = {"ERCOT_DART_DB_URL": "not a url"}
    with pytest.raises(
        TemplateError, match="ERCOT_DART_DB_URL='not a url' is not a SQLAlchemy URL"
    ):
        fill_template(TEMPLATE, outputs(), env)


def test_the_scripts_refuse_a_prefect_api_that_is_not_there(tmp_path) -> None:
    """Without PREFECT_API_URL Prefect would register everything with a temporary server that
    stops with the script, and report success; with a dead one it gave tracebacks."""
    from tests.helpers import free_port

    values = tmp_path / "work-pool.json"
    values.write_text(json.dumps(outputs()))
    scripts = [
        ["infra/deploy_local.py"],
        ["infra/create_work_pool.py", "--values", str(values)],
    ]
    dead = f"http://127.0.0.1:{free_port()}/api"
    for script in scripts:
        for api, says in (
            (None, "PREFECT_API_URL is not set"),
            (dead, f"at {dead} does not answer"),
        ):
            env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
            env["PREFECT_HOME"] = str(tmp_path / "prefect")
            if api:
                env["PREFECT_API_URL"] = api
            out = subprocess.run(
                [sys.executable, *script], cwd=REPO, env=env, capture_output=True, text=True,
                timeout=120,
            )  # fmt: skip
            assert out.returncode == 1, (script, out.stderr)
            assert out.stderr.startswith("error: ") and says in out.stderr, out.stderr
            assert len(out.stderr.splitlines()) == 1 and "Traceback" not in out.stderr
