"""The image's inputs, without a Docker engine: the `flows` dependencies resolve in one pip
command that takes torch from PyTorch's CPU index at pyproject.toml's pin (a second pip command
would fetch PyPI's CUDA build: /install does not count as installed), and .dockerignore keeps a
developer checkout's environments, caches, data, CI and infra files out of the build context
while keeping what ``pip install .`` needs."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
TORCH_PIN = next(
    r.split("==")[1] for r in PYPROJECT["project"]["optional-dependencies"]["train"]
    if r.startswith("torch==")
)  # fmt: skip

# the two-command install an audit found in the deps-flows stage: the control
TWO_COMMANDS = """FROM base AS deps-flows
COPY pyproject.toml README.md ./
RUN mkdir -p ercot_dart && touch ercot_dart/__init__.py \\
    && pip install --prefix=/install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \\
    && pip install --prefix=/install '.[flows,train,azure]'
FROM base AS flows
"""


def pip_installs(dockerfile: str, stage: str) -> list[list[str]]:
    """The arguments of every ``pip install`` run in a stage (comments dropped, lines joined)."""
    body = re.search(rf"^FROM \S+ AS {stage}\n(.*?)(?=^FROM |\Z)", dockerfile, re.S | re.M)
    assert body, f"no stage {stage}"
    lines = [line for line in body.group(1).splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines).replace("\\\n", " ")
    commands = []
    for run in re.findall(r"^RUN (.*)$", text, re.M):
        for part in re.split(r"&&|;", run):
            words = shlex.split(part)
            if words[:2] == ["pip", "install"]:
                # --option=value as two words, as pip reads it
                commands.append(
                    [w for word in words[2:]
                     for w in (word.split("=", 1) if word.startswith("--") else [word])]
                )  # fmt: skip
    return commands


def flows_install_problems(dockerfile: str) -> list[str]:
    """What is wrong with how deps-flows installs its dependencies; empty when nothing is."""
    installs = pip_installs(dockerfile, "deps-flows")
    if len(installs) != 1:
        return [f"{len(installs)} pip install commands: pip would resolve torch again from PyPI"]
    (args,) = installs
    problems = []
    extra = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--extra-index-url"]
    if extra != [CPU_INDEX] or "--index-url" in args or "-i" in args:
        problems.append("torch's index must be the one extra index, PyPI staying the main one")
    if f"torch=={TORCH_PIN}+cpu" not in args:
        problems.append(f"torch is not pinned to {TORCH_PIN}+cpu, the CPU index's build")
    if ".[flows,train,azure]" not in args:
        problems.append("the project's extras are not in the same command")
    return problems


def test_the_flows_stage_installs_cpu_torch_and_the_extras_in_one_pip_command() -> None:
    assert flows_install_problems(DOCKERFILE) == []


def test_the_check_catches_torch_installed_in_a_separate_command() -> None:
    assert flows_install_problems(TWO_COMMANDS) != []


def build_context(root: Path) -> set[str]:
    """The files a build of ``root`` sends, by .dockerignore as docker-py reads it (the client
    of prefect-docker's build step); BuildKit follows the same pattern rules."""
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return {p for p in exclude_paths(str(root), patterns) if (root / p).is_file()}


KEPT = [
    "pyproject.toml", "README.md", "LICENSE", "prefect.yaml",
    "ercot_dart/__init__.py", "ercot_dart/synth/profile.json", "flows/dart_pipeline.py",
    "tasks/monitor.py", "inference/score.py", "onnx_export/export.py",
]  # fmt: skip
LEFT_OUT = [
    ".git/HEAD", ".github/workflows/ci.yml", ".ci/run", ".vscode/settings.json",
    ".venv/bin/python", ".venv-tools/checkov/bin/checkov", "node_modules/azurite/package.json",
    "package.json", "package-lock.json",
    "ercot_dart/__pycache__/settings.cpython-311.pyc", "flows/helper.pyc",
    ".pytest_cache/v/cache/lastfailed", ".mypy_cache/3.11/x.json", ".ruff_cache/0.5/x",
    ".hypothesis/examples/x", ".coverage", "htmlcov/index.html",
    "build/lib/ercot_dart/__init__.py", "dist/ercot_dart-0.1.0.whl",
    "ercot_dart.egg-info/PKG-INFO",
    "data/ercot.sqlite", "data/features/2025-01/part.parquet", "predictions.sqlite",
    "tasks/cache.parquet",
    ".env", ".env.production", "certs/client.pem",
    "infra-outputs.json", "work-pool.json", "info.json", "score.json", "report.html",
    "tests/unit/test_x.py", "benchmarks/serve.py", "docs/deployment.md", "infra/main.bicep",
    "Makefile", "row.json", "onnxruntime_profile__2026-12-07.json", "notes.txt",
    "inference/.env", "tasks/secrets/client.key",
]  # fmt: skip


def test_dockerignore_leaves_out_a_developer_checkout_and_keeps_the_package(
    tmp_path: Path,
) -> None:
    for path in KEPT + LEFT_OUT:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    context = build_context(tmp_path)
    assert sorted(set(LEFT_OUT) & context) == []
    assert sorted(set(KEPT) - context) == []


def test_the_build_context_of_this_checkout_is_the_package_and_its_metadata() -> None:
    packages = {
        p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    allowed = packages | {"pyproject.toml", "README.md", "LICENSE", "prefect.yaml"}
    # docker-py sends the Dockerfile (and here .dockerignore) to the daemon; COPY never sees them
    allowed |= {"Dockerfile", ".dockerignore"}
    tops = {p.split("/")[0] for p in build_context(REPO)}
    assert tops - allowed == set()
    assert packages <= tops


def reachable(host: str) -> bool:
    try:
        socket.create_connection((host, 443), timeout=5).close()
    except OSError:
        return False
    return True


def local_cpu_torch() -> Path | None:
    """A folder of PIP_FIND_LINKS holding the CPU index's torch wheel at the pin, if any."""
    for folder in os.environ.get("PIP_FIND_LINKS", "").split():
        if any(Path(folder).glob(f"torch-{TORCH_PIN}+cpu-*.whl")):
            return Path(folder)
    return None


@pytest.mark.slow
def test_the_flows_resolution_takes_cpu_torch_and_no_cuda_wheels(tmp_path: Path) -> None:
    """deps-flows' own pip arguments, as a dry run against PyPI (``--report``). Where
    download.pytorch.org cannot be reached, a local copy of the same CPU wheel stands in for it
    (``--find-links``): the point is which torch the resolver picks when PyPI offers its CUDA
    build of the same version."""
    if not reachable("pypi.org"):
        pytest.skip("PyPI cannot be reached: the resolution needs it")
    (args,) = pip_installs(DOCKERFILE, "deps-flows")
    i = args.index("--prefix")
    del args[i : i + 2]
    if not reachable("download.pytorch.org"):
        wheels = local_cpu_torch()
        if wheels is None:
            pytest.skip("neither the CPU index nor a local copy of its torch wheel is reachable")
        i = args.index("--extra-index-url")
        args[i : i + 2] = ["--find-links", str(wheels)]
    (tmp_path / "ercot_dart").mkdir()
    (tmp_path / "ercot_dart" / "__init__.py").write_text("")
    for name in ("pyproject.toml", "README.md"):
        (tmp_path / name).write_text((REPO / name).read_text())
    # this machine's pip configuration (extra indexes, constraints) is not the image's
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    ran = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(tmp_path / "report.json"), *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    installed = {i["metadata"]["name"].lower(): i["metadata"]["version"] for i in report["install"]}
    assert installed["torch"] == f"{TORCH_PIN}+cpu"
    assert [n for n in installed if n.startswith("nvidia-") or n == "triton"] == []
    assert {"prefect", "prefect-azure", "lightgbm", "pyodbc"} <= installed.keys()


def test_the_user_owns_its_home_which_is_the_working_folder() -> None:
    """WORKDIR creates a missing folder owned by root and COPY --chown owns only what it copies:
    the folder must exist, owned by the user, before WORKDIR, or ~/.prefect and a relative
    data/ cannot be created in the images."""
    base = re.search(r"^FROM \S+ AS base\n(.*?)(?=^FROM )", DOCKERFILE, re.S | re.M)
    assert base
    text = base.group(1).replace("\\\n", " ")
    home = re.search(r"useradd [^&\n]*--home (\S+) dart", text)
    assert home, "the image's user has no home"
    made = text.find(f"install -d -o dart -g dart {home.group(1)}")
    workdir = text.find(f"WORKDIR {home.group(1)}")
    assert 0 <= made < workdir, "the home is not made the user's before WORKDIR"
    for stage in ("serve", "flows"):
        body = re.search(rf"^FROM \S+ AS {stage}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.S | re.M)
        assert body and "USER 10001:10001" in body.group(1), stage
