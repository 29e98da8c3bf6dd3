"""Register the deployments of ``prefect.yaml`` on a local ``process`` work pool.

The same deployments (names, flow, parameters, schedules, concurrency limits), derived from
``prefect.yaml`` so the two never drift: no image build or push, this checkout as the code,
the local pool instead of the Azure Container Instance one. Then start a worker:

    .venv/bin/python infra/deploy_local.py            # or: make deploy-local
    .venv/bin/prefect worker start --pool dart-local

Options: ``--pool NAME`` (default dart-local), ``--paused`` (schedules registered inactive:
runs only when asked for, e.g. ``prefect deployment run 'dart-pipeline/dart-hourly'``).
It talks to the Prefect API of ``PREFECT_API_URL`` (a ``prefect server start``, or Cloud), and
refuses to run without one that answers: Prefect would otherwise register everything with a
temporary server that stops with the command.
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


class CommandFailed(RuntimeError):
    """A ``prefect`` command failed; its own output says why."""


def run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    code = subprocess.run(cmd, cwd=ROOT).returncode
    if code != 0:
        raise CommandFailed(f"`{' '.join(cmd[1:])}` failed (exit {code}): its output is above")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default="dart-local", help="local process work pool")
    parser.add_argument("--paused", action="store_true", help="register the schedules inactive")
    args = parser.parse_args(argv)
    from ercot_dart.prefect_api import api_problem

    problem = api_problem()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        deploy(args.pool, args.paused)
    except CommandFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def pool_exists(pool: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            return False
        except Exception as exc:  # anything else is not "missing": say what it was
            raise CommandFailed(f"work pool {pool} could not be read: {exc}") from None
    return True


def deploy(pool: str, paused: bool) -> None:
    """The pool (created when missing), then every deployment on it."""
    prefect = str(Path(sys.executable).with_name("prefect"))
    project = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    derived = local_project(project, pool, ROOT, paused)
    if not pool_exists(pool):
        run([prefect, "work-pool", "create", pool, "--type", "process"])
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", prefix=".prefect-local-", dir=ROOT, delete=False
    ) as f:
        yaml.safe_dump(derived, f, sort_keys=False)
    try:
        run([prefect, "--no-prompt", "deploy", "--all", "--prefect-file", f.name])
    finally:
        Path(f.name).unlink(missing_ok=True)
    print(
        f"deployed to {pool}; runs start once a worker polls it: {prefect} worker start --pool {pool}"
    )


if __name__ == "__main__":
    sys.exit(main())
