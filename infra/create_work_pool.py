"""Create or update the Azure Container Instance work pool ``dart-aci`` from
``infra/aci-job-template.json``, filled with the names of the Azure resources.

The template holds what every installation shares (the ARM container group with the data
share, 2 vCPU / 8 GB, the settings' defaults); the Bicep deployment's output ``workPool``
holds what is particular to one (subscription, resource group, identity, registry, storage):

    jq .workPool.value infra-outputs.json > work-pool.json     # the outputs docs/deployment.md keeps
    .venv/bin/python infra/create_work_pool.py --values work-pool.json \\
        --env ERCOT_DART_DB_URL="mssql+pyodbc://<client id>@<server>.database.windows.net:1433/<db>?..." \\
        --env ERCOT_DART_PREDICTIONS_DB_URL="mssql+pyodbc://<client id>@..." \\
        --env ERCOT_DART_NOTIFY_SLACK_WEBHOOK=prefect-secret:dart-slack-webhook

then runs ``prefect work-pool create dart-aci --type azure-container-instance
--base-job-template <filled template> --overwrite`` against ``PREFECT_API_URL`` (Prefect Cloud or a
``prefect server start``). Running it again updates the pool. ``--print`` writes the filled
template to stdout and creates nothing. Secrets are refused as values: a secret setting must be
``prefect-secret:<block>``, a database URL must not carry a password (docs/deployment.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "aci-job-template.json"
POOL_TYPE = "azure-container-instance"
REQUIRED_ENV = ("ERCOT_DART_DB_URL", "ERCOT_DART_PREDICTIONS_DB_URL")
# settings whose value is a secret (docs/configuration.md): only prefect-secret:<block> may stand here
SECRET_SUFFIXES = ("_WEBHOOK", "_PASSWORD", "_API_KEY", "_CONNECTION_STRING", "_SECRET")
SECRET_REFERENCE = "prefect-secret:"
DB_URL_SUFFIX = "DB_URL"


class TemplateError(ValueError):
    """The values cannot make a usable template; the message says which and what to do."""


def parse_env(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict (an empty VALUE removes KEY from the defaults)."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise TemplateError(f"--env {pair!r}: expected KEY=VALUE")
        env[key] = value
    return env


def check_env(env: dict[str, str]) -> None:
    """Refuse inlined secrets and missing databases (fail fast, before any API call)."""
    for key in REQUIRED_ENV:
        if not env.get(key):
            raise TemplateError(
                f"{key} is not set: pass --env {key}='mssql+pyodbc://<runtime identity client id>@"
                "<server>.database.windows.net:1433/<db>?driver=ODBC+Driver+18+for+SQL+Server"
                "&Authentication=ActiveDirectoryMsi&Encrypt=yes' (docs/deployment.md)"
            )
    for key, value in env.items():
        if key.endswith(SECRET_SUFFIXES) and value and not value.startswith(SECRET_REFERENCE):
            raise TemplateError(
                f"{key} holds a secret value: store it in a Prefect Secret block and pass "
                f"--env {key}={SECRET_REFERENCE}<block name>"
            )
        if key.endswith(DB_URL_SUFFIX) and value and _url_password(key, value):
            raise TemplateError(
                f"{key} carries a password: connect with the runtime identity instead "
                "(Authentication=ActiveDirectoryMsi, docs/deployment.md)"
            )


def _url_password(key: str, value: str) -> bool:
    """Whether a database URL carries a password."""
    try:
        return make_url(value).password is not None
    except ArgumentError:
        raise TemplateError(
            f"{key}={value!r} is not a SQLAlchemy URL (e.g. mssql+pyodbc://<client id>@<server>"
            ".database.windows.net:1433/<db>?...)"
        ) from None


def read_values(path: Path) -> dict[str, Any]:
    """The Bicep output ``workPool``, as ``jq .workPool.value infra-outputs.json`` wrote it."""
    try:
        values = json.loads(path.read_text())
    except FileNotFoundError:
        raise TemplateError(f"--values {path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise TemplateError(f"--values {path}: not a JSON file ({exc})") from None
    if not isinstance(values, dict):
        raise TemplateError(
            f"--values {path} holds {json.dumps(values)[:80]}, not the object of the Bicep output "
            "workPool: does infra-outputs.json have a workPool output (docs/deployment.md)?"
        )
    return values


def fill_template(
    template: dict[str, Any],
    values: dict[str, Any],
    env: dict[str, str] | None = None,
    cpu: float | None = None,
    memory: float | None = None,
) -> dict[str, Any]:
    """The base job template with ``values`` (the Bicep output ``workPool``) as the defaults of
    its variables; ``values["env"]`` and ``env`` are merged into the default environment (pure).

    Raises:
        TemplateError: a value names no variable of the template, a required variable has no
            default, or the environment inlines a secret or lacks a database.
    """
    out = json.loads(json.dumps(template))
    props = out["variables"]["properties"]
    values = dict(values)
    merged_env = {**props["env"].get("default", {}), **values.pop("env", {}), **(env or {})}
    merged_env = {k: v for k, v in merged_env.items() if v != ""}
    check_env(merged_env)
    props["env"]["default"] = merged_env
    if cpu is not None:
        values["cpu"] = cpu
    if memory is not None:
        values["memory"] = memory
    for key, value in values.items():
        if key not in props:
            raise TemplateError(f"{key!r} is not a variable of {TEMPLATE.name}")
        props[key]["default"] = value
    missing = [k for k in out["variables"]["required"] if props[k].get("default") in (None, "", [])]
    if missing:
        raise TemplateError(
            f"no value for {', '.join(missing)}: pass --values with the Bicep output workPool "
            "(docs/deployment.md)"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=Path, required=True, help="JSON: Bicep output workPool")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--pool", default="dart-aci", help="work pool name (default dart-aci)")
    parser.add_argument("--cpu", type=float, help="vCPUs of each flow run (default 2)")
    parser.add_argument("--memory", type=float, help="GB of each flow run (default 8)")
    parser.add_argument("--print", action="store_true", help="print the template, create nothing")
    args = parser.parse_args(argv)
    try:
        filled = fill_template(
            json.loads(TEMPLATE.read_text()),
            read_values(args.values),
            parse_env(args.env),
            args.cpu,
            args.memory,
        )
    except TemplateError as exc:
        parser.error(str(exc))
    if args.print:
        json.dump(filled, sys.stdout, indent=2)
        return 0
    from ercot_dart.prefect_api import api_problem

    problem = api_problem()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    prefect = str(Path(sys.executable).with_name("prefect"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "aci-job-template.json"
        path.write_text(json.dumps(filled, indent=2))
        cmd = [prefect, "--no-prompt", "work-pool", "create", args.pool, "--type", POOL_TYPE,
               "--base-job-template", str(path), "--overwrite"]  # fmt: skip
        print("+", " ".join(cmd), flush=True)
        code = subprocess.run(cmd, cwd=ROOT).returncode
    if code == 0:
        print(f"work pool {args.pool} ready; its worker: prefect worker start --pool {args.pool}")
    return code


if __name__ == "__main__":
    sys.exit(main())
