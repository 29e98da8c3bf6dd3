"""checkov on infra/: every Bicep file parses, no check fails, and every check passed over is
skipped in the Bicep itself with a reason (``#checkov:skip=CKV_...:reason``). The secrets scan
runs over the same folder (templates, parameters, scripts): no secret is written down.

checkov lives in its own virtual environment, .venv-tools/checkov (infra/install_tools.sh): its
pins would downgrade packages of the project's .venv. The test installs it when it is missing.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
CHECKOV = REPO / ".venv-tools" / "checkov" / "bin" / "checkov"
SKIP = re.compile(r"checkov:skip=(CKV2?_[A-Z]+_\d+):(.*)")


def checkov(directory: Path) -> dict[str, dict[str, Any]]:
    """checkov's JSON report of a folder, by framework (bicep, secrets)."""
    ran = subprocess.run(
        [str(CHECKOV), "--directory", str(directory), "--framework", "bicep", "secrets",
         "--output", "json", "--skip-download", "--compact"],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )  # fmt: skip
    reports = json.loads(ran.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {r["check_type"]: r for r in reports}


def suppress_comment(check: dict[str, Any]) -> str:
    result = check["check_result"]
    # the bicep runner reports the result as the repr of a dict, the secrets runner as a dict
    result = ast.literal_eval(result) if isinstance(result, str) else result
    return str(result.get("suppress_comment", ""))


@pytest.fixture(scope="module")
def installed() -> None:
    """checkov in .venv-tools/checkov, installed when missing."""
    installed = subprocess.run(
        ["bash", str(INFRA / "install_tools.sh")],
        env={**os.environ, "PYTHON": os.environ.get("PYTHON", sys.executable)},
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if installed.returncode != 0:
        # only when PyPI cannot be reached or the package cannot be built here
        pytest.skip(f"checkov could not be installed: {installed.stderr[-2000:]}")


@pytest.fixture(scope="module")
def checkov_report(installed: None) -> dict[str, dict[str, Any]]:
    return checkov(INFRA)


def test_every_bicep_file_parses(checkov_report) -> None:  # type: ignore[no-untyped-def]
    bicep = checkov_report["bicep"]
    assert bicep["results"]["parsing_errors"] == []
    seen = {
        c["file_path"].lstrip("/")
        for c in bicep["results"]["passed_checks"] + bicep["results"]["skipped_checks"]
    }
    # the files holding storage, registry, vault and the custom role are all checked
    for module in ("storage", "registry", "keyvault", "aci-launcher"):
        assert f"modules/{module}.bicep" in seen


def test_no_check_fails(checkov_report) -> None:  # type: ignore[no-untyped-def]
    failed = [
        f"{c['check_id']} {c['file_path']}:{c['file_line_range']} {c['check_name']}"
        for r in checkov_report.values()
        for c in r["results"]["failed_checks"]
    ]
    assert failed == []


def test_every_skip_gives_its_reason(checkov_report) -> None:  # type: ignore[no-untyped-def]
    for path in INFRA.rglob("*.bicep"):
        for check, reason in SKIP.findall(path.read_text()):
            assert len(reason.strip()) >= 20, f"{path.name}: {check} skipped without a reason"
    skipped = [c for r in checkov_report.values() for c in r["results"]["skipped_checks"]]
    assert skipped and all(suppress_comment(c).strip() for c in skipped)


def test_checkov_does_catch_a_weak_account_and_a_written_secret(installed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The control: the same scan fails an old-TLS storage account and an inlined key."""
    (tmp_path / "weak.bicep").write_text(
        "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n"
        "  name: 'stweak'\n  location: 'eastus'\n  kind: 'StorageV2'\n"
        "  sku: {\n    name: 'Standard_GRS'\n  }\n"
        "  properties: {\n    minimumTlsVersion: 'TLS1_0'\n  }\n}\n"
    )
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    (tmp_path / "values.json").write_text(json.dumps({"AccountKey": key}))
    failed = {
        c["check_id"] for r in checkov(tmp_path).values() for c in r["results"]["failed_checks"]
    }
    assert "CKV_AZURE_44" in failed  # minimum TLS version
    assert any(check.startswith("CKV_SECRET_") for check in failed)
