"""Register the deployments of ``prefect.yaml`` on a local ``process`` work pool.

The same deployments (names, flow, parameters, schedules, concurrency limits), derived from
``prefect.yaml`` so the two never drift: no image build or push, this checkout as the code,
the local pool instead of the Azure Container Instance one. Then start a worker:

    .venv/bin/python infra/deploy_local.py            # or: make deploy-local
    .venv/bin/prefect worker start --pool dart-local

Options: ``--pool NAME`` (default dart-local), ``--paused`` (schedules registered inactive:
runs only when asked for, e.g. ``prefect deployment run 'dart-pipeline/dart-hourly'``).
It talks to the Prefect API of ``PREFECT_API_URL`` (a ``prefect server start``, or Cloud).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def local_project(project: dict[str, Any], pool: str, root: Path, paused: bool) -> dict[str, Any]:
    """``prefect.yaml``'s content turned into the local variant (pure)."""
    out = {k: v for k, v in project.items() if k not in ("build", "push", "pull", "definitions")}
    out["pull"] = [{"prefect.deployments.steps.set_working_directory": {"directory": str(root)}}]
    deployments = []
    for deployment in project.get("deployments") or []:
        d = dict(deployment)
        d["work_pool"] = {"name": pool, "work_queue_name": "default", "job_variables": {}}
        if paused:
            d["schedules"] = [{**s, "active": False} for s in d.get("schedules") or []]
        deployments.append(d)
    out["deployments"] = deployments
    return out


def run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default="dart-local", help="local process work pool")
    parser.add_argument("--paused", action="store_true", help="register the schedules inactive")
    args = parser.parse_args(argv)
    prefect = str(Path(sys.executable).with_name("prefect"))
    project = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    derived = local_project(project, args.pool, ROOT, args.paused)
    probe = subprocess.run(
        [prefect, "work-pool", "inspect", args.pool], cwd=ROOT, capture_output=True
    )
    if probe.returncode != 0:
        run([prefect, "work-pool", "create", args.pool, "--type", "process"])
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", prefix=".prefect-local-", dir=ROOT, delete=False
    ) as f:
        yaml.safe_dump(derived, f, sort_keys=False)
    try:
        run([prefect, "--no-prompt", "deploy", "--all", "--prefect-file", f.name])
    finally:
        Path(f.name).unlink(missing_ok=True)
    print(f"deployed; start a worker with: {prefect} worker start --pool {args.pool}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
