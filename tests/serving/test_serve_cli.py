"""``ercot-dart serve``: it serves the registry's champion, and a start that cannot work says
why in one line before claiming to serve."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port, stop_process
from tests.serving.conftest import wait_ready

CLI = str(Path(sys.executable).with_name("ercot-dart"))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERCOT_DART_")}
    return {**env, **extra}


def test_serve_serves_the_champion(registry, tmp_path):
    port = free_port()
    env = clean_env(ERCOT_DART_DATA_DIR=str(tmp_path), ERCOT_DART_SERVE_LOG_LEVEL="WARNING")
    process = subprocess.Popen(
        [CLI, "serve", "--registry", str(registry.root), "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        ready = wait_ready(lambda path: httpx.get(f"http://127.0.0.1:{port}{path}"))
        assert ready["bundle_id"] == registry.champion()
    finally:
        stop_process(process)
    assert f"serving bundle {registry.champion()}" in process.stdout.read().decode()


def _refused(args: list[str], cwd: Path, **env: str) -> str:
    out = subprocess.run(
        [CLI, "serve", *args], env=clean_env(**env), cwd=cwd, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert out.returncode == 1 and "serving bundle" not in out.stdout, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr
    return out.stderr


def test_a_feature_store_that_is_not_there_is_named_however_it_was_given(registry, tmp_path):
    args = ["--registry", str(registry.root)]
    missing = str(tmp_path / "no-store")
    said = _refused(args, tmp_path, ERCOT_DART_SERVE_FEATURE_STORE=missing)
    assert "ERCOT_DART_SERVE_FEATURE_STORE" in said and "no such folder" in said
    assert "--feature-store" in _refused([*args, "--feature-store", missing], tmp_path)


def test_a_registry_folder_that_is_not_there_is_named(tmp_path):
    said = _refused(["--registry", str(tmp_path / "nowhere")], tmp_path)
    assert "no registry at" in said and "nowhere" in said


def test_a_port_taken_or_an_unknown_host_is_said_before_serving(registry, tmp_path):
    args = ["--registry", str(registry.root)]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        said = _refused([*args, "--port", str(port)], tmp_path)
        assert f"cannot listen on 127.0.0.1:{port}" in said
    assert "cannot listen on 999.1.1.1" in _refused([*args, "--host", "999.1.1.1"], tmp_path)


@pytest.mark.parametrize("value", ["0", "many"])
def test_a_bad_serve_setting_is_named(registry, tmp_path, value):
    said = _refused(["--registry", str(registry.root)], tmp_path, ERCOT_DART_SERVE_THREADS=value)
    assert f"ERCOT_DART_SERVE_THREADS={value!r}" in said
