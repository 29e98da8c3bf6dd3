"""Benchmark of the scoring service (issue 5), on loopback, bounded in time and requests.

    .venv/bin/python benchmarks/serve.py [--seconds 10] [--rounds 2] [--soak 120] [--write]

In one run, with the same load (the same single-row POST /score bodies, 8 connections, one
server worker each, uvicorn + uvloop + httptools for all four):

- the service (``inference.app``) scoring each row with LightGBM, XGBoost and the LSTM (its 23
  earlier hours from the feature store in memory), the ensemble and the bands;
- the framework's ceiling: a bare Litestar route answering a constant (benchmarks/bare_litestar.py);
- the floor under the service: reading the body and running the three ONNX sessions on
  micro-batches, nothing else (benchmarks/models_floor.py), which splits the gap between the
  ceiling and the service into what the models cost and what the service does around them;
- the reference: FastAPI + pydantic calling the native models (benchmarks/reference_fastapi.py).

Then one request of 1,000 points × 24 hours through all three models, in each form the service
takes (an Arrow stream, the fastest; JSON columns; JSON rows, the reference's only form), with
the wall time seen by the client and the server's CPU time; memory (RSS) and the time from
process start to ready; with ``--soak``, the service's memory under sustained load. The service
runs with ``ERCOT_DART_SERVE_THREADS=2`` (large batches on two onnxruntime threads). The load generator is wrk when installed (Debian package ``wrk``),
else an asyncio httpx client in its own process. ``--write`` puts the results in
benchmarks/RESULTS.md under '## Scoring service (issue 5)' (other sections untouched).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.serve_bodies import MODELS, BatchBody, batches, last_day  # noqa: E402
from benchmarks.serve_bodies import singles as single_bodies  # noqa: E402
from benchmarks.serve_data import BenchData, load_or_build  # noqa: E402
from benchmarks.serve_load import run_load  # noqa: E402
from benchmarks.serve_report import write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGETS = {
    "service": "inference.app:create_app",
    "bare": "benchmarks.bare_litestar:app",
    "floor": "benchmarks.models_floor:create_app",
    "reference": "benchmarks.reference_fastapi:create_app",
}
SOAK_SLICES = 6


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    target: str, env: dict[str, str], log: Path, cwd: Path = REPO
) -> tuple[subprocess.Popen[bytes], str, float]:
    """One uvicorn worker on a free port, importing ``target`` from ``cwd`` (a checkout of this
    repository); the process, its URL and seconds from spawn to ready."""
    port = _port()
    factory = ["--factory"] if target.endswith("create_app") else []
    cmd = [sys.executable, "-m", "uvicorn", *factory, target, "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1", "--loop", "uvloop", "--http", "httptools",
           "--no-access-log", "--log-level", "warning"]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=5) as client:
        while True:
            try:
                if client.get("/ready").status_code == 200:
                    return proc, url, time.perf_counter() - started
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.perf_counter() - started > 600:
                raise RuntimeError(f"{target} did not start; see {log}")
            time.sleep(0.01)


def stop(procs: Iterable[subprocess.Popen[bytes]]) -> None:
    """Terminate the servers; kill one that has not stopped within 15 s."""
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def service_env(root: Path, data: BenchData, max_rows: int, max_body: int) -> dict[str, str]:
    """The environment of every target: the service's settings and the benchmark's data."""
    return {
        "ERCOT_DART_DATA_DIR": str(root / "data"),
        "ERCOT_DART_REGISTRY_DIR": str(data.registry),
        "ERCOT_DART_SERVE_FEATURE_STORE": str(data.store),
        "ERCOT_DART_SERVE_MAX_ROWS": str(max_rows),
        "ERCOT_DART_SERVE_MAX_BODY_BYTES": str(max_body),
        "ERCOT_DART_SERVE_THREADS": "2",
        "ERCOT_DART_BENCH_NATIVE": str(data.native),
        "ERCOT_DART_BENCH_BUNDLE": str(data.bundle),
        "ERCOT_DART_BENCH_STORE": str(data.store),
    }


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def soak(url: str, pid: int, bodies: Path, seconds: float, connections: int) -> dict[str, Any]:
    """The service under the single-row load for ``seconds``, in :data:`SOAK_SLICES` phases:
    its RSS (MiB) before and after each phase, the requests served and the errors."""
    rss, requests, errors = [rss_mib(pid)], 0, 0
    for _ in range(SOAK_SLICES):
        result = run_load(url, bodies, seconds / SOAK_SLICES, connections, 10**9)
        requests += result["requests"]
        errors += result["errors"] + result["non_2xx"]
        rss.append(rss_mib(pid))
    return {"seconds": seconds, "requests": requests, "errors": errors, "rss_mib": rss}


def model_us_per_row(service_url: str, floor_url: str) -> dict[str, dict[str, float]]:
    """Each model's time in onnxruntime a row (µs) so far, in the service (its
    ``ercot_dart_onnx_model_seconds`` over the rows scored) and in the floor."""
    from prometheus_client.parser import text_string_to_metric_families

    sums, rows = {}, 0.0
    for family in text_string_to_metric_families(httpx.get(f"{service_url}/metrics").text):
        for sample in family.samples:
            if sample.name == "ercot_dart_onnx_model_seconds_sum":
                sums[sample.labels["model"]] = sample.value
            elif sample.name == "ercot_dart_rows_scored_total":
                rows = sample.value
    floor = httpx.get(f"{floor_url}/model-seconds").json()
    return {
        "service": {name: 1e6 * s / rows for name, s in sums.items()},
        "floor": {name: 1e6 * v["seconds"] / v["rows"] for name, v in floor.items()},
    }


def batch_runs(url: str, batch: BatchBody, runs: int, pid: int) -> dict[str, Any]:
    """The batch sent ``runs`` times: client wall and server CPU seconds of each, its answer."""
    times, cpu, answer = [], [], b""
    headers = {"content-type": batch.content_type}
    with httpx.Client(base_url=url, timeout=300) as client:
        for _ in range(runs):
            before, t0 = cpu_seconds(pid), time.perf_counter()
            response = client.post("/score", content=batch.body, headers=headers)
            times.append(time.perf_counter() - t0)
            cpu.append(cpu_seconds(pid) - before)
            assert response.status_code == 200, response.text[:500]
            answer = response.content
    frame = batch.read(answer)
    return {
        "form": batch.form,
        "seconds": times,
        "cpu_seconds": cpu,
        "body_mib": len(batch.body) / 2**20,
        "rows": len(frame),
        "with_lstm": int(frame["lstm"].notna().sum()),
        "frame": frame,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of each load phase")
    ap.add_argument("--rounds", type=int, default=2, help="load phases per target, interleaved")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--max-requests", type=int, default=200_000)
    ap.add_argument("--batch-runs", type=int, default=5, help="runs of the batch in each form")
    ap.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    ap.add_argument("--keep", type=Path, help="build the data here once and reuse it (not deleted)")
    ap.add_argument(
        "--soak", type=float, default=0, help="then load the service this many seconds more, "
        "reading its RSS six times (memory under sustained load)",
    )  # fmt: skip
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="ercot-dart-serve-bench-"))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        t0 = time.perf_counter()
        data = load_or_build(root, args.points, args.days)
        print(
            f"data and training: {time.perf_counter() - t0:.0f} s ({data.bundle.name})", flush=True
        )
        manifest = json.loads((data.bundle / "manifest.json").read_text())
        features = manifest["preprocessing"]["features"]
        day = last_day(data)
        singles = single_bodies(day, features)
        forms = batches(day, features)
        largest = max(len(b.body) for b in forms)
        env = service_env(root, data, args.points * 24, largest + 1024)
        urls, ready = {}, {}
        for name, target in TARGETS.items():
            procs[name], urls[name], ready[name] = start(target, env, root / f"{name}.log")
            print(
                f"{name}: ready in {ready[name]:.2f} s, RSS {rss_mib(procs[name].pid):.0f} MiB",
                flush=True,
            )
        body_file = root / "bodies.jsonl"
        body_file.write_bytes(b"\n".join(singles) + b"\n")
        loads: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGETS}
        for _ in range(args.rounds):
            for name in ("bare", "floor", "service", "reference"):
                result = run_load(
                    urls[name], body_file, args.seconds, args.connections, args.max_requests
                )
                loads[name].append(result)
                print(f"{name}: {result}", flush=True)
        in_place = model_us_per_row(urls["service"], urls["floor"])
        print(f"models in place, µs a row: {in_place}", flush=True)
        soaked = None
        if args.soak:
            soaked = soak(
                urls["service"], procs["service"].pid, body_file, args.soak, args.connections
            )
            print(f"soak: {soaked}", flush=True)
        service_batches = [
            batch_runs(urls["service"], form, args.batch_runs, procs["service"].pid)
            for form in forms
        ]
        rows_form = next(b for b in forms if b.form == "rows")
        reference = batch_runs(urls["reference"], rows_form, 1, procs["reference"].pid)
        first = service_batches[0]["frame"]
        for other in service_batches[1:]:  # every form answers with the same numbers
            assert np.array_equal(
                first[list(MODELS)].to_numpy("float64"),
                other["frame"][list(MODELS)].to_numpy("float64"),
                equal_nan=True,
            ), other["form"]
        diff = float(
            np.nanmax(
                np.abs(
                    first[list(MODELS)].to_numpy("float64")
                    - reference["frame"][list(MODELS)].to_numpy("float64")
                )
            )
        )
        rss = {name: rss_mib(p.pid) for name, p in procs.items()}
        results = {
            "command": " ".join(["benchmarks/serve.py", *sys.argv[1:]]),
            "points": args.points,
            "features": len(features),
            "loads": loads,
            "ready_seconds": ready,
            "rss_mib": rss,
            "batches": [{k: v for k, v in b.items() if k != "frame"} for b in service_batches],
            "reference_batch_seconds": reference["seconds"][0],
            "model_us_per_row": in_place,
            "max_abs_diff_vs_reference": diff,
            "load_average": os.getloadavg(),
            "load_generator": "wrk" if shutil.which("wrk") else "httpx (asyncio, separate process)",
            "seconds": args.seconds,
            "connections": args.connections,
            "soak": soaked,
        }
        print(json.dumps(results, indent=2, default=str))
        if args.write:
            write_section(REPO / "benchmarks" / "RESULTS.md", results)
    finally:
        stop(procs.values())
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
